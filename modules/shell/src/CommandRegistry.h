#pragma once

#include "CommandInput.h"
#include "CommandTap.h"
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
#include <vector>


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
	std::string tag;          ///< the client's label ("tag"), "" when none
	pid_t pid = 0;            ///< the command's process (and group), once started
	bool stdinPipe = false;   ///< started with "stdin": true
	bool stdinOpen = false;   ///< ... and its stdin not closed yet
	bool announced = false;   ///< its init event has gone out (and a journal, if any, is published)

	std::string toJson() const;
		/// Upstream's field order; exit_code, error and finished_at left out when unset.

	std::string toListJson() const;
		/// An entry of GET /commands: id, content, tag, running, background, pid,
		/// stdin, exit_code, error, started_at, finished_at (unset ones left out).

private:
	void appendEnd(std::string& out) const;
		/// exit_code, error, started_at, finished_at and the closing brace.
};


struct CommandFilter
	/// What GET /commands asks for.
{
	std::optional<bool> running;   ///< state=running / state=exited; any when unset
	std::string tag;               ///< "" = any
	std::size_t limit = 100;
	std::uint64_t after = 0;       ///< the cursor: entries registered after this one
};


struct CommandPage
{
	std::vector<CommandStatus> commands;   ///< oldest first
	std::uint64_t next = 0;                ///< the cursor of the next page; 0 = none
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

	void started(const std::string& id, pid_t pgid, std::shared_ptr<CommandInput> pInput = nullptr, std::shared_ptr<CommandTap> pTap = nullptr);
		/// The command runs as process group pgid; pInput feeds its stdin, pTap
		/// passes on its events (foreground commands). Both are let go when it ends.
	void announced(const std::string& id);
		/// The command's init event went out: followers may attach.

	void finished(const std::string& id, std::optional<int> exitCode, const std::string& error);

	std::optional<CommandStatus> find(const std::string& id) const;

	std::optional<CommandStatus> findAnnounced(const std::string& id, std::chrono::milliseconds wait) const;
		/// find(), once a running foreground command has sent its init event (its
		/// journal, if any, is published then), waiting at most wait for it.

	CommandPage list(const CommandFilter& filter) const;

	std::shared_ptr<CommandInput> input(const std::string& id) const;
		/// The stdin of a running command. Throws ApiException: 404
		/// COMMAND_NOT_FOUND, 409 COMMAND_NOT_RUNNING, 409 STDIN_NOT_OPEN.

	void closeInput(const std::string& id);
		/// EOF for the command's stdin (see CommandInput::close()); the same errors.

	void signal(const std::string& id, int sig);
		/// sig to the command's process group. Throws ApiException 404
		/// COMMAND_NOT_FOUND or 409 COMMAND_NOT_RUNNING.

	std::shared_ptr<CommandTap::Follower> follow(const std::string& id, std::shared_ptr<CommandTap>& pTap) const;
		/// A follower of a running foreground command's events, and its tap (to
		/// detach from); nothing for one that is not running or in the background.

	bool waitFinished(const std::string& id, std::chrono::milliseconds wait) const;
		/// True once the command is no longer running (or unknown).

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
		std::uint64_t order = 0;  ///< registration order, the listing's cursor
		std::shared_ptr<CommandInput> pInput;
		std::shared_ptr<CommandTap> pTap;
	};
	void expire();
	const Entry& runningLocked(const std::string& id) const;

	std::size_t _keepFinished;
	std::chrono::milliseconds _keepFor;
	mutable std::mutex _mutex;
	mutable std::condition_variable _changed;
	std::map<std::string, Entry> _entries;
	std::uint64_t _added = 0;
};


std::string rfc3339(const Poco::Timestamp& time);
	/// UTC with up to nine fractional digits, trailing zeros trimmed, as Go prints
	/// time.Time: "2026-01-05T10:00:00.123456Z".


} } // namespace execd::shell
