#include "ConnectionPool.h"
#include <algorithm>
#include <poll.h>


namespace execd {
namespace proxy {


namespace {


const auto MAX_IDLE = std::chrono::seconds(30);
const std::size_t MAX_PER_PORT = 64;


bool readable(const Poco::Net::StreamSocket& socket)
{
	// Readable while idle means closed (or garbage): not reusable. One poll(2),
	// where POCO 1.11's Socket::poll costs four system calls.
	struct pollfd p{socket.impl()->sockfd(), POLLIN, 0};
	return ::poll(&p, 1, 0) != 0;
}


} // namespace


ConnectionPool& ConnectionPool::instance()
{
	static ConnectionPool pool;
	return pool;
}


ConnectionPool::~ConnectionPool()
{
	stop();
}


std::unique_ptr<Poco::Net::StreamSocket> ConnectionPool::take(int port)
{
	std::lock_guard<std::mutex> lock(_mutex);
	auto& idle = _idle[port];
	while (!idle.empty())
	{
		Entry e = std::move(idle.back());
		idle.pop_back();
		if (std::chrono::steady_clock::now() - e.since > MAX_IDLE || readable(*e.socket)) continue;
		return std::move(e.socket);
	}
	return nullptr;
}


void ConnectionPool::give(int port, std::unique_ptr<Poco::Net::StreamSocket> socket)
{
	std::lock_guard<std::mutex> lock(_mutex);
	auto& idle = _idle[port];
	if (idle.size() >= MAX_PER_PORT) return;
	idle.push_back(Entry{std::move(socket), std::chrono::steady_clock::now()});
}


void ConnectionPool::clear()
{
	std::lock_guard<std::mutex> lock(_mutex);
	_idle.clear();
}


void ConnectionPool::start()
{
	std::lock_guard<std::mutex> lock(_mutex);
	if (_pruner.joinable()) return;
	_stop = false;
	_pruner = std::thread([this] { prune(); });
}


void ConnectionPool::prune()
{
	std::unique_lock<std::mutex> lock(_mutex);
	while (!_wake.wait_for(lock, std::chrono::seconds(5), [this] { return _stop; }))
	{
		auto now = std::chrono::steady_clock::now();
		for (auto& port: _idle)
		{
			auto& v = port.second;
			v.erase(std::remove_if(v.begin(), v.end(), [now](const Entry& e) {
				return now - e.since > MAX_IDLE || readable(*e.socket);
			}), v.end());
		}
	}
}


void ConnectionPool::stop()
{
	{
		std::lock_guard<std::mutex> lock(_mutex);
		_stop = true;
	}
	_wake.notify_all();
	if (_pruner.joinable()) _pruner.join();
	clear();
}


} } // namespace execd::proxy
