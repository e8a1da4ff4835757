#pragma once

#include "http/HttpConnection.h"
#include "http/RequestDispatcher.h"
#include "server/WorkerPool.h"
#include "Poco/Net/HTTPServerParams.h"
#include "Poco/Net/ServerSocket.h"
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <thread>
#include <unordered_set>


namespace execd {


struct HttpSettings
	/// How the listener is sized. Keys under "execd.http." (see etc/execd.properties).
{
	std::string bindAddress = "0.0.0.0";
	int port = 44772;
	int maxThreads = 2048;                         ///< threads handling requests (streams and WebSockets hold one)
	int maxQueued = 4096;                          ///< complete request heads waiting for a thread
	int backlog = 1024;
	int maxConnections = 16384;                    ///< open connections in all; lowered to what RLIMIT_NOFILE allows
	int maxConnectionsPerPeer = 4096;              ///< open connections from one client address
	std::size_t maxHeadBytes = 64 * 1024;          ///< request line and header fields together
	std::chrono::milliseconds keepAliveTimeout{30000};  ///< an idle connection is closed after this long
	std::chrono::milliseconds requestTimeout{60000};    ///< receiving one request's head, and each body read
	std::chrono::milliseconds threadIdleTime{10000};
	std::chrono::milliseconds sendTimeout{60000};       ///< a write without progress for this long fails
	int threadStackBytes = 512 * 1024;
};


class HttpConnection;


class HttpServer
	/// The listener. One reactor thread (epoll) accepts connections and holds
	/// every connection that is between requests: idle keep-alive connections and
	/// request heads still arriving cost no thread. Once a whole head has arrived
	/// the connection goes to a worker thread (WorkerPool), which hands it back
	/// when no further request is ready. The reactor also enforces the
	/// connection caps (a fast 503 past them), the keep-alive and head deadlines,
	/// and lingers over closed connections so that answers are not lost to a
	/// reset.
{
public:
	HttpServer(const HttpSettings& settings, RequestDispatcher& dispatcher);
		/// Binds the socket (throws Poco::Net::NetException when it cannot).
	~HttpServer();

	void start();

	Poco::UInt16 port() const;

	void stopAccepting();
		/// Closes the listener and every connection that is between requests;
		/// requests in progress go on, and their connections close after them.

	bool waitIdle(std::chrono::milliseconds timeout);
		/// Waits until no connection is open; false on timeout.

	void abortAll();
		/// Shuts down every connection's socket: handlers blocked on the network fail
		/// at once.

	void joinAll();
		/// Waits for every worker thread.

	void collectIdleThreads();

	std::size_t openConnections() const;

	bool stopping() const;

	bool hasBacklog() const;
		/// True while request heads wait for a worker.

	const HttpSettings& settings() const;

private:
	void runReactor();
	void acceptAll();
	bool admit(int fd, const std::string& peer);
	void onEvent(HttpConnection* pConnection, unsigned events);
	void readHead(HttpConnection* pConnection, unsigned events);
	void handOff(HttpConnection* pConnection);
	void discard(HttpConnection* pConnection);
	void closeIdle(const std::chrono::steady_clock::time_point* pBefore);
		/// Closes the connections between requests whose deadline is before
		/// *pBefore, or all of them for nullptr.
	void await(HttpConnection* pConnection, HttpConnection::State state);
		/// Sets the connection to wait in the reactor: its state and deadline.
	bool watch(HttpConnection* pConnection, HttpConnection::State state);
		/// await(), then adds it to epoll; false when that fails.
	void serveOnWorker(HttpConnection* pConnection);
	void release(HttpConnection* pConnection);
	void reject(int fd, int status, const std::string& code, const std::string& message);
	void wake();

	HttpSettings _settings;
	RequestDispatcher& _dispatcher;
	Poco::Net::ServerSocket _socket;
	Poco::Net::HTTPServerParams::Ptr _pParams;
	WorkerPool _workers;
	int _epoll = -1;
	int _wakeFd = -1;
	int _reserveFd = -1;           // kept free to answer a client when descriptors run out
	std::thread _reactor;
	std::vector<char> _scratch;   // the reactor's peek buffer

	mutable std::mutex _mutex;
	std::condition_variable _changed;
	std::unordered_set<HttpConnection*> _connections;
	std::map<std::string, int> _perPeer;
	std::atomic<bool> _stopping{false};
};


} // namespace execd
