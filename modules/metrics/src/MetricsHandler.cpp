#include "MetricsHandler.h"
#include "execd/ApiException.h"
#include "execd/Http.h"


namespace execd {
namespace metrics {


MetricsHandler::MetricsHandler(const RouteMatch& match, Sampler& sampler):
	JsonHandler(match),
	_sampler(sampler)
{
}


void MetricsHandler::handle(Poco::Net::HTTPServerRequest&, Poco::Net::HTTPServerResponse& response)
{
	Snapshot s = _sampler.latest(std::chrono::seconds(3));
	if (!s.error.empty()) throw ApiException::runtimeError("error reading runtime metrics. " + s.error);
	Http::sendJson(response, s.toJson());
}


} } // namespace execd::metrics
