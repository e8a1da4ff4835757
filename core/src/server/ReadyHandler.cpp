#include "server/ReadyHandler.h"
#include "execd/Http.h"


namespace execd {


namespace {


class ReadyHandler: public Poco::Net::HTTPRequestHandler
{
public:
	explicit ReadyHandler(const std::atomic<bool>& ready):
		_ready(ready)
	{
	}

	void handleRequest(Poco::Net::HTTPServerRequest&, Poco::Net::HTTPServerResponse& response) override
	{
		if (_ready)
			Http::sendJson(response, std::string("{\"initialized\":true}"));
		else
			Http::sendJson(response, std::string("{\"initialized\":false}"), 503);
	}

private:
	const std::atomic<bool>& _ready;
};


} // namespace


Route readyRoute(const std::atomic<bool>& ready)
{
	const std::atomic<bool>* pReady = &ready;
	return {"GET", "/ready", [pReady](const RouteMatch&) { return std::make_unique<ReadyHandler>(*pReady); }};
}


} // namespace execd
