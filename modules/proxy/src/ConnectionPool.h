#pragma once

#include "Poco/Net/StreamSocket.h"
#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>


namespace execd {
namespace proxy {


class ConnectionPool
	/// Idle keep-alive connections to proxied ports, reused by requests without a
	/// body (a request with one always gets a fresh connection, so that a stale
	/// pooled connection never costs a body that cannot be sent again). Only a
	/// connection whose exchange ended cleanly is given back: one whose request
	/// or response was cut off is closed.
{
public:
	static ConnectionPool& instance();

	~ConnectionPool();

	std::unique_ptr<Poco::Net::StreamSocket> take(int port);
		/// An idle connection to port that is still open, or null.

	void give(int port, std::unique_ptr<Poco::Net::StreamSocket> socket);
		/// Keeps socket for reuse (at most 64 per port; beyond that it is closed).

	void clear();

	void start();
		/// A thread that closes connections idle for more than 30 s or closed by
		/// their server, every 5 s, so that no descriptor lingers.

	void stop();
		/// Joins the thread and closes every idle connection.

private:
	struct Entry
	{
		std::unique_ptr<Poco::Net::StreamSocket> socket;
		std::chrono::steady_clock::time_point since;
	};

	ConnectionPool() = default;
	void prune();

	std::mutex _mutex;
	std::condition_variable _wake;
	bool _stop = false;
	std::thread _pruner;
	std::map<int, std::vector<Entry>> _idle;
};


} } // namespace execd::proxy
