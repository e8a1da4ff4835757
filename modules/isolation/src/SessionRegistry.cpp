#include "SessionRegistry.h"
#include "Poco/Exception.h"
#include "Poco/Logger.h"


namespace execd {
namespace isolation {


SessionRegistry::SessionRegistry(std::chrono::milliseconds gcInterval):
	_gcInterval(gcInterval)
{
}


SessionRegistry::~SessionRegistry()
{
	stop();
}


void SessionRegistry::start()
{
	std::lock_guard<std::mutex> lock(_mutex);
	_started = true;
}


void SessionRegistry::stop()
{
	{
		std::lock_guard<std::mutex> lock(_mutex);
		_stopping = true;
	}
	_wake.notify_all();
	if (_thread.joinable()) _thread.join();
	std::map<std::string, Entry> sessions;
	{
		std::lock_guard<std::mutex> lock(_mutex);
		sessions.swap(_sessions);
	}
	for (auto& s: sessions)
	{
		try
		{
			s.second.session->stop();
		}
		catch (Poco::Exception& exc)
		{
			Poco::Logger::get("execd.isolation").warning("session %s: %s", s.first, exc.displayText());
		}
	}
}


void SessionRegistry::add(std::shared_ptr<IsolatedSession> session)
{
	Entry e;
	e.session = std::move(session);
	e.createdAt = e.lastRunAt = std::chrono::system_clock::now();
	e.lastRunSteady = std::chrono::steady_clock::now();
	e.running = std::make_shared<std::mutex>();
	e.files = std::make_shared<std::shared_timed_mutex>();
	std::lock_guard<std::mutex> lock(_mutex);
	_sessions[e.session->id()] = e;
	// The GC thread with the first session: an execd that never has one keeps
	// no thread for them.
	if (_started && !_stopping && !_thread.joinable()) _thread = std::thread([this] { loop(); });
}


std::optional<SessionRegistry::Entry> SessionRegistry::find(const std::string& id) const
{
	std::lock_guard<std::mutex> lock(_mutex);
	auto it = _sessions.find(id);
	if (it == _sessions.end()) return std::nullopt;
	return it->second;
}


std::vector<SessionRegistry::Entry> SessionRegistry::list() const
{
	std::lock_guard<std::mutex> lock(_mutex);
	std::vector<Entry> out;
	for (const auto& s: _sessions) out.push_back(s.second);
	return out;
}


void SessionRegistry::completedRun(const std::string& id)
{
	std::lock_guard<std::mutex> lock(_mutex);
	auto it = _sessions.find(id);
	if (it == _sessions.end()) return;
	it->second.lastRunAt = std::chrono::system_clock::now();
	it->second.lastRunSteady = std::chrono::steady_clock::now();
}


void SessionRegistry::remove(const std::string& id)
{
	std::shared_ptr<IsolatedSession> session;
	std::shared_ptr<std::shared_timed_mutex> files;
	{
		std::lock_guard<std::mutex> lock(_mutex);
		auto it = _sessions.find(id);
		if (it == _sessions.end() || it->second.stopping) throw Poco::NotFoundException("session not found");
		it->second.stopping = true;   // reads "dead" from now on
		session = it->second.session;
		files = it->second.files;
	}
	try
	{
		// File operations that began before: they finish, or after 5 s the overlay
		// is detached under them (their descriptors stay valid).
		std::unique_lock<std::shared_timed_mutex> lease(*files, std::defer_lock);
		if (!lease.try_lock_for(std::chrono::seconds(5)))
			Poco::Logger::get("execd.isolation").warning("session %s: file operations still under way after 5 s; tearing down", id);
		session->stop();
	}
	catch (...)
	{
		std::lock_guard<std::mutex> lock(_mutex);
		auto it = _sessions.find(id);
		if (it != _sessions.end()) it->second.stopping = false;   // a later DELETE or GC tries again
		throw;
	}
	std::lock_guard<std::mutex> lock(_mutex);
	_sessions.erase(id);
}


void SessionRegistry::collect()
{
	std::vector<std::string> doomed;
	{
		std::lock_guard<std::mutex> lock(_mutex);
		const auto now = std::chrono::steady_clock::now();
		for (const auto& s: _sessions)
		{
			const Entry& e = s.second;
			if (e.stopping) continue;
			std::unique_lock<std::mutex> running(*e.running, std::try_to_lock);
			if (!running.owns_lock()) continue;   // never mid-run
			const Poco::Int64 idle = e.session->request().idleTimeoutSeconds;
			const bool expired = idle > 0 && now - e.lastRunSteady > std::chrono::seconds(idle);
			if (!e.session->alive() || expired) doomed.push_back(s.first);
		}
	}
	for (const std::string& id: doomed)
	{
		try
		{
			remove(id);
		}
		catch (Poco::Exception& exc)
		{
			Poco::Logger::get("execd.isolation").warning("could not reap session %s: %s", id, exc.displayText());
		}
	}
}


void SessionRegistry::loop()
{
	std::unique_lock<std::mutex> lock(_mutex);
	while (!_stopping)
	{
		_wake.wait_for(lock, _gcInterval, [this] { return _stopping; });
		if (_stopping) break;
		lock.unlock();
		collect();
		lock.lock();
	}
}


} } // namespace execd::isolation
