#include "JupyterServer.h"
#include "KernelExecutor.h"
#include "execd/ApiException.h"
#include "execd/Metrics.h"
#include "execd/Module.h"
#include "execd/Paths.h"
#include "Poco/ClassLibrary.h"
#include <thread>


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
	std::string name() const override
	{
		return "jupyter";
	}

	void configure(ModuleContext& context) override
	{
		ConfigReader settings = context.settings();
		JupyterSettings s;
		s.host = settings.getString("host", "");
		s.token = settings.getString("token", "");
		auto idlePoll = settings.getMillis("idlePollIntervalMillis", std::chrono::milliseconds(100),
			std::chrono::milliseconds(-1000000000), std::chrono::hours(1));
		(void) idlePoll;
		// Where the image has it: pip puts it in /usr/local/bin, Debian in /usr/bin.
		std::string found = Paths::findExecutable("jupyter-server", {s.serverCommand});
		s.serverCommand = settings.getString("serverCommand", found.empty() ? s.serverCommand : found);
		s.startupTimeout = settings.getMillis("startupTimeoutMillis", s.startupTimeout, std::chrono::milliseconds(100), std::chrono::hours(1));
		s.kernelStartTimeout = settings.getMillis("kernelStartTimeoutMillis", s.kernelStartTimeout, std::chrono::milliseconds(100), std::chrono::hours(1));
		if (!s.host.empty() && s.host.rfind("http://", 0) != 0 && s.host.rfind("https://", 0) != 0)
			throw ConfigurationException("module.jupyter.host: '" + s.host + "' must start with http:// or https://");
		s.rawMessages = settings.getBool("rawMessages", true);
		_prewarm = settings.getBool("prewarm", true);

		std::map<std::string, std::string> kernels{{"python", "python3"}, {"javascript", "javascript"}, {"typescript", "tslab"}};
		Poco::Util::AbstractConfiguration::Keys keys;
		context.config().keys("kernel", keys);
		for (const std::string& language: keys)
		{
			std::string spec = settings.getString("kernel." + language, "");
			if (spec.empty())
				kernels.erase(language);   // an empty value switches a language off
			else
				kernels[language] = spec;
		}
		_pServer = std::make_unique<JupyterServer>(s);
		_pExecutor = std::make_unique<KernelExecutor>(*_pServer, kernels, s);
		std::string list;
		for (const auto& k: kernels) list += (list.empty() ? "" : ", ") + k.first + "=" + k.second;
		context.logger().information("%s Jupyter server; kernels: %s", std::string(s.host.empty() ? "embedded" : "external " + s.host), list);
	}

	std::vector<ExecutorBinding> executors() override
	{
		std::vector<ExecutorBinding> bindings;
		for (const auto& k: _pExecutor->kernels())
			bindings.push_back(ExecutorBinding::code(k.first, *_pExecutor));
		return bindings;
	}

	void start() override
	{
		KernelExecutor* pExecutor = _pExecutor.get();
		Metrics::instance().addGauge("execd_live_kernels", "Code contexts with a Jupyter kernel.",
			[pExecutor] { return static_cast<double>(pExecutor->listContexts().size()); });
		_pServer->start();
		if (_prewarm && _pExecutor->kernels().count("python"))
			_prewarmThread = std::thread([this] { _pExecutor->prewarm("python"); });
	}

	void shutdown() override
	{
		// Runs end with an error event; stopping the server also ends a pre-warm
		// that is still waiting for its kernel.
		Metrics::instance().removeGauge("execd_live_kernels");
		_pExecutor->shutdown();
		_pServer->stop();
		if (_prewarmThread.joinable()) _prewarmThread.join();
	}

private:
	std::unique_ptr<JupyterServer> _pServer;
	std::unique_ptr<KernelExecutor> _pExecutor;
	bool _prewarm = true;
	std::thread _prewarmThread;
};


} } // namespace execd::jupyter


POCO_BEGIN_MANIFEST(execd::Module)
	POCO_EXPORT_CLASS(execd::jupyter::JupyterModule)
POCO_END_MANIFEST
