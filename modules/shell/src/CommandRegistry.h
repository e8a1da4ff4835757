#pragma once

#include "Poco/Timestamp.h"
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <sys/types.h>


namespace execd {
namespace shell {


struct CommandStatus
	/// What GET /command/status/{id} reports.
{
	std::string id;
	std::string content;
	bool running = false;
	bool background = false;
	std::optional<int> exitCode;
	std::string error;
	Poco::Timestamp startedAt;
	std::optional<Poco::Timestamp> finishedAt;
	std::string outputPath;   ///< background commands: the combined output file

	std::string toJson() const;
		/// Upstream's field order; exit_code, error and finished_at left out when unset.
};


class CommandRegistry
	/// Every command started, foreground and background, by id: status, the
	/// process group to signal, and a way to wait for the end. Finished commands
	/// are forgotten (and their output files removed) beyond a count and an age.
{
public:
	CommandRegistry(std::size_t keepFinished, std::chrono::milliseconds keepFor);
	~CommandRegistry();

	void add(const CommandStatus& status);
		/// Registers a command before its first event is sent.

	void started(const std::string& id, pid_t pgid);
	void finished(const std::string& id, std::optional<int> exitCode, const std::string& error);

	std::optional<CommandStatus> find(const std::string& id) const;

	bool interrupt(const std::string& id, std::chrono::milliseconds grace);
		/// SIGTERM to the command's process group, SIGKILL after grace. Returns false
		/// for an unknown id; throws Poco::IllegalStateException when it is not
		/// running. Returns once the command ended (or after grace + 1 s).

	void forget(const std::string& id);

	void killAll();
		/// SIGKILL to every running command's group (shutdown).

	std::string stopReason(const std::string& id) const;
		/// Why execd stopped the command: "interrupted" (interrupt()) or
		/// "daemon_shutdown" (killAll()); "" when it did not.

	std::size_t size() const;

	std::size_t running() const;
		/// Commands whose process is alive.

private:
	struct Entry
	{
		CommandStatus status;
		pid_t pgid = 0;
		std::string stopReason;   ///< "interrupted" or "daemon_shutdown" once execd stopped it
	};
	void expire();

	std::size_t _keepFinished;
	std::chrono::milliseconds _keepFor;
	mutable std::mutex _mutex;
	std::condition_variable _changed;
	std::map<std::string, Entry> _entries;
};


std::string rfc3339(const Poco::Timestamp& time);
	/// UTC with up to nine fractional digits, trailing zeros trimmed, as Go prints
	/// time.Time: "2026-01-05T10:00:00.123456Z".


} } // namespace execd::shell
