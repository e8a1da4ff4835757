#include "server/WorkerPool.h"
#include "Poco/Exception.h"


namespace execd {


namespace {


int seconds(std::chrono::milliseconds ms)
{
	return static_cast<int>(std::max<long long>(1, (ms.count() + 999) / 1000));
}


} // namespace


WorkerPool::WorkerPool(int maxThreads, std::size_t maxQueued, std::chrono::milliseconds idleTime, int stackBytes, Handler handler):
	_handler(std::move(handler)),
	_maxQueued(maxQueued),
	_idleTime(idleTime),
	_threads("http", 1, maxThreads, seconds(idleTime), stackBytes),
	_loop(*this)
{
}


WorkerPool::~WorkerPool()
{
	stop();
}


bool WorkerPool::submit(HttpConnection* pConnection)
{
	std::unique_lock<std::mutex> lock(_mutex);
	if (_stopping || _queue.size() >= _maxQueued) return false;
	_queue.push_back(pConnection);
	_queued = _queue.size();
	if (_queue.size() > static_cast<std::size_t>(_idle) && _starting == 0) startThread();
	lock.unlock();
	_ready.notify_one();
	return true;
}


void WorkerPool::startThread()
{
	// Threads are started one at a time: each new thread starts the next only
	// if work is still waiting when it takes its first item. A burst of short
	// requests is drained by the threads there are instead of adding one thread
	// per request, while work behind threads held by long streams still gets a
	// thread of its own at once.
	++_starting;
	++_live;
	try
	{
		_threads.start(_loop);
	}
	catch (Poco::Exception&)
	{
		// At the maximum: the work waits for the next thread that becomes free.
		--_starting;
		--_live;
	}
}


void WorkerPool::Loop::run()
{
	_pool.work();
}


void WorkerPool::work()
{
	std::unique_lock<std::mutex> lock(_mutex);
	--_starting;
	for (;;)
	{
		while (!_queue.empty())
		{
			HttpConnection* pConnection = _queue.front();
			_queue.pop_front();
			_queued = _queue.size();
			if (!_queue.empty() && _idle == 0 && _starting == 0) startThread();
			lock.unlock();
			_handler(pConnection);
			lock.lock();
		}
		if (_stopping) break;
		++_idle;
		bool woken = _ready.wait_for(lock, _idleTime, [this] { return !_queue.empty() || _stopping; });
		--_idle;
		if (!woken) break;
	}
	--_live;
	_ended.notify_all();
}


void WorkerPool::stop()
{
	std::unique_lock<std::mutex> lock(_mutex);
	_stopping = true;
	_ready.notify_all();
	_ended.wait(lock, [this] { return _live == 0; });
	lock.unlock();
	_threads.joinAll();
}


void WorkerPool::collect()
{
	_threads.collect();
}


bool WorkerPool::hasBacklog() const
{
	return _queued.load(std::memory_order_relaxed) > 0;
}


int WorkerPool::threads() const
{
	std::lock_guard<std::mutex> lock(_mutex);
	return _live;
}


} // namespace execd
