#include "JupyterModule.h"
#include "KernelChannel.h"
#include "execd/Capabilities.h"
#include "DirectHost.h"
#include "JupyterSettings.h"
#include "ServerHost.h"
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
	Capabilities::instance().setLimit("jupyter.kernelMessageMaxBytes", KernelChannel::MAX_MESSAGE_BYTES);
	s.spareKernels = sparesFrom(context);
	_prewarm = context.settings().getBool("prewarm", true);
	std::map<std::string, std::string> kernels = kernelsFrom(context);
	if (s.mode == JupyterSettings::Mode::DIRECT)
		_pHost = std::make_unique<DirectHost>(s);
	else
		_pHost = std::make_unique<ServerHost>(s);
	_pExecutor = std::make_unique<KernelExecutor>(*_pHost, kernels, s);
	std::string list;
	for (const auto& k: kernels) list += (list.empty() ? "" : ", ") + k.first + "=" + k.second;
	context.logger().information("%s; kernels: %s", _pHost->describe(), list);
}


std::map<std::string, int> JupyterModule::sparesFrom(ModuleContext& context)
{
	ConfigReader settings = context.settings();
	std::map<std::string, int> spares{{"python", 1}};
	Poco::Util::AbstractConfiguration::Keys keys;
	context.config().keys("spareKernels", keys);
	for (const std::string& language: keys)
		spares[language] = settings.getInt("spareKernels." + language, 0, 0, 64);
	return spares;
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
	if (auto pDirect = dynamic_cast<DirectHost*>(_pHost.get()))
		Metrics::instance().addGauge("execd_jupyter_bad_signatures", "Kernel messages dropped for a bad signature.",
			[pDirect] { return static_cast<double>(pDirect->badSignatures()); });
	_pHost->start();
	const bool prewarm = _prewarm && _pExecutor->kernels().count("python");
	// The spares after the default context: not two kernels starting at once.
	_prewarmThread = std::thread([this, prewarm]
	{
		if (prewarm) _pExecutor->prewarm("python");
		_pExecutor->startSpares();
	});
}


void JupyterModule::shutdown()
{
	// Runs end with an error event, and so does a pre-warm that is still
	// waiting for its kernel.
	Metrics::instance().removeGauge("execd_live_kernels");
	Metrics::instance().removeGauge("execd_jupyter_bad_signatures");
	_pExecutor->shutdown();
	if (_prewarmThread.joinable()) _prewarmThread.join();
	_pExecutor->shutdown();   // the spares' thread the pre-warm started
	_pHost->stop();
}


} } // namespace execd::jupyter


POCO_BEGIN_MANIFEST(execd::Module)
	POCO_EXPORT_CLASS(execd::jupyter::JupyterModule)
POCO_END_MANIFEST
