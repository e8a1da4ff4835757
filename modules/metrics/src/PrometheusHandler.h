#pragma once

#include "Sampler.h"
#include "Poco/Net/HTTPRequestHandler.h"
#include "Poco/Net/HTTPServerRequest.h"
#include "Poco/Net/HTTPServerResponse.h"


namespace execd {
namespace metrics {


class PrometheusHandler: public Poco::Net::HTTPRequestHandler
	/// GET /metrics/prometheus: process, host and execd gauges in the text format.
	/// The host gauges are left out while the sampler reports an error.
{
public:
	explicit PrometheusHandler(Sampler& sampler);
		/// The sampler is borrowed; it outlives the handler.

	// Poco::Net::HTTPRequestHandler
	void handleRequest(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response) override;

private:
	struct ProcessStats
		/// execd's own process, from /proc/self.
	{
		double rss = 0, vsize = 0, cpuSeconds = 0, fds = 0, threads = 0, startTime = 0;
	};

	static ProcessStats processStats();

	Sampler& _sampler;
};


} } // namespace execd::metrics
