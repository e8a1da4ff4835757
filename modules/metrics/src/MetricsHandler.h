#pragma once

#include "Sampler.h"
#include "execd/JsonHandler.h"


namespace execd {
namespace metrics {


class MetricsHandler: public JsonHandler
	/// GET /metrics: the last sample, at once (upstream samples for a second per request).
	/// A sample that could not be read is a 500 RUNTIME_ERROR.
{
public:
	MetricsHandler(const RouteMatch& match, Sampler& sampler);
		/// The sampler is borrowed; it outlives the handler.

protected:
	// execd::JsonHandler
	void handle(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response) override;

private:
	Sampler& _sampler;
};


} } // namespace execd::metrics
