#include "JupyterModule.h"
#include "JupyterSettings.h"
#include "execd/Metrics.h"
#include "Poco/ClassLibrary.h"


namespace execd {
namespace jupyter {


std::string JupyterModule::name() const
{
	return "jupyter";
}


void JupyterModule::configure(ModuleContext& context)
{
	JupyterSettings s = JupyterSettings::from(context.settings());
	_prewarm = context.settings().getBool("prewarm", true);
	std::map<std::string, std::string> kernels = kernelsFrom(context);
	_pServer = std::make_unique<JupyterServer>(s);
	_pExecutor = std::make_unique<KernelExecutor>(*_pServer, kernels, s);
	std::string list;
	for (const auto& k: kernels) list += (list.empty() ? "" : ", ") + k.first + "=" + k.second;
	context.logger().information("%s Jupyter server; kernels: %s", std::string(s.host.empty() ? "embedded" : "external " + s.host), list);
}


std::map<std::string, std::string> JupyterModule::kernelsFrom(ModuleContext& context)
{
	ConfigReader settings = context.settings();
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
	return kernels;
}


std::vector<ExecutorBinding> JupyterModule::executors()
{
	std::vector<ExecutorBinding> bindings;
	for (const auto& k: _pExecutor->kernels())
		bindings.push_back(ExecutorBinding::code(k.first, *_pExecutor));
	return bindings;
}


void JupyterModule::start()
{
	KernelExecutor* pExecutor = _pExecutor.get();
	Metrics::instance().addGauge("execd_live_kernels", "Code contexts with a Jupyter kernel.",
		[pExecutor] { return static_cast<double>(pExecutor->listContexts().size()); });
	_pServer->start();
	if (_prewarm && _pExecutor->kernels().count("python"))
		_prewarmThread = std::thread([this] { _pExecutor->prewarm("python"); });
}


void JupyterModule::shutdown()
{
	// Runs end with an error event; stopping the server also ends a pre-warm
	// that is still waiting for its kernel.
	Metrics::instance().removeGauge("execd_live_kernels");
	_pExecutor->shutdown();
	_pServer->stop();
	if (_prewarmThread.joinable()) _prewarmThread.join();
}


} } // namespace execd::jupyter


POCO_BEGIN_MANIFEST(execd::Module)
	POCO_EXPORT_CLASS(execd::jupyter::JupyterModule)
POCO_END_MANIFEST
