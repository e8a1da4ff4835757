// The request head parser and body framing, as HttpConnection uses them: the
// input is the byte stream a client sends on one connection.
//
// fuzzRequestHead() runs the stages in order: where the head ends
// (RequestHead::findEnd, all at once and as the reactor sees it, piece by
// piece), the head from memory, then the whole connection; each parsed head
// goes through RequestHead::validate as HttpConnection::serveOne does.

#include "FuzzSupport.h"
#include "http/RequestHead.h"
#include "execd/Http.h"
#include "Poco/Net/HTTPRequest.h"
#include "Poco/Net/HTTPServerParams.h"
#include "Poco/Net/HTTPServerRequestImpl.h"
#include "Poco/Net/HTTPServerResponseImpl.h"
#include "Poco/Net/HTTPServerSession.h"
#include "Poco/Net/NetException.h"
#include "Poco/Net/StreamSocket.h"
#include "Poco/Net/StreamSocketImpl.h"
#include <algorithm>
#include <sstream>
#include <sys/socket.h>
#include <unistd.h>


using execd::fuzz::require;


namespace {


constexpr int MAX_REQUESTS = 8;   // per connection, as pipelined


void findEnd(const std::string& bytes)
	// The end of the head found in one call equals the one found by calls on
	// growing prefixes that pass the previous size as from.
{
	using execd::RequestHead;
	const std::size_t whole = RequestHead::findEnd(bytes.data(), bytes.size());
	require(whole == RequestHead::NPOS || (whole > 0 && whole <= bytes.size()), "findEnd() outside the bytes");
	std::size_t step = bytes.empty() ? 1 : 1 + static_cast<unsigned char>(bytes[0]) % 7;
	std::size_t from = 0;
	std::size_t end = RequestHead::NPOS;
	for (std::size_t size = std::min(step, bytes.size()); ; size = std::min(size + step, bytes.size()))
	{
		end = RequestHead::findEnd(bytes.data(), size, from);
		if (end != RequestHead::NPOS || size == bytes.size()) break;
		from = size;
	}
	require(end == whole, "findEnd() piece by piece differs from findEnd() at once");
}


void validateHead(const Poco::Net::HTTPRequest& request)
	// What execd decides from a parsed head before it dispatches: RequestHead's
	// checks (ApiException for a head that must not be served), then what the
	// connection reads of it.
{
	execd::RequestHead::validate(request);
	execd::RequestHead::isHttp10(request);
	request.getMethod();
	request.getURI();
	request.getVersion();
	request.getKeepAlive();
	request.getChunkedTransferEncoding();
	if (request.hasContentLength())
		request.getContentLength64();   // throws Poco::SyntaxException for a malformed value
}


void parseHead(const std::string& bytes)
	// Poco::Net::HTTPRequest::read() from memory, as the first request on a connection.
{
	std::istringstream in(bytes);
	Poco::Net::HTTPRequest request;
	execd::fuzz::expectBadInput([&] {
		request.read(in);
		validateHead(request);
	});
}


std::streamsize readBody(std::istream& body, std::streamsize limit)
{
	char buffer[4096];
	std::streamsize total = 0;
	while (body && total <= limit)
	{
		body.read(buffer, sizeof(buffer));
		std::streamsize n = body.gcount();
		if (n <= 0) break;
		total += n;
	}
	return total;
}


void serveConnection(const std::string& bytes)
	// The bytes through HTTPServerSession, HTTPServerRequestImpl and its body
	// stream (chunked, fixed-length or to the end), request after request, as
	// HttpConnection::run() does.
{
	int fds[2];
	require(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) == 0, "socketpair failed");
	int bufferSize = 4 * 1024 * 1024;
	::setsockopt(fds[0], SOL_SOCKET, SO_SNDBUF, &bufferSize, sizeof(bufferSize));
	std::size_t written = 0;
	while (written < bytes.size())
	{
		ssize_t n = ::write(fds[0], bytes.data() + written, bytes.size() - written);
		require(n > 0, "socketpair write failed (input longer than the socket buffer?)");
		written += static_cast<std::size_t>(n);
	}
	::shutdown(fds[0], SHUT_WR);

	Poco::Net::StreamSocket socket(new Poco::Net::StreamSocketImpl(fds[1]));
	Poco::Net::HTTPServerParams::Ptr pParams = new Poco::Net::HTTPServerParams;
	pParams->setKeepAlive(true);
	Poco::Net::HTTPServerSession session(socket, pParams);
	const std::streamsize limit = static_cast<std::streamsize>(bytes.size());
	std::streamsize consumed = 0;
	for (int i = 0; i < MAX_REQUESTS; ++i)
	{
		try
		{
			Poco::Net::HTTPServerResponseImpl response(session);
			Poco::Net::HTTPServerRequestImpl request(response, session, pParams);
			validateHead(request);
			bool keepAlive = request.getKeepAlive();
			if (execd::Http::hasBody(request))
			{
				consumed += readBody(request.stream(), limit);
				require(consumed <= limit, "more body bytes than the connection carried");
			}
			if (!keepAlive) break;
		}
		catch (Poco::Net::NoMessageException&)
		{
			break;
		}
		catch (Poco::Exception&)
		{
			break;
		}
	}
	::close(fds[0]);
}


} // namespace


void fuzzRequestHead(const uint8_t* data, size_t size);
	/// Every stage on one input: the head from memory, then the whole connection.


void fuzzRequestHead(const uint8_t* data, size_t size)
{
	const std::string bytes(reinterpret_cast<const char*>(data), size);
	findEnd(bytes);
	parseHead(bytes);
	serveConnection(bytes);
}


extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
	fuzzRequestHead(data, size);
	return 0;
}
