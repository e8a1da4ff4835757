#pragma once

#include "Poco/Runnable.h"
#include "Poco/ThreadPool.h"
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>


namespace execd {


class HttpConnection;


class WorkerPool
	/// The threads that handle requests. A connection is queued here once a whole
	/// request head has arrived and holds a thread only until it is handed back to
	/// the reactor. Threads are started on demand up to a maximum and end after
	/// they have been idle for a while.
{
public:
	using Handler = std::function<void(HttpConnection*)>;

	WorkerPool(int maxThreads, std::size_t maxQueued, std::chrono::milliseconds idleTime, int stackBytes, Handler handler);
	~WorkerPool();

	bool submit(HttpConnection* pConnection);
		/// Queues the connection for the next free thread, starting one when none
		/// is free. False when the queue is full: the caller keeps the connection.

	void stop();
		/// Lets the threads end once the queue is empty and waits for them.

	void collect();
		/// Hands threads that have ended back to the system.

	int threads() const;
		/// Threads running or waiting for work.

	bool hasBacklog() const;
		/// True while work waits for a thread.

private:
	class Loop: public Poco::Runnable
	{
	public:
		explicit Loop(WorkerPool& pool): _pool(pool) {}
		void run() override;

	private:
		WorkerPool& _pool;
	};

	void work();
	void startThread();

	Handler _handler;
	std::size_t _maxQueued;
	std::chrono::milliseconds _idleTime;
	Poco::ThreadPool _threads;
	Loop _loop;

	mutable std::mutex _mutex;
	std::condition_variable _ready;
	std::condition_variable _ended;
	std::deque<HttpConnection*> _queue;
	std::atomic<std::size_t> _queued{0};   // _queue.size(), readable without the lock
	int _live = 0;
	int _idle = 0;
	int _starting = 0;   // started, not yet taking work
	bool _stopping = false;
};


} // namespace execd
