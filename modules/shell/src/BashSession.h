#pragma once

#include "ChildProcess.h"
#include "execd/EventSink.h"
#include "execd/Process.h"
#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>


namespace execd {
namespace shell {


class BashSession
	/// A live bash process that runs commands one after another, so that all of its
	/// state persists between runs: variables (exported or not), functions,
	/// aliases, options, the working directory.
	///
	/// Each run sends the command to bash's stdin, length-prefixed (read -N), to be
	/// eval'ed with stdin from /dev/null; a marker line with a per-run random token
	/// and the exit status follows on stdout and stderr, and ends the run. stdout
	/// and stderr stay apart. A timeout, an interrupt or a client that went away
	/// kill the run's processes (bash's descendants), not bash; if bash itself
	/// stays busy (a shell loop), or the command ends bash (exit), the next run
	/// starts a fresh bash and says so on stderr.
{
public:
	BashSession(std::string id, std::string cwd, std::vector<std::string> env, std::string bash);
	~BashSession();

	const std::string& id() const;
	const std::string& cwd() const;

	enum class Outcome
	{
		EXITED,       ///< exitCode is the status of the command
		KILLED,       ///< interrupted, or the client went away
		TIMED_OUT,    ///< the run's timeout expired
		BUSY          ///< another run is in progress
	};

	struct Result
	{
		Outcome outcome = Outcome::EXITED;
		int exitCode = 0;
		std::string error;   ///< "exit status 3", "signal: killed"
	};

	Result run(const std::string& command, const std::string& cwd, std::chrono::milliseconds timeout, EventSink& sink,
		bool killOnDisconnect, const std::function<void()>& started);
		/// Runs one command, emitting stdout and stderr events (not init, not the
		/// terminal event). Returns BUSY at once when a run is in progress;
		/// otherwise calls started() once the session is taken, before any output.
		/// Throws Poco::InvalidArgumentException for a command with a NUL byte
		/// (bash cannot hold one) and Poco::IllegalStateException once terminated.

	bool interrupt();
		/// Stops the current run, as its timeout would. False when nothing runs.

	void terminate();
		/// Ends bash and everything it started.

	bool running() const;

private:
	void start();
	ChildProcess spawnShell();
	static void killAll(ChildProcess& child);

	static constexpr std::chrono::milliseconds STOP_GRACE{1000};
		///< how long bash has after a stop to finish its marker line

	std::string _id;
	std::string _cwd;
	std::vector<std::string> _env;
	std::string _bash;
	std::mutex _runMutex;                 // held for the whole of a run
	std::mutex _mutex;                    // guards _pChild and the flags below
	std::unique_ptr<ChildProcess> _pChild;
	bool _restarted = false;
	bool _terminated = false;             // terminate() was called: no more runs
	std::atomic<bool> _running{false};
	std::atomic<bool> _interrupted{false};
	int _wakeFd = -1;                     // an eventfd: interrupt() wakes the run
	std::string _lastJob;                 // bash's $! after the last run
	std::vector<Process::Identity> _earlierJobs;   // bash's children when $! last changed
};


class SessionManager
	/// Every bash session by id.
{
public:
	explicit SessionManager(std::string bash);
	~SessionManager();

	std::shared_ptr<BashSession> create(const std::string& cwd);
		/// cwd ("" = execd's) must exist. Throws Poco::Exception on failure.
	std::shared_ptr<BashSession> find(const std::string& id) const;
	bool remove(const std::string& id);
	std::vector<std::shared_ptr<BashSession>> list() const;
	void terminateAll();

private:
	std::string _bash;
	mutable std::mutex _mutex;
	std::map<std::string, std::shared_ptr<BashSession>> _sessions;
};


} } // namespace execd::shell
