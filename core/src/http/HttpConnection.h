#pragma once

#include "http/RequestDispatcher.h"
#include "Poco/Net/HTTPServerParams.h"
#include "Poco/Net/StreamSocket.h"
#include <atomic>
#include <chrono>
#include <string>


namespace execd {


class HttpServer;


class HttpConnection
	/// One client connection. Between requests it waits in the server's reactor
	/// and holds no thread; serve() runs on a worker thread once a whole request
	/// head has arrived and handles requests for as long as one is ready.
	///
	/// Unlike POCO's HTTPServerConnection it answers malformed requests with JSON
	/// errors (400, 431, 501, 505) and closes, rejects ambiguous body framing
	/// (RFC 9112 §6), answers HTTP/1.0 clients without chunking, treats a body
	/// without Content-Length or chunking as empty, and never waits for a body
	/// nobody will read: a request answered without reading its body is drained
	/// only as far as it has already arrived, else the connection is closed.
{
public:
	enum class State
	{
		WAITING,    ///< in the reactor, for the next request head
		BUSY,       ///< on a worker thread
		LINGERING   ///< in the reactor, our side shut down, discarding what arrives until the peer closes
	};

	enum class Outcome
	{
		KEEP,       ///< wait for the next request
		CLOSE,      ///< close now
		LINGER      ///< shut our side down, close when the peer has
	};

	HttpConnection(const Poco::Net::StreamSocket& socket, std::string peer, HttpServer& server);
	~HttpConnection();

	Outcome serve(RequestDispatcher& dispatcher, Poco::Net::HTTPServerParams::Ptr pParams);
		/// Handles requests while whole heads are ready. Called on a worker.

	void sendError(int status, const std::string& code, const std::string& message);
		/// Answers without a request (a head too large to arrive, say) and shuts
		/// our side down.

	void abort();
		/// Shuts the socket down both ways: a blocked read or write fails at once.
		/// Safe from any thread while the connection exists.

	int fd() const;
	const std::string& peer() const;
	Poco::Net::StreamSocket& socket();

	// Reactor bookkeeping: written only by whoever holds the connection (the
	// reactor, or the worker that serves it), published by setState().
	State state() const;
	void setState(State state);
	std::chrono::steady_clock::time_point deadline;   ///< when the reactor closes it
	std::size_t scanned = 0;                          ///< bytes of the current head already searched

private:
	Outcome serveOne(Poco::Net::HTTPServerSession& session, RequestDispatcher& dispatcher, Poco::Net::HTTPServerParams::Ptr pParams);
	bool nextHeadArrives();
	Outcome sendParseError(Poco::Net::HTTPServerSession& session, const std::string& what);

	Poco::Net::StreamSocket _socket;
	int _fd;
	std::string _peer;
	HttpServer& _server;
	std::atomic<State> _state{State::BUSY};
};


} // namespace execd
