#include "Spawner.h"
#include "Poco/Exception.h"


namespace execd {
namespace isolation {


Spawner::Spawner()
{
}


Spawner::~Spawner()
{
	stop();
}


void Spawner::call(const std::function<void()>& work)
{
	Task task{&work, nullptr, false};
	std::unique_lock<std::mutex> lock(_mutex);
	if (_stopping) throw Poco::IllegalStateException("isolation is shutting down");
	if (!_thread.joinable()) _thread = std::thread([this] { loop(); });   // with the first session
	_queue.push_back(&task);
	_wake.notify_one();
	_done.wait(lock, [&task] { return task.done; });
	if (task.error) std::rethrow_exception(task.error);
}


void Spawner::stop()
{
	std::thread thread;
	{
		std::lock_guard<std::mutex> lock(_mutex);
		_stopping = true;
		_wake.notify_one();
		thread.swap(_thread);
	}
	if (thread.joinable()) thread.join();
}


void Spawner::loop()
{
	std::unique_lock<std::mutex> lock(_mutex);
	for (;;)
	{
		_wake.wait(lock, [this] { return _stopping || !_queue.empty(); });
		if (_queue.empty()) return;   // stopping, and nothing left to run
		Task* pTask = _queue.front();
		_queue.pop_front();
		lock.unlock();
		try
		{
			(*pTask->pWork)();
		}
		catch (...)
		{
			pTask->error = std::current_exception();
		}
		lock.lock();
		pTask->done = true;
		_done.notify_all();
	}
}


} } // namespace execd::isolation
