#pragma once

#include "execd/EventSink.h"
#include "execd/OutputPump.h"
#include "execd/ResourceLimits.h"
#include <optional>
#include <atomic>
#include <chrono>
#include <functional>
#include <mutex>
#include <string>


namespace execd {
namespace shell {


class Session
	/// A shell session (/session, and the code language "bash"): commands run one
	/// after another, and what they leave (variables, the working directory)
	/// persists between runs. BashSession keeps a live bash; ShSession, for images
	/// without bash, replays exported variables and the directory with sh.
{
public:
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
		RunOutcome ending;   ///< what the session knows of the run's end; the caller adds wall_ms
		bool teeFailed = false;   ///< writing the copy of the output (teeFd) failed part way
	};

	virtual ~Session();

	const std::string& id() const;
	const std::string& cwd() const;
		/// Where the session started (the state of an ShSession moves on).

	virtual Result run(const std::string& command, const std::string& cwd, std::chrono::milliseconds timeout, EventSink& sink,
		bool killOnDisconnect, const std::function<void()>& started, int teeFd) = 0;
		/// Runs one command, emitting stdout and stderr events (not init, not the
		/// terminal event); teeFd, when not -1, gets a copy of the command's output
		/// as read (stdout and stderr in that order, nothing of execd's own). Returns BUSY at once when a run is in progress;
		/// otherwise calls started() once the session is taken, before any output.
		/// Throws Poco::InvalidArgumentException for a command with a NUL byte
		/// and Poco::IllegalStateException once terminated.

	bool interrupt();
		/// Stops the current run, as its timeout would. False when nothing runs.

	virtual void terminate() = 0;
		/// Ends the session's processes.

	bool running() const;

protected:
	Session(std::string id, std::string cwd, ResourceGroup::Ptr pGroup);
		/// Throws Poco::SystemException when the wake-up eventfd cannot be made.
		/// With pGroup (POST /session with "limits"), every process of the
		/// session runs in that ResourceGroup.

	std::optional<std::uint64_t> oomKills() const;
		/// The OOM kills counted in the session's group (ResourceGroup::oomKills()).

	std::unique_lock<std::mutex> beginRun(const std::string& command, const std::string& cwd);
		/// The run lock, held for the whole of a run; not owned when another run
		/// is in progress (the run returns BUSY). Throws
		/// Poco::InvalidArgumentException for a NUL byte in command or cwd.

	static OutputPump::Options pumpOptions(std::chrono::milliseconds timeout, bool killOnDisconnect);
	static std::string stopReason(OutputPump::Stop stop);
		/// "timeout", "client_gone", "interrupted"; "" for Stop::NONE.
		/// The deadline and what a client gone means, for the run's OutputPump.

	void watchInterrupts(OutputPump& pump);
		/// interrupt() stops the pump's run.

	std::mutex _runMutex;   ///< held for the whole of a run
	const std::string _id;
	const std::string _cwd;
	const ResourceGroup::Ptr _pGroup;
	std::atomic<bool> _running{false};
	std::atomic<bool> _interrupted{false};

private:
	int _wakeFd = -1;
};


} } // namespace execd::shell
