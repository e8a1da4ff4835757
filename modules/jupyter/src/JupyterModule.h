#pragma once

#include "KernelHost.h"
#include "KernelExecutor.h"
#include "execd/Module.h"
#include <memory>
#include <string>
#include <thread>
#include <vector>


namespace execd {
namespace jupyter {


class JupyterModule: public Module
	/// Code contexts in Jupyter kernels: python, javascript, typescript and any
	/// language whose kernel is installed and mapped. By default execd starts the
	/// kernels itself and speaks their protocol (DirectHost); with a host, or mode =
	/// server, it goes through a Jupyter server (ServerHost).
	///
	/// Settings (module.jupyter.*):
	///   mode                    direct (default) or server: a Jupyter server, the one of host,
	///                           or, without a host, one execd starts (embedded)
	///   host                    external Jupyter server, http(s)://host:port; flag --jupyter-host,
	///                           env JUPYTER_HOST. Implies mode = server.
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
	///   spareKernels.<language> ready kernels kept for new contexts (python 1, others 0)
	///   heartbeatTimeoutMillis  direct: a kernel that answered its heartbeat, then leaves a ping
	///                           unanswered this long, is killed and restarted (default 10000; 0 = off)
{
public:
	// execd::Module
	std::string name() const override;
	void configure(ModuleContext& context) override;
	std::vector<ExecutorBinding> executors() override;
	void start() override;
		/// Starts the host and, unless prewarm is off, the default python context, then the spares.
	void shutdown() override;
		/// Runs in progress end with an error event; stops the host and its kernels.

private:
	static std::map<std::string, std::string> kernelsFrom(ModuleContext& context);
		/// language -> kernelspec: the defaults, changed by the kernel.<language> keys.
	static std::map<std::string, int> sparesFrom(ModuleContext& context);
		/// language -> spares: python 1, changed by the spareKernels.<language> keys.

	std::unique_ptr<KernelHost> _pHost;
	std::unique_ptr<KernelExecutor> _pExecutor;
	bool _prewarm = true;
	std::thread _prewarmThread;
};


} } // namespace execd::jupyter
