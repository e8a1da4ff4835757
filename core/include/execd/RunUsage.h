#pragma once

#include "execd/StreamEvent.h"
#include <cstdint>
#include <optional>
#include <string>
#include <sys/resource.h>
#include <sys/types.h>


namespace execd {


class ResourceGroup;


namespace RunUsage
	/// What a run's final event says of its end (RunOutcome): the wait status,
	/// the resources of the process tree (wait4), and whether the kernel's OOM
	/// killer ended it.
{
	EXECD_API std::optional<std::uint64_t> oomKills();
		/// The OOM kills counted in execd's memory cgroup (cgroup v2 memory.events,
		/// v1 memory.oom_control), which its children share; nothing where it
		/// cannot be read. Read before and after a run.

	EXECD_API std::optional<std::uint64_t> oomKills(const ResourceGroup* pGroup);
		/// The group's count when it has a memory limit, else oomKills().

	EXECD_API void markOomKill(RunOutcome& outcome, std::optional<std::uint64_t> oomKillsBefore, const ResourceGroup* pGroup);
		/// A run that exited 137 (128 + SIGKILL: a shell whose child was killed)
		/// after the OOM killer took a process of pGroup since oomKillsBefore
		/// (the group's own count) becomes oom_killed (SIGKILL, no exit_code). A
		/// heuristic: another 137 at the same time would be taken for one too.

	EXECD_API bool kernelReportsOomKill(pid_t pid);
		/// True when the kernel's log (/dev/kmsg, where readable) says its OOM
		/// killer killed pid. Reads at most the first 16,384 records the kernel
		/// still holds; a pid used again, or one of another pid namespace, can
		/// mislead it: the cgroup count is used where it can be read.

	EXECD_API RunOutcome fromWait(int waitStatus, const struct rusage* pUsage, std::optional<std::uint64_t> oomKillsBefore, pid_t pid, const ResourceGroup* pGroup = nullptr);
		/// exited (with exit_code) or signaled (with signal), oom_killed for a
		/// SIGKILL the OOM killer dealt (the cgroup's count went up, or, where the
		/// count cannot be read, the kernel's log names pid), and the usage when
		/// known. With the run's own ResourceGroup, oomKillsBefore is the group's
		/// count (oomKills(pGroup)), and a shell that ended with 137 (128 + SIGKILL)
		/// after the OOM killer took a process of its group ended oom_killed too.
		/// The usage when
		/// known (max_rss_kb only when above execd's own peak: Linux counts the
		/// forking process's peak into the child's). The caller fills in wall_ms,
		/// output_bytes and a stop of its own.

	EXECD_API std::string signalName(int signal);
		/// "SIGKILL", "SIGTERM", ...; "SIG<n>" for one without a name here.

	EXECD_API void setDaemonStopping();
		/// execd is shutting down: runs that end from here on, but for those that
		/// ended well, ended because of it (daemon_shutdown).

	EXECD_API bool daemonStopping();
}


class EXECD_API RunMeter
	/// Measures one run for its RunOutcome where the code runs in a process that
	/// outlives the run: a kernel, a JVM. From construction on it watches that
	/// process's CPU time (its own and that of the children it waited for, from
	/// /proc/<pid>/stat), its peak memory (reset at the start through
	/// /proc/<pid>/clear_refs, read as VmHWM at the end) and the OOM kills of
	/// execd's memory cgroup. What cannot be read is left out of the outcome.
{
public:
	explicit RunMeter(pid_t pid, const ResourceGroup* pGroup = nullptr);
		/// pid 0: no process is known; only the OOM kills are watched: those of
		/// pGroup, the process's ResourceGroup, when it has a memory limit, else
		/// those of execd's cgroup. The group must outlive the meter.

	RunOutcome completed(bool failed) const;
		/// The code ended and the process lives on: exited with exit_code 0, or 1
		/// when the run ended in an error; the process's CPU time and peak memory
		/// since the start.

	RunOutcome died(std::optional<int> waitStatus, const struct rusage* pUsage) const;
		/// The process died during the run. With its wait status (execd reaped it)
		/// as RunUsage::fromWait says, less the CPU time it had used before the
		/// run, and without a peak (wait4's may be from before the run); without one (another process reaped it), oom_killed with SIGKILL
		/// when the cgroup's count went up or the kernel's log names the pid, else
		/// signaled, with no signal known.

	pid_t pid() const;

private:
	pid_t _pid;
	const ResourceGroup* _pGroup;
	std::optional<std::uint64_t> _oomKillsBefore;
	std::optional<Poco::Int64> _userBefore;     ///< ms
	std::optional<Poco::Int64> _systemBefore;   ///< ms
	bool _peakReset = false;
};


} // namespace execd
