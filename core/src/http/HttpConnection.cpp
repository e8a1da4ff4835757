#include "http/HttpConnection.h"
#include "http/HttpServer.h"
#include "http/RequestHead.h"
#include "execd/Http.h"
#include "Poco/Net/HTTPServerRequestImpl.h"
#include "Poco/Net/HTTPServerResponseImpl.h"
#include "Poco/Net/HTTPServerSession.h"
#include "Poco/Net/NetException.h"
#include <ctime>
#include <poll.h>
#include <sys/socket.h>
#include <istream>
#include <memory>
#include <sstream>


namespace execd {


namespace {


const std::streamsize DRAIN_LIMIT = 64 * 1024;

// How long a worker waits for the next request on a keep-alive connection
// before it hands the connection back to the reactor.
const std::chrono::milliseconds NEXT_REQUEST_WAIT{2};


class ServerSession: public Poco::Net::HTTPServerSession
	/// Tells whether bytes of a further request were read ahead, so that the
	/// connection goes back to the reactor only when none are.
{
public:
	using Poco::Net::HTTPServerSession::HTTPServerSession;

	bool readAhead() const
	{
		return buffered() > 0;
	}
};


class ServerResponse: public Poco::Net::HTTPServerResponseImpl
	/// An HTTP/1.0 client cannot read chunked framing: a response that would be
	/// chunked is sent close-delimited instead (RFC 9112 §6.3).
{
public:
	ServerResponse(Poco::Net::HTTPServerSession& session):
		Poco::Net::HTTPServerResponseImpl(session)
	{
	}

	void setHttp10(bool http10)
	{
		_http10 = http10;
	}

	std::ostream& send() override
	{
		if (_http10 && getChunkedTransferEncoding())
		{
			setChunkedTransferEncoding(false);
			setKeepAlive(false);
		}
		return Poco::Net::HTTPServerResponseImpl::send();
	}

private:
	bool _http10 = false;
};


// Reads what the handler left of the body, as far as it has already arrived and
// up to a limit. True when the body was consumed entirely, so the connection can
// serve another request; a body still on its way (or one a client holds back
// for a 100 Continue that never came) is not waited for.
bool drainArrived(std::istream& in, Poco::Net::StreamSocket& socket)
{
	if (in.eof()) return true;
	Poco::Timespan timeout = socket.getReceiveTimeout();
	socket.setReceiveTimeout(Poco::Timespan(0, 1000));
	char buffer[4096];
	std::streamsize total = 0;
	try
	{
		while (in && total <= DRAIN_LIMIT)
		{
			in.read(buffer, sizeof(buffer));
			std::streamsize n = in.gcount();
			if (n <= 0) break;
			total += n;
		}
	}
	catch (std::exception&)
	{
	}
	socket.setReceiveTimeout(timeout);
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


HttpConnection::HttpConnection(const Poco::Net::StreamSocket& socket, std::string peer, HttpServer& server):
	_socket(socket),
	_fd(socket.impl()->sockfd()),
	_peer(std::move(peer)),
	_server(server)
{
}


HttpConnection::~HttpConnection() = default;


HttpConnection::Outcome HttpConnection::serve(RequestDispatcher& dispatcher, Poco::Net::HTTPServerParams::Ptr pParams)
{
	ServerSession session(_socket, pParams);
	Outcome outcome;
	do
	{
		outcome = serveOne(session, dispatcher, pParams);
	}
	while (outcome == Outcome::KEEP && (session.readAhead() || nextHeadArrives()));
	// The session closes its socket when it goes; ours outlives it. A WebSocket
	// handler has taken the socket already (and the outcome is CLOSE).
	if (session.socket().impl() == _socket.impl()) session.detachSocket();
	return outcome;
}


bool HttpConnection::nextHeadArrives()
{
	// A client that sends its next request right after our answer (most keep-alive
	// clients do) is served on this thread at once: handing the connection to the
	// reactor and back costs more than the short wait. Not while other
	// connections wait for a thread: they come first.
	if (_server.hasBacklog()) return false;
	struct pollfd p{_fd, POLLIN, 0};
	if (::poll(&p, 1, static_cast<int>(NEXT_REQUEST_WAIT.count())) != 1 || !(p.revents & POLLIN)) return false;
	char head[4096];
	ssize_t n = ::recv(_fd, head, sizeof(head), MSG_PEEK | MSG_DONTWAIT);
	return n > 0 && RequestHead::findEnd(head, static_cast<std::size_t>(n)) != RequestHead::NPOS;
}


HttpConnection::Outcome HttpConnection::serveOne(Poco::Net::HTTPServerSession& session, RequestDispatcher& dispatcher,
	Poco::Net::HTTPServerParams::Ptr pParams)
{
	auto pResponse = std::make_unique<ServerResponse>(session);
	std::unique_ptr<Poco::Net::HTTPServerRequestImpl> pRequest;
	try
	{
		pRequest = std::make_unique<Poco::Net::HTTPServerRequestImpl>(*pResponse, session, pParams);
	}
	catch (Poco::Net::NoMessageException&)
	{
		return Outcome::CLOSE;
	}
	catch (Poco::Net::MessageException& exc)
	{
		return sendParseError(session, exc.message());
	}
	catch (Poco::DataException& exc)
	{
		// POCO's number parser on a Content-Length such as "0x12".
		return sendParseError(session, "invalid Content-Length (" + exc.displayText() + ")");
	}
	catch (Poco::Exception&)
	{
		return Outcome::CLOSE;   // the peer went away, or stalled within its head
	}
	Poco::Net::HTTPServerRequestImpl& request = *pRequest;
	ServerResponse& response = *pResponse;
	response.set("Date", httpDate());
	try
	{
		RequestHead::validate(request);
	}
	catch (ApiException& exc)
	{
		// The body's end is unknown, so nothing after this head can be trusted
		// to be a request of its own: answer and close.
		response.setVersion(Poco::Net::HTTPMessage::HTTP_1_1);
		response.setKeepAlive(false);
		Http::sendError(response, exc);
		return Outcome::LINGER;
	}
	response.setHttp10(RequestHead::isHttp10(request));
	response.setVersion(request.getVersion());
	response.setKeepAlive(pParams->getKeepAlive() && request.getKeepAlive() && !_server.stopping());

	try
	{
		dispatcher.dispatch(request, response);
		if (!response.sent())
			Http::sendError(response, ApiException::runtimeError("the handler sent no response"));
	}
	catch (Poco::Exception&)
	{
		return Outcome::CLOSE;
	}
	if (session.socket().impl() != _socket.impl()) return Outcome::CLOSE;   // a WebSocket took it
	bool keepAlive = pParams->getKeepAlive() && response.getKeepAlive();
	// The response leaves now, before anything is done about an unread body.
	try
	{
		pResponse.reset();
	}
	catch (std::exception&)
	{
		return Outcome::CLOSE;
	}
	if (Http::hasBody(request) && !drainArrived(request.stream(), _socket))
		return Outcome::LINGER;
	return keepAlive ? Outcome::KEEP : Outcome::CLOSE;
}


HttpConnection::Outcome HttpConnection::sendParseError(Poco::Net::HTTPServerSession& session, const std::string& what)
{
	// POCO reports an over-long request line and a malformed one alike ("HTTP
	// request URI invalid or too long"), so both are 400; header limits are 431.
	int status = what.find("ield") != std::string::npos ? 431 : 400;
	try
	{
		Poco::Net::HTTPServerResponseImpl response(session);
		response.setVersion(Poco::Net::HTTPMessage::HTTP_1_1);
		response.setKeepAlive(false);
		response.set("Date", httpDate());
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
		return Outcome::CLOSE;
	}
	return Outcome::LINGER;
}


void HttpConnection::sendError(int status, const std::string& code, const std::string& message)
{
	std::string body = Http::errorJson(code, message);
	Poco::Net::HTTPResponse response(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(status));
	response.setVersion(Poco::Net::HTTPMessage::HTTP_1_1);
	response.setKeepAlive(false);
	response.set("Date", httpDate());
	response.setContentType("application/json; charset=utf-8");
	response.setContentLength(static_cast<std::streamsize>(body.size()));
	std::ostringstream head;
	response.write(head);
	std::string bytes = head.str() + body;
	try
	{
		_socket.sendBytes(bytes.data(), static_cast<int>(bytes.size()), MSG_DONTWAIT);
		_socket.shutdownSend();
	}
	catch (Poco::Exception&)
	{
	}
}


void HttpConnection::abort()
{
	try
	{
		_socket.shutdown();
	}
	catch (Poco::Exception&)
	{
	}
}


int HttpConnection::fd() const
{
	return _fd;
}


const std::string& HttpConnection::peer() const
{
	return _peer;
}


Poco::Net::StreamSocket& HttpConnection::socket()
{
	return _socket;
}


HttpConnection::State HttpConnection::state() const
{
	return _state.load(std::memory_order_acquire);
}


void HttpConnection::setState(State state)
{
	_state.store(state, std::memory_order_release);
}


} // namespace execd
