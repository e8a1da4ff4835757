#pragma once

#include "PtySession.h"
#include <chrono>
#include <cstddef>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>


namespace execd {
namespace pty {


class PtySessions
	/// Every PTY session by id.
{
public:
	std::shared_ptr<PtySession> create(const std::string& cwd, const std::string& command);
	std::shared_ptr<PtySession> find(const std::string& id);
	std::shared_ptr<PtySession> remove(const std::string& id);
	std::vector<std::shared_ptr<PtySession>> all();
	void expire(std::chrono::milliseconds ttl);
		/// Forgets sessions with no client and no shell, idle longer than ttl.

	void terminateAll();
	std::size_t size();

private:
	std::mutex _mutex;
	std::map<std::string, std::shared_ptr<PtySession>> _sessions;
};


} } // namespace execd::pty
