#pragma once

#include "execd/ExecutorRegistry.h"
#include "execd/Module.h"
#include "execd/ModuleContext.h"
#include "execd/Router.h"
#include "Poco/ClassLoader.h"
#include "Poco/Logger.h"
#include "Poco/Util/AbstractConfiguration.h"
#include <map>
#include <memory>
#include <string>
#include <vector>
#include <sys/stat.h>


namespace execd {


class ModuleLoader
	/// Loads the modules that "execd.modules.load" lists, each from its shared
	/// library, configures them, and registers their routes and executors.
	///
	/// Drop-in modules: every libexecd_<name>.so in the directory
	/// "execd.modules.dropIn" names (default: "modules" next to the execd file
	/// that was started, /opt/opensandbox/modules for a deployed dist/execd) is
	/// loaded as module <name>, after the listed ones; one of a listed name is
	/// loaded instead of the built-in library (unless module.<name>.library is
	/// set). execd runs their code as its own: the directory, every directory
	/// above it (a sticky one may be writable) and every file in it must belong
	/// to root or to execd's user and be writable by nobody else, and none may be
	/// a symbolic link, or startup fails.
	///
	/// Startup fails (Poco::Exception with a clear message) when a listed module's
	/// library is missing or will not load, exports no such module, was built for
	/// another module API version, rejects its configuration, or claims a route or
	/// executor key that another module already has (both are named).
	///
	/// Shutdown: shutdown() in reverse load order, then the modules are destroyed,
	/// then their libraries unloaded: the class loader is declared before the
	/// modules, so even on an exception the modules die first.
{
public:
	ModuleLoader(Router& router, ExecutorRegistry& executors);
	~ModuleLoader();

	void load(Poco::Util::AbstractConfiguration& config, const std::string& defaultDropIn = std::string());
		/// Loads, configures and registers every listed, enabled module, then
		/// the drop-in modules. defaultDropIn is used when "execd.modules.dropIn"
		/// is not set; an empty one (either way) means none.

	void start();
		/// Calls start() on every module, in load order.

	void shutdown();
		/// Calls shutdown() on every module, in reverse load order. Idempotent.

	void unload();
		/// Forgets the executors, destroys the modules, unloads the libraries.

	std::vector<std::string> names() const;

	static std::string libraryPath(const std::string& directory, const std::string& library);

	static bool isName(const std::string& name);
		/// Lowercase letters, digits, '_' and '-', at least one.

private:
	struct Loaded
	{
		std::string library;
		std::unique_ptr<ModuleContext> pContext;   // declared first: outlives the module
		std::unique_ptr<Module> pModule;
	};

	void loadOne(Poco::Util::AbstractConfiguration& config, const std::string& name, const std::string& library);
	std::map<std::string, std::string> findDropIns(const std::string& directory) const;
		/// name -> library of every drop-in module in directory (none when it
		/// does not exist); throws when it or one of them is not safe to load.
	static void checkName(const std::string& name);
	static void checkPath(const std::string& resolved);
	static void checkSafe(const std::string& path, const struct stat& st, bool stickyWritable);

	Router& _router;
	ExecutorRegistry& _executors;
	Poco::Logger& _logger;
	Poco::ClassLoader<Module> _loader;   // before _modules: destroyed after them
	std::vector<Loaded> _modules;
	std::vector<std::string> _libraries;
	bool _shutDown = false;
};


} // namespace execd
