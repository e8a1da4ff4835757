#pragma once

#include "Sampler.h"
#include "Poco/Net/HTTPRequestHandler.h"
#include "Poco/Net/HTTPServerRequest.h"
#include "Poco/Net/HTTPServerResponse.h"
#include "Poco/Net/StreamSocket.h"


namespace execd {
namespace metrics {


class WatchHandler: public Poco::Net::HTTPRequestHandler
	/// GET /metrics/watch: one JSON line every two samples (≈2 s) until the client
	/// goes away. Every watcher waits on the one sampler's tick.
{
public:
	WatchHandler(Sampler& sampler, int ticksPerLine);
		/// The sampler is borrowed; it outlives the handler. A line goes out on the
		/// first sample, then every ticksPerLine samples.

	// Poco::Net::HTTPRequestHandler
	void handleRequest(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response) override;
		/// Returns when the client has gone, a write fails or the sampler stops.

private:
	static bool peerClosed(Poco::Net::StreamSocket& socket);

	Sampler& _sampler;
	int _ticksPerLine;
};


} } // namespace execd::metrics
