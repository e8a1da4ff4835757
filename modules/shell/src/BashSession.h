#pragma once

#include "Session.h"
#include "execd/EventSink.h"
#include "execd/OutputPump.h"
#include "execd/Process.h"
#include "execd/Subprocess.h"
#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>


namespace execd {
namespace shell {


class BashSession: public Session
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
	BashSession(std::string id, std::string cwd, std::vector<std::string> env, std::string bash, ResourceGroup::Ptr pGroup = nullptr);
	~BashSession() override;

	// Session
	Result run(const std::string& command, const std::string& cwd, std::chrono::milliseconds timeout, EventSink& sink,
		bool killOnDisconnect, const std::function<void()>& started, int teeFd) override;
	void terminate() override;

private:
	void start();
	Subprocess spawnShell();
	Subprocess& takeShell(bool& fresh);
		/// bash for a run, started anew if it had ended; fresh when that loses state.
	void stopRun(Subprocess& child, OutputPump& pump);
	Result endRun(Subprocess& child, const OutputPump& pump, bool bashGone, int status, std::uint64_t outputBytes);

	static constexpr std::chrono::milliseconds STOP_GRACE{1000};
		///< how long bash has after a stop to finish its marker line

	std::vector<std::string> _env;
	std::string _bash;
	std::mutex _mutex;                    // guards _pChild and the flags below
	std::unique_ptr<Subprocess> _pChild;
	std::optional<std::uint64_t> _oomKillsBefore;   // the group's, at the start of the run (under the run lock)
	bool _restarted = false;
	bool _terminated = false;             // terminate() was called: no more runs
	std::string _lastJob;                 // bash's $! after the last run
	std::vector<Process::Identity> _earlierJobs;   // bash's children when $! last changed
};


} } // namespace execd::shell
