#pragma once

#include "execd/StreamEvent.h"
#include <cstdint>
#include <optional>
#include <string>
#include <sys/resource.h>
#include <sys/types.h>


namespace execd {


namespace RunUsage
	/// What a run's final event says of its end (RunOutcome): the wait status,
	/// the resources of the process tree (wait4), and whether the kernel's OOM
	/// killer ended it.
{
	EXECD_API std::optional<std::uint64_t> oomKills();
		/// The OOM kills counted in execd's memory cgroup (cgroup v2 memory.events,
		/// v1 memory.oom_control), which its children share; nothing where it
		/// cannot be read. Read before and after a run.

	EXECD_API bool kernelReportsOomKill(pid_t pid);
		/// True when the kernel's log (/dev/kmsg, where readable) says its OOM
		/// killer killed pid. Reads at most the first 16,384 records the kernel
		/// still holds; a pid used again, or one of another pid namespace, can
		/// mislead it: the cgroup count is used where it can be read.

	EXECD_API RunOutcome fromWait(int waitStatus, const struct rusage* pUsage, std::optional<std::uint64_t> oomKillsBefore, pid_t pid);
		/// exited (with exit_code) or signaled (with signal), oom_killed for a
		/// SIGKILL the OOM killer dealt (the cgroup's count went up, or, where the
		/// count cannot be read, the kernel's log names pid), and the usage when
		/// known (max_rss_kb only when above execd's own peak: Linux counts the
		/// forking process's peak into the child's). The caller fills in wall_ms,
		/// output_bytes and a stop of its own.

	EXECD_API std::string signalName(int signal);
		/// "SIGKILL", "SIGTERM", ...; "SIG<n>" for one without a name here.
}


} // namespace execd
