#pragma once

#include "execd/ExecutorRegistry.h"
#include "execd/Module.h"
#include "execd/ModuleContext.h"
#include "execd/Router.h"
#include "Poco/ClassLoader.h"
#include "Poco/Logger.h"
#include "Poco/Util/AbstractConfiguration.h"
#include <memory>
#include <string>
#include <vector>


namespace execd {


class ModuleSubsystem
	/// Loads the modules that "execd.modules.load" lists, each from its shared
	/// library, configures them, and registers their routes and executors.
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
	ModuleSubsystem(Router& router, ExecutorRegistry& executors);
	~ModuleSubsystem();

	void load(Poco::Util::AbstractConfiguration& config);
		/// Loads, configures and registers every listed, enabled module.

	void start();
		/// Calls start() on every module, in load order.

	void shutdown();
		/// Calls shutdown() on every module, in reverse load order. Idempotent.

	void unload();
		/// Forgets the executors, destroys the modules, unloads the libraries.

	std::vector<std::string> names() const;

	static std::string libraryPath(const std::string& directory, const std::string& library);

private:
	struct Loaded
	{
		std::string library;
		std::unique_ptr<ModuleContext> pContext;   // declared first: outlives the module
		std::unique_ptr<Module> pModule;
	};

	void loadOne(Poco::Util::AbstractConfiguration& config, const std::string& name, const std::string& directory);

	Router& _router;
	ExecutorRegistry& _executors;
	Poco::Logger& _logger;
	Poco::ClassLoader<Module> _loader;   // before _modules: destroyed after them
	std::vector<Loaded> _modules;
	std::vector<std::string> _libraries;
	bool _shutDown = false;
};


} // namespace execd
