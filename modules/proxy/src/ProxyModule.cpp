#include "ProxyModule.h"
#include "execd/Capabilities.h"
#include "ConnectionPool.h"
#include "ProxyHandler.h"
#include "execd/ApiException.h"
#include "execd/Http.h"
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


std::string ProxyModule::name() const
{
	return "proxy";
}


void ProxyModule::configure(ModuleContext& context)
{
	ConfigReader settings = context.settings();
	_settings.idleTimeout = settings.getMillis("idleTimeoutMillis", _settings.idleTimeout,
		std::chrono::milliseconds(1000), std::chrono::hours(24));
	_settings.bodyTimeout = settings.getMillis("bodyTimeoutMillis", _settings.bodyTimeout,
		std::chrono::milliseconds(100), std::chrono::hours(1));
	Capabilities::instance().setLimit("module.proxy.bodyTimeoutMillis", static_cast<Poco::Int64>(_settings.bodyTimeout.count()));
	Capabilities::instance().setLimit("module.proxy.idleTimeoutMillis", static_cast<Poco::Int64>(_settings.idleTimeout.count()));
}


std::vector<Route> ProxyModule::routes()
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


void ProxyModule::start()
{
	ConnectionPool::instance().start();
}


void ProxyModule::shutdown()
{
	ConnectionPool::instance().stop();
}


} } // namespace execd::proxy


POCO_BEGIN_MANIFEST(execd::Module)
	POCO_EXPORT_CLASS(execd::proxy::ProxyModule)
POCO_END_MANIFEST
