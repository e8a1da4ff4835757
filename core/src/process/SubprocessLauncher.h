#pragma once

#include "execd/Subprocess.h"
#include <string>
#include <vector>


namespace execd {


struct Pipe
	/// A pipe (O_CLOEXEC) whose ends close with it unless taken.
{
	int fds[2] = {-1, -1};

	~Pipe();
	bool open();
		/// False, with errno set, when pipe2 fails.
	int take(int side);
		/// The end, now the caller's.
	void closeSide(int side);
	void closeBoth();
};


class SubprocessLauncher
	/// Everything one start needs, prepared before the child exists (between
	/// fork and exec only async-signal-safe calls are allowed), and closed
	/// again, whatever happens, when it goes out of scope.
{
public:
	explicit SubprocessLauncher(const Subprocess::Options& options);
	~SubprocessLauncher();

	pid_t launch();
		/// Returns the child's pid, registered with the orphan reaper.

	void handOver(Subprocess& process, pid_t pid);

private:
	bool needsFork() const;
	void openChannels();
	void openTerminal();
	int firstClosed() const;
	pid_t spawn();
	pid_t forkExec();
	[[noreturn]] void childSide(int errorPipe);
	void fail(int err) const;

	const Subprocess::Options& _options;
	std::vector<char*> _argv;
	std::vector<char*> _envp;
	Pipe _in, _out, _err, _c3, _c4;
	int _master = -1;
	std::string _slaveName;
	std::vector<int> _join;     ///< the ResourceGroup's cgroup.procs, for the child to write
	std::string _oomScoreAdj;   ///< written by the child of a ResourceGroup
};


} // namespace execd
