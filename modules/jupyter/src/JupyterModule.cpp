#include "execd/ApiException.h"
#include "execd/Module.h"
#include "Poco/ClassLibrary.h"


namespace execd {
namespace jupyter {


class JupyterModule: public Module
	/// Code contexts through a Jupyter server (python, javascript, typescript, ...).
	///
	/// Settings (module.jupyter.*):
	///   host                    external Jupyter server, http(s)://host:port; flag --jupyter-host, env JUPYTER_HOST
	///   token                   its token; flag --jupyter-token, env JUPYTER_TOKEN
	///   idlePollIntervalMillis  accepted for upstream compatibility (default 100)
	///
	/// The kernel client and the executors come with the Jupyter issue (#4); this
	/// release validates the settings so that a bad host stops startup.
{
public:
	std::string name() const override
	{
		return "jupyter";
	}

	void configure(ModuleContext& context) override
	{
		ConfigReader settings = context.settings();
		_host = settings.getString("host", "");
		_token = settings.getString("token", "");
		_idlePoll = settings.getMillis("idlePollIntervalMillis", std::chrono::milliseconds(100),
			std::chrono::milliseconds(-1000000000), std::chrono::hours(1));
		if (_idlePoll.count() <= 0) _idlePoll = std::chrono::milliseconds(100);   // as upstream: <= 0 means the default
		if (!_host.empty() && _host.rfind("http://", 0) != 0 && _host.rfind("https://", 0) != 0)
			throw ConfigurationException("module.jupyter.host: '" + _host + "' must start with http:// or https://");
		if (_host.empty())
			context.logger().information("no external Jupyter server configured");
		else
			context.logger().information("external Jupyter server: %s", _host);
	}

private:
	std::string _host;
	std::string _token;
	std::chrono::milliseconds _idlePoll{100};
};


} } // namespace execd::jupyter


POCO_BEGIN_MANIFEST(execd::Module)
	POCO_EXPORT_CLASS(execd::jupyter::JupyterModule)
POCO_END_MANIFEST
