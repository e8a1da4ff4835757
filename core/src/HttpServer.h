#pragma once

#include "RequestDispatcher.h"
#include "Poco/Net/HTTPServerParams.h"
#include "Poco/Net/ServerSocket.h"
#include "Poco/Net/TCPServer.h"
#include "Poco/ThreadPool.h"
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <set>


namespace execd {


struct HttpSettings
	/// How the listener is sized. Keys under "execd.http." (see etc/execd.properties).
{
	std::string bindAddress = "0.0.0.0";
	int port = 44772;
	int maxThreads = 2048;                         ///< one per open connection (SSE, WebSocket, keep-alive)
	int maxQueued = 4096;                          ///< accepted connections waiting for a thread
	int backlog = 1024;
	std::chrono::milliseconds keepAliveTimeout{30000};
	std::chrono::milliseconds requestTimeout{60000};   ///< receiving one request's head and body
	std::chrono::milliseconds threadIdleTime{10000};
	std::chrono::milliseconds sendTimeout{60000};      ///< a write without progress for this long fails
	int threadStackBytes = 512 * 1024;
};


class HttpConnection;


class HttpServer
	/// POCO's TCPServer with our own connection class and an explicitly sized
	/// thread pool. Every open connection holds a thread, so the pool is sized for
	/// long-lived streams; idle threads are reclaimed.
{
public:
	HttpServer(const HttpSettings& settings, RequestDispatcher& dispatcher);
		/// Binds the socket (throws Poco::Net::NetException when it cannot).
	~HttpServer();

	void start();

	Poco::UInt16 port() const;

	void stopAccepting();
		/// Closes the listener and ends idle keep-alive connections; requests in
		/// progress go on.

	bool waitIdle(std::chrono::milliseconds timeout);
		/// Waits until no connection is open; false on timeout.

	void abortAll();
		/// Shuts down every connection's socket: handlers blocked on the network fail
		/// at once.

	void joinAll();
		/// Waits for every pool thread.

	void collectIdleThreads();

	int threadsInUse() const;

	std::size_t openConnections() const;

	void expireStalledConnections();
		/// Aborts connections that have not delivered a complete request head within
		/// keep-alive timeout + request timeout (slow or stuck clients). Called
		/// periodically.

	// Called by HttpConnection.
	void connectionOpened(HttpConnection* pConnection);
	void connectionClosed(HttpConnection* pConnection);
	bool stopping() const;
	Poco::Timespan sendTimeout() const;

private:
	HttpSettings _settings;
	RequestDispatcher& _dispatcher;
	Poco::ThreadPool _pool;
	Poco::Net::ServerSocket _socket;
	Poco::Net::HTTPServerParams::Ptr _pParams;
	std::unique_ptr<Poco::Net::TCPServer> _pServer;

	mutable std::mutex _mutex;
	std::condition_variable _changed;
	std::set<HttpConnection*> _connections;
	std::atomic<bool> _stopping{false};
};


} // namespace execd
