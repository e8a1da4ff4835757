#pragma once

#include "execd/Core.h"
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <set>
#include <thread>


namespace execd {


class SseWriter;


class EXECD_API StreamRegistry
	/// Knows every open SSE stream: one thread pings them all at an interval (so a
	/// thousand streams cost one thread, not a thousand), and shutdown can wait for
	/// them to end.
{
public:
	static StreamRegistry& instance();

	void start(std::chrono::milliseconds pingInterval);
		/// Starts the ping thread. Idempotent.

	void stop();
		/// Stops the ping thread.

	void add(SseWriter* pWriter);
	void remove(SseWriter* pWriter);

	std::size_t active() const;

	bool waitIdle(std::chrono::milliseconds timeout) const;
		/// Waits until no stream is open; false on timeout.

private:
	StreamRegistry();
	~StreamRegistry();
	void run();

	mutable std::mutex _mutex;
	mutable std::condition_variable _changed;
	std::set<SseWriter*> _writers;
	std::thread _thread;
	std::chrono::milliseconds _interval{3000};
	bool _running = false;
};


} // namespace execd
