#include "PtySessions.h"
#include "Poco/UUIDGenerator.h"


namespace execd {
namespace pty {


std::shared_ptr<PtySession> PtySessions::create(const std::string& cwd, const std::string& command)
{
	std::string id = Poco::UUIDGenerator::defaultGenerator().createRandom().toString();
	auto session = std::make_shared<PtySession>(id, cwd, command);
	std::lock_guard<std::mutex> lock(_mutex);
	_sessions[id] = session;
	return session;
}


std::shared_ptr<PtySession> PtySessions::find(const std::string& id)
{
	std::lock_guard<std::mutex> lock(_mutex);
	auto it = _sessions.find(id);
	return it == _sessions.end() ? nullptr : it->second;
}


std::shared_ptr<PtySession> PtySessions::remove(const std::string& id)
{
	std::lock_guard<std::mutex> lock(_mutex);
	auto it = _sessions.find(id);
	if (it == _sessions.end()) return nullptr;
	auto session = it->second;
	_sessions.erase(it);
	return session;
}


std::vector<std::shared_ptr<PtySession>> PtySessions::all()
{
	std::lock_guard<std::mutex> lock(_mutex);
	std::vector<std::shared_ptr<PtySession>> out;
	for (auto& s: _sessions) out.push_back(s.second);
	return out;
}


void PtySessions::expire(std::chrono::milliseconds ttl)
{
	std::vector<std::shared_ptr<PtySession>> gone;
	{
		std::lock_guard<std::mutex> lock(_mutex);
		auto now = std::chrono::steady_clock::now();
		for (auto it = _sessions.begin(); it != _sessions.end();)
		{
			auto& s = it->second;
			if (!s->running() && !s->attached() && now - s->lastActivity() > ttl)
			{
				gone.push_back(s);
				it = _sessions.erase(it);
			}
			else
			{
				++it;
			}
		}
	}
}


void PtySessions::terminateAll()
{
	for (auto& s: all()) s->terminate();
}


std::size_t PtySessions::size()
{
	std::lock_guard<std::mutex> lock(_mutex);
	return _sessions.size();
}


} } // namespace execd::pty
