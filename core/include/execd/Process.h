#pragma once

#include "execd/Core.h"
#include <spawn.h>
#include <sys/types.h>
#include <vector>


namespace execd {


namespace Process
	/// What a module that starts processes must know: execd blocks SIGINT,
	/// SIGTERM and SIGQUIT in all its threads (they are taken by the main thread
	/// with sigwait; with --init also SIGHUP, SIGUSR1, SIGUSR2, SIGWINCH and
	/// SIGCHLD) and ignores SIGPIPE. Both survive fork and exec, so a child
	/// must undo them, or a command could not be interrupted with SIGTERM.
{
	EXECD_API void resetSignalsInChild();
		/// Empties the signal mask and restores the default action of every signal.
		/// Async-signal-safe: call it in the child between fork() and exec().

	EXECD_API std::vector<pid_t> descendants(pid_t root);
		/// Every live descendant of root (children, their children, ...), from /proc.

	struct Identity
		/// A process as it cannot be mistaken for a later one with the same pid:
		/// the pid and the start time (clock ticks after boot, /proc/<pid>/stat).
	{
		pid_t pid = 0;
		unsigned long long started = 0;

		bool operator < (const Identity& other) const
		{
			return pid != other.pid ? pid < other.pid : started < other.started;
		}
	};

	EXECD_API std::vector<Identity> descendantIdentities(pid_t root);
		/// descendants() with their start times.

	EXECD_API std::vector<Identity> childIdentities(pid_t parent);
		/// The children of parent (a single-threaded process) with their start
		/// times: one read of /proc/<pid>/task/<pid>/children where the kernel has
		/// it (CONFIG_PROC_CHILDREN), else a scan of /proc.

	EXECD_API std::vector<Identity> groupIdentities(pid_t group);
		/// The live members of a process group with their start times (one scan
		/// of /proc, and none when the group is empty): what a shell that ended
		/// left behind in its group, its background jobs.

	EXECD_API bool isAlive(const Identity& identity);
		/// True while that very process runs (not a zombie, not a later process
		/// that reused the pid).

	EXECD_API std::vector<pid_t> freezeDescendants(pid_t root, const std::vector<Identity>& spared);
		/// Stops (SIGSTOP) every descendant of root except the spared ones and
		/// everything below them, looking again until a look finds no new process,
		/// so that none can escape by forking meanwhile; returns the stopped pids,
		/// for the caller to SIGKILL (or SIGCONT). root itself is not signalled:
		/// stop it first if it could start more.

	EXECD_API bool waitUntilStopped(pid_t pid, int timeoutMillis);
		/// True once pid is in the stopped state (after a SIGSTOP), false after the
		/// timeout or when pid is gone.

	EXECD_API int setSpawnGroupAndSignals(posix_spawnattr_t& attributes);
		/// setSpawnSignalDefaults() plus a process group of the child's own
		/// (POSIX_SPAWN_SETPGROUP with group 0), so that it can be signalled as a
		/// whole. Returns 0 or an errno value.

	EXECD_API int setSpawnSignalDefaults(posix_spawnattr_t& attributes);
		/// The same for posix_spawn: an empty mask and default actions, via
		/// POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF (other flags already set
		/// are kept). Returns 0 or an errno value.

	class EXECD_API SpawnGuard
		/// Hold one while starting a child and until Process::own() registered it.
		/// execd reaps orphaned processes when it is PID 1 or a subreaper; the
		/// guard keeps it from reaping (and so stealing the exit status of) a child
		/// that exited before its owner registered it.
	{
	public:
		SpawnGuard();
		~SpawnGuard();
		SpawnGuard(const SpawnGuard&) = delete;
		SpawnGuard& operator = (const SpawnGuard&) = delete;
	};

	EXECD_API void own(pid_t pid);
		/// The caller will reap pid itself (waitpid); the orphan reaper leaves it.

	EXECD_API void disown(pid_t pid);
		/// Call after reaping pid.

	struct KernelSupport
		/// What the kernel offers of the calls newer than Linux 4.18 that execd
		/// uses, probed once when the core library is loaded. Each error is 0 when
		/// the call works, else the errno of the probe (ENOSYS on an old kernel,
		/// EPERM under some seccomp profiles).
	{
		int pidfdError = 0;        ///< pidfd_open(2), Linux 5.3
		int closeRangeError = 0;   ///< close_range(2), Linux 5.9

		bool pidfd() const { return pidfdError == 0; }
		bool closeRange() const { return closeRangeError == 0; }
	};

	EXECD_API const KernelSupport& kernelSupport();
		/// The probe's result (the same every time).

	EXECD_API int openExitDescriptor(pid_t pid);
		/// A close-on-exec descriptor that becomes readable (POLLIN), and stays so,
		/// once pid, a child of ours, has exited; the caller owns and closes it. It
		/// never reaps: the exit status stays the owner's, to collect with waitpid.
		/// A pidfd where the kernel has pidfd_open; else an eventfd that a thread of
		/// its own signals when waitid(WNOWAIT) sees the exit, the thread then ends.
		/// Returns -1 with errno set when neither can be had.

	EXECD_API void closeDescriptorsFrom(int lowest, int keep = -1);
		/// Closes every descriptor from lowest up, except keep (-1: none).
		/// Async-signal-safe and without allocation: for a child between fork()
		/// and exec(). close_range(2) where the kernel has it; else the descriptors
		/// /proc/self/fd lists; without /proc, every number below RLIMIT_NOFILE.
}


} // namespace execd
