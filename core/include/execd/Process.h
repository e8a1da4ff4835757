#pragma once

#include "execd/Core.h"
#include <spawn.h>
#include <sys/types.h>
#include <vector>


namespace execd {


namespace Process
	/// What a module that starts processes must know: execd blocks SIGINT,
	/// SIGTERM and SIGQUIT in all its threads (they are taken by the main thread
	/// with sigwait) and ignores SIGPIPE. Both survive fork and exec, so a child
	/// must undo them, or a command could not be interrupted with SIGTERM.
{
	EXECD_API void resetSignalsInChild();
		/// Empties the signal mask and restores the default action of every signal.
		/// Async-signal-safe: call it in the child between fork() and exec().

	EXECD_API std::vector<pid_t> descendants(pid_t root);
		/// Every live descendant of root (children, their children, ...), from /proc.

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
}


} // namespace execd
