#pragma once

#include "IsolatedSession.h"
#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <thread>
#include <vector>


namespace execd {
namespace isolation {


class SessionRegistry
	/// The isolated sessions, by id, with their idle bookkeeping (contract §3.9):
	/// a GC pass every gcInterval deletes sessions whose process is gone and those
	/// idle (no completed run) for longer than their idle_timeout_seconds; a session
	/// that is running is never reaped. Deleted sessions are torn down (killed,
	/// overlay unmounted, upper removed); one whose teardown failed stays registered
	/// and is tried again.
{
public:
	struct Entry
	{
		std::shared_ptr<IsolatedSession> session;
		std::chrono::system_clock::time_point createdAt;
		std::chrono::system_clock::time_point lastRunAt;   ///< refreshed by completed runs only
		std::chrono::steady_clock::time_point lastRunSteady;
		bool stopping = false;
		std::shared_ptr<std::mutex> running;   ///< held by a run: GC skips the session
		std::shared_ptr<std::shared_timed_mutex> files;   ///< shared by file operations: teardown waits for them (5 s)
	};

	explicit SessionRegistry(std::chrono::milliseconds gcInterval = std::chrono::seconds(60));
	~SessionRegistry();

	void start();
		/// GC from now on: its thread starts with the first session.
	void stop();
		/// Ends the GC thread and tears every session down.

	void add(std::shared_ptr<IsolatedSession> session);
	std::optional<Entry> find(const std::string& id) const;
	std::vector<Entry> list() const;

	void completedRun(const std::string& id);
		/// A run saw its end marker: the idle timer starts again.

	void remove(const std::string& id);
		/// Marks the session stopping (find() reports it so: runs and file operations
		/// are refused), waits up to 5 s for the file operations under way, then
		/// tears the session down and forgets it. Throws Poco::NotFoundException for
		/// an unknown id, and Poco::Exception when teardown failed (it stays then).

	void collect();
		/// One GC pass (the thread's; public for tests).

private:
	void loop();

	const std::chrono::milliseconds _gcInterval;
	mutable std::mutex _mutex;
	std::condition_variable _wake;
	std::map<std::string, Entry> _sessions;
	bool _started = false;
	bool _stopping = false;
	std::thread _thread;
};


} } // namespace execd::isolation
