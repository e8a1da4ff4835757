#pragma once

#include "execd/Process.h"
#include <sys/types.h>
#include <vector>


namespace execd {


namespace ProcessTree
	/// Last-resort cleanup at shutdown: whatever a module failed to stop must not
	/// outlive execd. Internal to libexecd_core, behind Process::descendants and
	/// friends; the three functions the daemon calls are exported (EXECD_API) for
	/// execd_daemon, but this header is not installed: they are no module API.
{
	EXECD_API std::vector<pid_t> descendants(pid_t root, std::vector<pid_t>* pGroups = nullptr);
		/// Every live descendant of root, found through /proc/<pid>/stat; their
		/// process groups (other than root's own) are added to *pGroups.

	EXECD_API std::vector<pid_t> children(pid_t parent);
		/// Every live child of parent, whichever of its threads started it (unlike
		/// childIdentities, which sees the children of the main thread only).

	std::vector<Process::Identity> descendantIdentities(pid_t root);
	std::vector<Process::Identity> childIdentities(pid_t parent);
	std::vector<Process::Identity> groupIdentities(pid_t group);
	bool isAlive(const Process::Identity& identity);
	std::vector<pid_t> freezeDescendants(pid_t root, const std::vector<Process::Identity>& spared);
	bool waitUntilStopped(pid_t pid, int timeoutMillis);
		/// See execd/Process.h.

	EXECD_API int killDescendants(pid_t root);
		/// SIGKILLs the process groups of every descendant and every descendant,
		/// reaps our own children, and returns how many descendants were signalled.
		/// Processes reparented away before this runs (daemons) are out of reach
		/// unless they stayed in a descendant's process group.
}


} // namespace execd
