#include "SessionManager.h"
#include "BashSession.h"
#include "ShSession.h"
#include "execd/UserEnvironment.h"
#include "Poco/UUIDGenerator.h"


namespace execd {
namespace shell {


SessionManager::SessionManager(std::string shell, FloodGate::Limits flood, std::string spoolDirectory):
	_shell(std::move(shell)),
	_bash(_shell.compare(_shell.rfind('/') + 1, 4, "bash") == 0),
	_flood(std::move(flood)),
	_spoolDirectory(std::move(spoolDirectory))
{
}


const FloodGate::Limits& SessionManager::flood() const
{
	return _flood;
}


const std::string& SessionManager::spoolDirectory() const
{
	return _spoolDirectory;
}


SessionManager::~SessionManager()
{
	terminateAll();
}


std::shared_ptr<Session> SessionManager::create(const std::string& cwd, const ResourceGroup::Ptr& pGroup)
{
	// A snapshot: the EXECD_ENVS file as it is now (a restarted bash gets the same).
	std::vector<std::string> env = UserEnvironment::entries();
	std::string id = Poco::UUIDGenerator::defaultGenerator().createRandom().toString();
	std::shared_ptr<Session> pSession;
	if (_bash)
		pSession = std::make_shared<BashSession>(id, cwd, env, _shell, pGroup);
	else
		pSession = std::make_shared<ShSession>(id, cwd, env, _shell, pGroup);
	std::lock_guard<std::mutex> lock(_mutex);
	_sessions[id] = pSession;
	return pSession;
}


std::shared_ptr<Session> SessionManager::find(const std::string& id) const
{
	std::lock_guard<std::mutex> lock(_mutex);
	auto it = _sessions.find(id);
	return it == _sessions.end() ? nullptr : it->second;
}


bool SessionManager::remove(const std::string& id)
{
	std::shared_ptr<Session> pSession;
	{
		std::lock_guard<std::mutex> lock(_mutex);
		auto it = _sessions.find(id);
		if (it == _sessions.end()) return false;
		pSession = it->second;
		_sessions.erase(it);
	}
	pSession->interrupt();
	pSession->terminate();
	return true;
}


std::vector<std::shared_ptr<Session>> SessionManager::list() const
{
	std::lock_guard<std::mutex> lock(_mutex);
	std::vector<std::shared_ptr<Session>> result;
	for (const auto& s: _sessions) result.push_back(s.second);
	return result;
}


void SessionManager::terminateAll()
{
	std::map<std::string, std::shared_ptr<Session>> sessions;
	{
		std::lock_guard<std::mutex> lock(_mutex);
		sessions.swap(_sessions);
	}
	for (auto& s: sessions)
	{
		s.second->interrupt();
		s.second->terminate();
	}
}


} } // namespace execd::shell
