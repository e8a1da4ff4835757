#pragma once

#include <optional>
#include <string>
#include <sys/types.h>
#include <vector>


namespace execd {
namespace shell {


struct SpawnOptions
	/// How to start a command.
{
	std::vector<std::string> argv;       ///< argv[0] is the program path
	std::vector<std::string> env;        ///< "KEY=value"
	std::string cwd;                     ///< "" = inherit
	std::optional<uid_t> uid;
	std::optional<gid_t> gid;
	std::vector<gid_t> groups;           ///< supplementary groups, set when uid or gid is given
	int outputFd = -1;                   ///< >= 0: stdout and stderr both go here; else two pipes
	bool stdinPipe = false;              ///< stdin from a pipe (stdinFd()) instead of /dev/null
};


class ChildProcess
	/// A started command: its own process group (pgid = pid), stdin /dev/null, no
	/// other inherited descriptors, default signal state. Its exit is observable
	/// through a descriptor (Process::openExitDescriptor: a pidfd, or an eventfd
	/// on kernels without one), so a poll loop can wait for output and exit together.
{
public:
	static ChildProcess spawn(const SpawnOptions& options);
		/// Throws Poco::SystemException whose message reads like upstream's
		/// "fork/exec /usr/bin/bash: operation not permitted" when the child could
		/// not be started (exec failure, permission, bad cwd).

	ChildProcess(ChildProcess&& other) noexcept;
	ChildProcess& operator = (ChildProcess&& other) noexcept;
	~ChildProcess();

	pid_t pid() const;
	int exitFd() const;      ///< readable once the process exited; it is not reaped
	int stdoutFd() const;    ///< -1 when output goes to a file
	int stderrFd() const;
	int stdinFd() const;     ///< -1 unless SpawnOptions::stdinPipe
	void closeStdout();
	void closeStderr();

	bool reap(int& status);
		/// Non-blocking waitpid; true once reaped (status as from waitpid).

	int wait();
		/// Blocking waitpid; returns the status, or WAIT_FAILED when the child's
		/// status was lost.

	static constexpr int WAIT_FAILED = -1;

	void signalGroup(int sig);
		/// Sends sig to the whole process group.

private:
	ChildProcess() = default;
	static ChildProcess adopt(pid_t pid, int stdoutFd, int stderrFd, int stdinFd);
	void closeAll();

	pid_t _pid = -1;
	int _exitFd = -1;
	int _stdout = -1;
	int _stderr = -1;
	int _stdin = -1;
	bool _reaped = false;
};


std::string describeExit(int status, int& exitCode);
	/// Upstream's wording: "exit status 3" (exitCode 3), "signal: killed"
	/// (exitCode -1).


} } // namespace execd::shell
