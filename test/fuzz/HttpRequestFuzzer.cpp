// The request head parser and body framing, as HttpConnection uses them: the
// input is the byte stream a client sends on one connection.
//
// fuzzRequestHead() runs the stages in order; a head validator slots in as one
// more stage (see validateHead()).

#include "FuzzSupport.h"
#include "execd/Http.h"
#include "Poco/Net/HTTPRequest.h"
#include "Poco/Net/HTTPServerParams.h"
#include "Poco/Net/HTTPServerRequestImpl.h"
#include "Poco/Net/HTTPServerResponseImpl.h"
#include "Poco/Net/HTTPServerSession.h"
#include "Poco/Net/NetException.h"
#include "Poco/Net/StreamSocket.h"
#include "Poco/Net/StreamSocketImpl.h"
#include <sstream>
#include <sys/socket.h>
#include <unistd.h>


using execd::fuzz::require;


namespace {


constexpr int MAX_REQUESTS = 8;   // per connection, as pipelined


void validateHead(const Poco::Net::HTTPRequest& request)
	// What execd decides from a parsed head before it dispatches. The head
	// validator (Content-Length / Transfer-Encoding / version) goes here.
{
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
	parseHead(bytes);
	serveConnection(bytes);
}


extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
	fuzzRequestHead(data, size);
	return 0;
}
