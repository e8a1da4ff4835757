#include "execd/StreamRegistry.h"
#include "execd/SseWriter.h"
#include <vector>


namespace execd {


StreamRegistry& StreamRegistry::instance()
{
	static StreamRegistry registry;
	return registry;
}


StreamRegistry::StreamRegistry() = default;


StreamRegistry::~StreamRegistry()
{
	stop();
}


void StreamRegistry::start(std::chrono::milliseconds pingInterval)
{
	std::lock_guard<std::mutex> lock(_mutex);
	if (_running) return;
	_interval = pingInterval;
	_running = true;
	_thread = std::thread([this] { run(); });
}


void StreamRegistry::stop()
{
	{
		std::lock_guard<std::mutex> lock(_mutex);
		if (!_running) return;
		_running = false;
	}
	_changed.notify_all();
	if (_thread.joinable()) _thread.join();
}


void StreamRegistry::add(SseWriter* pWriter)
{
	std::lock_guard<std::mutex> lock(_mutex);
	_writers.insert(pWriter);
}


void StreamRegistry::remove(SseWriter* pWriter)
{
	{
		std::lock_guard<std::mutex> lock(_mutex);
		_writers.erase(pWriter);
	}
	_changed.notify_all();
}


std::size_t StreamRegistry::active() const
{
	std::lock_guard<std::mutex> lock(_mutex);
	return _writers.size();
}


bool StreamRegistry::waitIdle(std::chrono::milliseconds timeout) const
{
	std::unique_lock<std::mutex> lock(_mutex);
	return _changed.wait_for(lock, timeout, [this] { return _writers.empty(); });
}


void StreamRegistry::run()
{
	std::unique_lock<std::mutex> lock(_mutex);
	while (_running)
	{
		_changed.wait_for(lock, _interval, [this] { return !_running; });
		if (!_running) break;
		// Writers unregister under this mutex, so each pointer stays valid while we
		// hold it; ping() never blocks (try-lock, writability checked first).
		for (SseWriter* pWriter: _writers)
			pWriter->ping();
	}
}


} // namespace execd
