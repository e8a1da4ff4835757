#pragma once

#include <string>
#include <vector>
#include <sys/types.h>


namespace execd {
namespace jupyter {


class KernelReaper
	/// Kills what a Jupyter server that ended left behind. jupyter_client starts
	/// each kernel in a session of its own, so they are not in the server's process
	/// group, and ipykernel only notices a dead parent when it is reparented to
	/// PID 1: adopted by execd (a subreaper) they would run for ever.
{
public:
	static int killLeftovers(const std::string& runtimeDir);
		/// SIGKILLs the kernels of the server whose runtime directory (connection
		/// files) is runtimeDir, whatever inherited the environment it gave them,
		/// and all their descendants; returns how many processes it killed.

	static std::vector<pid_t> leftovers(const std::string& runtimeDir);
		/// Those processes, from /proc; never execd itself.
};


} } // namespace execd::jupyter
