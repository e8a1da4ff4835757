#pragma once

#include "RequestDispatcher.h"
#include "Poco/Net/HTTPServerParams.h"
#include "Poco/Net/TCPServerConnection.h"
#include <atomic>
#include <chrono>
#include <mutex>


namespace execd {


class HttpServer;


class HttpConnection: public Poco::Net::TCPServerConnection
	/// One HTTP/1.1 connection: reads requests in a keep-alive loop and hands each
	/// to the dispatcher. Unlike POCO's HTTPServerConnection it answers malformed
	/// requests with JSON errors (400, 414, 431), treats a body without
	/// Content-Length or chunking as empty, and drains what a handler left unread so
	/// that the next request on the connection parses.
{
public:
	HttpConnection(const Poco::Net::StreamSocket& socket, Poco::Net::HTTPServerParams::Ptr pParams,
		RequestDispatcher& dispatcher, HttpServer& server);
	~HttpConnection() override;

	void run() override;

	void abort();
		/// Shuts the socket down; a blocked read or write fails at once.

	void closeIfIdle();
		/// Shuts the socket down unless a request is being handled.

	std::chrono::steady_clock::duration waitingSince(std::chrono::steady_clock::time_point now) const;
		/// How long the connection has been waiting for a complete request head
		/// (zero while a request is being handled).

private:
	void sendParseError(Poco::Net::HTTPServerSession& session, const std::string& what);

	Poco::Net::HTTPServerParams::Ptr _pParams;
	RequestDispatcher& _dispatcher;
	HttpServer& _server;
	std::atomic<bool> _busy{false};
	std::atomic<std::chrono::steady_clock::rep> _waitStart;
};


} // namespace execd
