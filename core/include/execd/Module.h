#pragma once

#include "execd/Executor.h"
#include "execd/ModuleContext.h"
#include "execd/Route.h"
#include <string>
#include <vector>


namespace execd {


class EXECD_API Module
	/// A backend loaded from a shared library listed in execd.properties.
	///
	/// Driven by ModuleLoader: configure() -> routes() / executors() -> serve ->
	/// shutdown() -> destroyed -> library unloaded. A library exports its module
	/// classes with a Poco manifest:
	///
	///     POCO_BEGIN_MANIFEST(execd::Module)
	///         POCO_EXPORT_CLASS(execd::shell::ShellModule)
	///     POCO_END_MANIFEST
{
public:
	virtual ~Module();

	virtual std::string name() const = 0;
		/// Lowercase; also the configuration prefix "module.<name>." and the logger
		/// "execd.<name>".

	virtual void configure(ModuleContext& context) = 0;
		/// Reads settings once and builds executors. Throws ConfigurationException
		/// (or any Poco::Exception) to stop startup. The context outlives the module's
		/// use of it.

	virtual std::vector<Route> routes();
		/// Routes this module serves. Called once, after configure().

	virtual std::vector<ExecutorBinding> executors();
		/// Executors this module owns, e.g. {"code","python"} or {"command","command"}.
		/// Called once, after configure().

	virtual void start();
		/// Called once every module is configured and registered, before the server
		/// accepts connections. Start background work here.

	virtual void shutdown();
		/// Interrupts running work so that open streams end with their final event,
		/// stops child processes and joins threads. Called in reverse load order,
		/// after the server stopped accepting. Requests already being handled may
		/// still call the module's executors and handlers afterwards (they should
		/// refuse new work); the module is destroyed only after every request
		/// thread has finished, and its library unloaded after that.

	virtual int apiVersion() const
		/// The module API version this module was compiled against. Inline on
		/// purpose: it reports the headers of the module's build, not the core's.
	{
		return MODULE_API_VERSION;
	}
};


} // namespace execd
