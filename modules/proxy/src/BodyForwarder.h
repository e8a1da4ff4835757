#pragma once

#include "Poco/Net/HTTPServerRequest.h"
#include "Poco/Net/StreamSocket.h"
#include <chrono>


namespace execd {
namespace proxy {


class BodyForwarder
	/// Streams a request body from the client to the upstream, re-chunking a
	/// chunked one, and makes sure a body that did not arrive whole is never
	/// passed on as complete.
	///
	/// POCO's body streams end quietly when the connection ends, inside a chunk or
	/// short of Content-Length alike; so the bytes are counted, and a chunked body
	/// counts as complete only while the client's connection is open (a client
	/// that half-closes right after the last chunk counts as gone, as nginx counts
	/// it). Each read waits at most the body timeout.
{
public:
	BodyForwarder(Poco::Net::HTTPServerRequest& request, std::chrono::milliseconds timeout);

	void forward(Poco::Net::StreamSocket& upstream);
		/// Sends the body, and the terminating chunk only once the body is known to
		/// be complete. Throws ApiException 408 INVALID_REQUEST_BODY "request body not
		/// received in time" when a read timed out on a client still connected, and
		/// 400 when the client closed the connection within the body; the caller
		/// must then close the upstream connection without reusing it.

private:
	void checkComplete(long long received, bool failed) const;

	Poco::Net::HTTPServerRequest& _request;
	Poco::Net::StreamSocket& _client;
	std::chrono::milliseconds _timeout;
	bool _chunked;
};


} } // namespace execd::proxy
