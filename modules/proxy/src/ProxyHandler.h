#pragma once

#include "UpstreamReader.h"
#include "execd/ApiException.h"
#include "execd/Route.h"
#include "Poco/Net/HTTPRequestHandler.h"
#include "Poco/Net/HTTPServerRequest.h"
#include "Poco/Net/HTTPServerResponse.h"
#include "Poco/Net/StreamSocket.h"
#include <chrono>
#include <exception>
#include <memory>
#include <string>


namespace execd {
namespace proxy {


struct ProxySettings
	/// Settings under module.proxy (see etc/execd.properties).
{
	std::chrono::milliseconds idleTimeout{600000};
		///< an upstream read or write, or a tunnel, without progress for this long fails
	std::chrono::milliseconds bodyTimeout{60000};
		///< a request body that makes no progress for this long is cut off (408)
	std::chrono::milliseconds connectTimeout{10000};
};


class ProxyHandler: public Poco::Net::HTTPRequestHandler
	/// /proxy/{port}/{path...}: the request to 127.0.0.1:{port}, bodies streamed
	/// both ways, WebSocket upgrades tunnelled.
	///
	/// A request body that ends before its Content-Length, or a chunked body whose
	/// client closes the connection before (or instead of) the terminating chunk,
	/// aborts the upstream request: the upstream connection is closed without a
	/// terminating chunk and never pooled, so the upstream never sees a cut-off
	/// body as complete. A body that makes no progress for bodyTimeout does the
	/// same, and the client gets 408 {"code":"INVALID_REQUEST_BODY"}.
	///
	/// An upstream that cannot be reached or fails (a reset, a timeout, a
	/// malformed status line) is a 502 RUNTIME_ERROR "bad gateway: ..." while the
	/// response has not started; after that the client connection is closed
	/// instead. Any other error is mapped by Http::translate.
{
public:
	ProxyHandler(const RouteMatch& match, const ProxySettings& settings);
	~ProxyHandler() override;

	void handleRequest(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response) override;

private:
	struct Framing
		/// How the upstream's response is to be relayed.
	{
		int status = 0;
		long long length = -1;   ///< the upstream's Content-Length, or -1
		bool chunked = false;    ///< the upstream's body is chunked
		bool reusable = false;   ///< the connection may go back to the pool after the body
	};

	void forward(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response);
	void parsePort();
	std::string sendRequest(Poco::Net::HTTPServerRequest& request, bool upgrade);
	std::string requestHead(Poco::Net::HTTPServerRequest& request, bool upgrade, bool chunked) const;
	void sendHead(const std::string& head, bool mayPool);
	void readResponseHead(const std::string& head, int& status, std::string& reason, UpstreamReader::Headers& headers);
	Framing writeResponseHead(Poco::Net::HTTPServerResponse& response, const std::string& head, bool upgrade);
	void relay(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response, const Framing& framing);
	void relayChunked(Poco::Net::HTTPServerResponse& response, bool reusable);
	void relaySized(Poco::Net::HTTPServerResponse& response, Poco::Net::StreamSocket& client, long long length, bool reusable);
	void relayUntilClose(Poco::Net::HTTPServerResponse& response);
	void tunnel(Poco::Net::StreamSocket& client);
	void release();
	void abort();
	std::unique_ptr<Poco::Net::StreamSocket> connect() const;
	ApiException clientError(const std::exception& exc, const Poco::Net::HTTPServerRequest& request) const;

	RouteMatch _match;
	ProxySettings _settings;
	int _port = 0;
	std::unique_ptr<Poco::Net::StreamSocket> _pUpstream;
	std::unique_ptr<UpstreamReader> _pReader;
	bool _pooled = false;
	bool _bodyStarted = false;
};


} } // namespace execd::proxy
