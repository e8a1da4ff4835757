#pragma once

#include <sys/types.h>
#include <vector>


namespace execd {


namespace ProcessTree
	/// Last-resort cleanup at shutdown: whatever a module failed to stop must not
	/// outlive execd.
{
	std::vector<pid_t> descendants(pid_t root);
		/// Every live descendant of root, found through /proc/<pid>/stat.

	int killDescendants(pid_t root);
		/// SIGKILLs every descendant (process groups included), reaps our own
		/// children, and returns how many processes were signalled.
}


} // namespace execd
