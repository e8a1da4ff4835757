#pragma once

#include "execd/Subprocess.h"
#include "Poco/Logger.h"
#include <atomic>
#include <chrono>
#include <csignal>
#include <string>
#include <sys/types.h>
#include <vector>


namespace execd {


class InitSupervisor
	/// execd as the sandbox's init (execd --init -- entrypoint args...), run on
	/// the main thread once the HTTP server is up. main() has blocked SIGHUP,
	/// SIGUSR1, SIGUSR2, SIGWINCH and SIGCHLD (besides SIGINT, SIGTERM and
	/// SIGQUIT) in every thread; this class takes them with sigtimedwait.
	///
	/// The entrypoint runs in a process group of its own with execd's stdin,
	/// stdout and stderr and the user-process environment (UserEnvironment). It
	/// is registered with the orphan reaper (Process::own), which reaps every
	/// other child that no module owns; this class reaps the entrypoint.
	///
	///   SIGHUP, SIGUSR1, SIGUSR2, SIGWINCH  forwarded to the entrypoint's group
	///   SIGTERM                             SIGTERM to the entrypoint's group and
	///                                       every other child, SIGKILL after the
	///                                       grace; execd exits with the entrypoint's
	///                                       status (143 when none was started)
	///   SIGINT, SIGQUIT                     an ordinary graceful shutdown, exit 0
	///   the entrypoint exits                the other children are stopped the same
	///                                       way; execd exits with its status
	///
	/// A status is the exit code, or 128 + the signal that killed the process.
	/// Without an entrypoint there is nothing to supervise: SIGTERM, SIGINT and
	/// SIGQUIT end execd with 0. An entrypoint that cannot be started ends it with 1.
{
public:
	InitSupervisor(std::vector<std::string> entrypoint, std::atomic<bool>& ready, std::chrono::milliseconds stopGrace);

	int run();
		/// Starts the entrypoint, sets ready once it runs (or at once when there
		/// is none), and returns when execd should shut down, with its exit status.

private:
	int waitSignal(std::chrono::milliseconds timeout, const sigset_t& signals);
		/// The next signal of the set, or 0 after the timeout.

	int runWithoutEntrypoint();
	bool launch();
	bool reapEntrypoint();
		/// True once the entrypoint has been reaped (now or before).
	int entrypointStatus() const;
	void forward(int sig);
	void stopChildren();
		/// SIGTERM to the entrypoint's group (if it runs) and to every other child
		/// and its group; waits up to the grace for all of them, then SIGKILLs
		/// what is left. Returns with the entrypoint reaped, unless it would not
		/// die even of SIGKILL within 5 s.
	void signalOtherChildren(int sig);
	void killRemaining();

	std::vector<std::string> _entrypoint;
	std::atomic<bool>& _ready;
	std::chrono::milliseconds _stopGrace;
	Poco::Logger& _logger;
	sigset_t _all;       ///< every signal this class takes
	sigset_t _stops;     ///< SIGTERM, SIGINT, SIGQUIT
	Subprocess _entry;
	pid_t _pid = -1;
	bool _reaped = true;
	int _status = 0;
};


} // namespace execd
