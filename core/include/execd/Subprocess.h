#pragma once

#include "execd/Core.h"
#include <string>
#include <sys/types.h>
#include <vector>


namespace execd {


class EXECD_API Subprocess
	/// A child process in a process group of its own, with pipes for stdin,
	/// stdout and stderr and, optionally, a control pair (the child's fds 3 and
	/// 4: it reads requests from 3 and writes replies to 4). Registered with the
	/// orphan reaper (Process::own) so that its exit status is its owner's.
	/// Language modules use it to drive an interpreter or a compiled program.
{
public:
	struct Options
	{
		std::vector<std::string> argv;     ///< argv[0] is the executable path
		std::vector<std::string> env;      ///< NAME=value entries added to execd's environment
		std::string cwd;                   ///< "" = execd's
		bool control = false;              ///< open fds 3 (child reads) and 4 (child writes)
	};

	Subprocess() = default;
	~Subprocess();
	Subprocess(const Subprocess&) = delete;
	Subprocess& operator = (const Subprocess&) = delete;

	void start(const Options& options);
		/// Throws Poco::SystemException when the process cannot be started.

	pid_t pid() const;
	int input() const;          ///< our end of its stdin
	int output() const;         ///< our end of its stdout
	int errors() const;         ///< our end of its stderr
	int controlIn() const;      ///< our end of its fd 3 (we write)
	int controlOut() const;     ///< our end of its fd 4 (we read)

	void closeInput();

	void signal(int sig);
		/// To the whole process group, while the process has not been reaped.

	bool poll(int& status);
		/// Reaps the process if it has exited; true then, with the wait status.

	int wait();
		/// Waits for the process to exit and reaps it; returns the wait status.

	bool running() const;

private:
	void closeAll();

	pid_t _pid = -1;
	bool _reaped = true;
	int _status = 0;
	int _in = -1, _out = -1, _err = -1, _ctlIn = -1, _ctlOut = -1;
};


} // namespace execd
