#include "BodyForwarder.h"
#include "UpstreamReader.h"
#include "execd/Http.h"
#include "execd/ApiException.h"
#include <cstdio>
#include <poll.h>
#include <sys/socket.h>
#include <vector>


namespace execd {
namespace proxy {


namespace {


Poco::Timespan timespan(std::chrono::milliseconds millis)
{
	return Poco::Timespan(static_cast<long>(millis.count() / 1000), static_cast<long>((millis.count() % 1000) * 1000));
}


bool peerClosed(const Poco::Net::StreamSocket& socket)
{
	// The client shut down its side, or the connection broke.
	struct pollfd p{socket.impl()->sockfd(), POLLIN | POLLRDHUP, 0};
	if (::poll(&p, 1, 0) <= 0) return false;
	if (p.revents & (POLLRDHUP | POLLHUP | POLLERR | POLLNVAL)) return true;
	char c;
	return ::recv(p.fd, &c, 1, MSG_PEEK | MSG_DONTWAIT) == 0;
}


class ReceiveTimeout
	/// Sets a socket's receive timeout for a scope; the connection's own comes back after.
{
public:
	ReceiveTimeout(Poco::Net::StreamSocket& socket, std::chrono::milliseconds timeout):
		_socket(socket),
		_saved(socket.getReceiveTimeout())
	{
		_socket.setReceiveTimeout(timespan(timeout));
	}

	~ReceiveTimeout()
	{
		try
		{
			_socket.setReceiveTimeout(_saved);
		}
		catch (Poco::Exception&)
		{
		}
	}

private:
	Poco::Net::StreamSocket& _socket;
	Poco::Timespan _saved;
};


} // namespace


BodyForwarder::BodyForwarder(Poco::Net::HTTPServerRequest& request, std::chrono::milliseconds timeout):
	_request(request),
	_client(Http::socketOf(request)),
	_timeout(timeout),
	_chunked(request.getChunkedTransferEncoding())
{
}


void BodyForwarder::forward(Poco::Net::StreamSocket& upstream)
{
	// A read that times out or fails puts the stream in a bad state rather than
	// throwing.
	ReceiveTimeout timeout(_client, _timeout);
	std::istream& in = _request.stream();
	std::vector<char> buffer(64 * 1024);
	long long received = 0;
	while (in)
	{
		in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
		std::size_t n = static_cast<std::size_t>(in.gcount());
		if (n == 0) break;
		received += static_cast<long long>(n);
		if (_chunked)
		{
			char size[32];
			int len = std::snprintf(size, sizeof(size), "%zx\r\n", n);
			sendAll(upstream, size, static_cast<std::size_t>(len));
			sendAll(upstream, buffer.data(), n);
			sendAll(upstream, "\r\n", 2);
		}
		else
		{
			sendAll(upstream, buffer.data(), n);
		}
	}
	checkComplete(received, in.bad());
	if (_chunked) sendAll(upstream, "0\r\n\r\n", 5);
}


void BodyForwarder::checkComplete(long long received, bool failed) const
{
	const bool closed = peerClosed(_client);
	if (failed && !closed)
		throw ApiException(408, ErrorCode::INVALID_REQUEST_BODY, "request body not received in time");
	const long long expected = !_chunked && _request.hasContentLength() ? _request.getContentLength64() : -1;
	if (failed || (expected >= 0 && received < expected) || (_chunked && closed))
	{
		std::string what = expected >= 0
			? std::to_string(received) + " of " + std::to_string(expected) + " bytes"
			: "a chunked body without its last chunk";
		throw ApiException::badRequest("the client closed the connection in the middle of the request body (" + what + ")");
	}
}


} } // namespace execd::proxy
