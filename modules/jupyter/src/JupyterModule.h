#pragma once

#include "JupyterServer.h"
#include "KernelExecutor.h"
#include "execd/Module.h"
#include <memory>
#include <string>
#include <thread>
#include <vector>


namespace execd {
namespace jupyter {


class JupyterModule: public Module
	/// Code contexts through a Jupyter server: python, javascript, typescript and
	/// any language whose kernel is installed and mapped.
	///
	/// Settings (module.jupyter.*):
	///   host                    external Jupyter server, http(s)://host:port; flag --jupyter-host,
	///                           env JUPYTER_HOST. Empty (default): execd starts its own.
	///   token                   its token; flag --jupyter-token, env JUPYTER_TOKEN
	///   idlePollIntervalMillis  accepted for upstream compatibility, unused: runs end on the
	///                           kernel's own messages (default 100)
	///   serverCommand           the embedded server (default: jupyter-server on the PATH, else
	///                           /usr/bin/jupyter-server)
	///   startupTimeoutMillis    how long to wait for the server (default 30000)
	///   kernelStartTimeoutMillis  how long to wait for a new kernel (default 60000)
	///   kernel.<language>       kernelspec for a language (python = python3,
	///                           javascript = javascript, typescript = tslab)
	///   prewarm                 start the default python context at startup (default true)
{
public:
	// execd::Module
	std::string name() const override;
	void configure(ModuleContext& context) override;
	std::vector<ExecutorBinding> executors() override;
	void start() override;
		/// Starts the server (embedded) and, unless prewarm is off, the default python context.
	void shutdown() override;
		/// Runs in progress end with an error event; stops the server.

private:
	static std::map<std::string, std::string> kernelsFrom(ModuleContext& context);
		/// language -> kernelspec: the defaults, changed by the kernel.<language> keys.

	std::unique_ptr<JupyterServer> _pServer;
	std::unique_ptr<KernelExecutor> _pExecutor;
	bool _prewarm = true;
	std::thread _prewarmThread;
};


} } // namespace execd::jupyter
