#include "HttpConnection.h"
#include "HttpServer.h"
#include "execd/Http.h"
#include "Poco/Net/HTTPServerRequestImpl.h"
#include "Poco/Net/HTTPServerResponseImpl.h"
#include "Poco/Net/HTTPServerSession.h"
#include "Poco/Net/NetException.h"
#include "Poco/Net/StreamSocket.h"
#include "Poco/Timestamp.h"
#include <cerrno>
#include <ctime>
#include <chrono>
#include <istream>
#include <poll.h>


namespace execd {


namespace {


const std::streamsize DRAIN_LIMIT = 64 * 1024;


// Reads what the handler left of the body, up to a limit. True when the body was
// consumed entirely, so the connection can serve another request.
bool drain(std::istream& in)
{
	char buffer[4096];
	std::streamsize total = 0;
	while (in && total <= DRAIN_LIMIT)
	{
		in.read(buffer, sizeof(buffer));
		std::streamsize n = in.gcount();
		if (n <= 0) break;
		total += n;
	}
	return in.eof() && total <= DRAIN_LIMIT;
}


// The Date header, formatted once per second per thread.
const std::string& httpDate()
{
	thread_local std::time_t cachedSecond = -1;
	thread_local std::string cached;
	std::time_t now = std::time(nullptr);
	if (now != cachedSecond)
	{
		char buffer[64];
		struct tm tm;
		::gmtime_r(&now, &tm);
		std::strftime(buffer, sizeof(buffer), "%a, %d %b %Y %H:%M:%S GMT", &tm);
		cached = buffer;
		cachedSecond = now;
	}
	return cached;
}


} // namespace


HttpConnection::HttpConnection(const Poco::Net::StreamSocket& socket, Poco::Net::HTTPServerParams::Ptr pParams,
	RequestDispatcher& dispatcher, HttpServer& server):
	Poco::Net::TCPServerConnection(socket),
	_pParams(pParams),
	_dispatcher(dispatcher),
	_server(server),
	_waitStart(std::chrono::steady_clock::now().time_since_epoch().count())
{
	try
	{
		// Events and small responses must not wait for delayed ACKs.
		this->socket().setNoDelay(true);
		// A client that stops reading fails our writes after this long without
		// progress, instead of holding a thread for ever.
		this->socket().setSendTimeout(server.sendTimeout());
	}
	catch (Poco::Exception&)
	{
	}
	_server.connectionOpened(this);
}


HttpConnection::~HttpConnection()
{
	_server.connectionClosed(this);
}


void HttpConnection::run()
{
	// Waiting for the next request is a blocking read with SO_RCVTIMEO (the
	// keep-alive timeout), not a poll before each request: one system call less
	// per request, and POCO 1.11's poll costs four (epoll_create/ctl/wait/close).
	Poco::Net::HTTPServerSession session(socket(), _pParams);
	socket().setReceiveTimeout(_pParams->getKeepAliveTimeout());
	while (!_server.stopping())
	{
		try
		{
			Poco::Net::HTTPServerResponseImpl response(session);
			Poco::Net::HTTPServerRequestImpl request(response, session, _pParams);
			_busy = true;
			_waitStart = 0;
			response.set("Date", httpDate());
			response.setVersion(request.getVersion());
			response.setKeepAlive(_pParams->getKeepAlive() && request.getKeepAlive() && !_server.stopping());

			_dispatcher.dispatch(request, response);
			if (!response.sent())
				Http::sendError(response, ApiException::runtimeError("the handler sent no response"));

			bool keepAlive = _pParams->getKeepAlive() && response.getKeepAlive();
			if (keepAlive && Http::hasBody(request))
				keepAlive = drain(request.stream());
			if (!keepAlive) break;
		}
		catch (Poco::Net::NoMessageException&)
		{
			break;
		}
		catch (Poco::Net::MessageException& exc)
		{
			sendParseError(session, exc.message());
			break;
		}
		catch (Poco::Exception&)
		{
			// The peer went away, or stayed silent past the timeout.
			break;
		}
		_busy = false;
		_waitStart = std::chrono::steady_clock::now().time_since_epoch().count();
	}
}


void HttpConnection::sendParseError(Poco::Net::HTTPServerSession& session, const std::string& what)
{
	// POCO reports an over-long request line and a malformed one alike ("HTTP
	// request URI invalid or too long"), so both are 400; header limits are 431.
	int status = 400;
	if (what.find("ield") != std::string::npos)
		status = 431;
	try
	{
		Poco::Net::HTTPServerResponseImpl response(session);
		response.setVersion(Poco::Net::HTTPMessage::HTTP_1_1);
		response.setKeepAlive(false);
		// Not Http::sendError(): without a request attached, POCO's sendBuffer()
		// drops the body.
		std::string body = Http::errorJson(ErrorCode::INVALID_REQUEST_BODY, "malformed HTTP request: " + what);
		response.setStatusAndReason(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(status));
		response.setContentType("application/json; charset=utf-8");
		response.setContentLength(static_cast<std::streamsize>(body.size()));
		response.send().write(body.data(), static_cast<std::streamsize>(body.size())).flush();
	}
	catch (Poco::Exception&)
	{
		return;
	}
	// Lingering close: if we closed with unread request bytes pending, the kernel
	// would reset the connection and the client could lose our answer.
	try
	{
		socket().shutdownSend();
		socket().setReceiveTimeout(Poco::Timespan(0, 200000));
		char buffer[4096];
		int total = 0;
		auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(1);
		while (total < (1 << 20) && std::chrono::steady_clock::now() < deadline)
		{
			int n = socket().receiveBytes(buffer, sizeof(buffer));
			if (n <= 0) break;
			total += n;
		}
	}
	catch (Poco::Exception&)
	{
	}
}


void HttpConnection::abort()
{
	try
	{
		socket().shutdown();
	}
	catch (Poco::Exception&)
	{
	}
}


std::chrono::steady_clock::duration HttpConnection::waitingSince(std::chrono::steady_clock::time_point now) const
{
	auto start = _waitStart.load();
	if (start == 0) return std::chrono::steady_clock::duration::zero();
	return now.time_since_epoch() - std::chrono::steady_clock::duration(start);
}


void HttpConnection::closeIfIdle()
{
	// Racy by design: a request that arrives just now may be cut off. Only used
	// when shutting down, when new requests are refused anyway.
	if (!_busy) abort();
}


} // namespace execd
