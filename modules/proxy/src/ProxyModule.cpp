#include "ConnectionPool.h"
#include "ProxyHandler.h"
#include "execd/ApiException.h"
#include "execd/Http.h"
#include "execd/Module.h"
#include "Poco/ClassLibrary.h"


namespace execd {
namespace proxy {


namespace {


class MissingPortHandler: public Poco::Net::HTTPRequestHandler
{
public:
	void handleRequest(Poco::Net::HTTPServerRequest&, Poco::Net::HTTPServerResponse& response) override
	{
		Http::sendError(response, ApiException::badRequest("port is required: /proxy/{port}/{path}"));
	}
};


} // namespace


class ProxyModule: public Module
	/// /proxy/{port}/{path...} to 127.0.0.1:{port}: how the SDK reaches execd (and
	/// any port in the sandbox) from outside a bridge network.
	///
	///     module.proxy.idleTimeoutMillis = 600000   # 1 s .. 24 h: an upstream read, write or tunnel without progress
	///     module.proxy.bodyTimeoutMillis = 60000    # 100 ms .. 1 h: a request body read without progress (408)
{
public:
	std::string name() const override
	{
		return "proxy";
	}

	void configure(ModuleContext& context) override
	{
		ConfigReader settings = context.settings();
		_settings.idleTimeout = settings.getMillis("idleTimeoutMillis", _settings.idleTimeout,
			std::chrono::milliseconds(1000), std::chrono::hours(24));
		_settings.bodyTimeout = settings.getMillis("bodyTimeoutMillis", _settings.bodyTimeout,
			std::chrono::milliseconds(100), std::chrono::hours(1));
	}

	std::vector<Route> routes() override
	{
		std::vector<Route> routes;
		ProxySettings settings = _settings;
		for (const char* method: {"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"})
		{
			auto make = [settings](const RouteMatch& m) { return std::make_unique<ProxyHandler>(m, settings); };
			routes.push_back({method, "/proxy/{port}", make});
			routes.push_back({method, "/proxy/{port}/{rest*}", make});
			routes.push_back({method, "/proxy", [](const RouteMatch&) { return std::make_unique<MissingPortHandler>(); }});
		}
		return routes;
	}

	void start() override
	{
		ConnectionPool::instance().start();
	}

	void shutdown() override
	{
		ConnectionPool::instance().stop();
	}

private:
	ProxySettings _settings;
};


} } // namespace execd::proxy


POCO_BEGIN_MANIFEST(execd::Module)
	POCO_EXPORT_CLASS(execd::proxy::ProxyModule)
POCO_END_MANIFEST
