#pragma once

#include <string>
#include <sys/types.h>


namespace execd {
namespace jupyter {


class KernelProcess
	/// The process of a kernel that a local Jupyter server started, found in /proc
	/// by the name of its connection file (kernel-<id>.json) on its command line.
	/// Knowing it lets a run notice at once when the kernel dies, instead of
	/// waiting for Jupyter's restarter. Unknown (a remote server) is never gone.
{
public:
	void find(const std::string& kernelId);
		/// Looks for the kernel's process unless it is known already.

	bool gone() const;
		/// True when the process found is a zombie or no longer exists.

	pid_t pid() const;
		/// The process found; 0 when none is.

	void forget();
		/// The kernel was replaced: find() looks again.

private:
	pid_t _pid = 0;   ///< 0 = unknown
};


} } // namespace execd::jupyter
