#pragma once

#include "Session.h"
#include "execd/FloodGate.h"
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>


namespace execd {
namespace shell {


class SessionManager
	/// Every session by id: BashSessions when the shell commands run with is bash,
	/// ShSessions otherwise.
{
public:
	explicit SessionManager(std::string shell, FloodGate::Limits flood = FloodGate::Limits(), std::string spoolDirectory = "/tmp");
		/// flood: the flood policy of session runs, their spill files in spoolDirectory.
	~SessionManager();

	const FloodGate::Limits& flood() const;
	const std::string& spoolDirectory() const;

	std::shared_ptr<Session> create(const std::string& cwd, const ResourceGroup::Ptr& pGroup = nullptr);
		/// With pGroup, the session's processes run in that ResourceGroup, which
		/// goes with the session.
		/// cwd ("" = execd's) must exist. Throws Poco::Exception on failure.
	std::shared_ptr<Session> find(const std::string& id) const;
	bool remove(const std::string& id);
	std::vector<std::shared_ptr<Session>> list() const;
	void terminateAll();

private:
	std::string _shell;
	bool _bash;
	const FloodGate::Limits _flood;
	const std::string _spoolDirectory;
	mutable std::mutex _mutex;
	std::map<std::string, std::shared_ptr<Session>> _sessions;
};


} } // namespace execd::shell
