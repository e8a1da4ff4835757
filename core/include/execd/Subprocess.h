#pragma once

#include "execd/Core.h"
#include "execd/ResourceLimits.h"
#include <optional>
#include <string>
#include <sys/resource.h>
#include <sys/types.h>
#include <vector>


namespace execd {


class EXECD_API Subprocess
	/// A child process of execd's: every process execd starts is one (commands,
	/// shells of sessions and terminals, interpreters, the Jupyter server, the
	/// --init entrypoint).
	///
	/// The child starts in a process group of its own (pgid = pid), or, on a
	/// terminal, in a session of its own with the terminal as its controlling
	/// one; with default signal dispositions and an empty signal mask (see
	/// Process); with no descriptor of execd's but 0, 1, 2 and, if asked for,
	/// the control pair 3 and 4. It is registered with the orphan reaper
	/// (Process::own) before it can exit, so its exit status is its owner's.
	///
	/// Started with posix_spawn (no copy of execd's page tables) unless it must
	/// switch users, get a terminal or join a ResourceGroup, which only fork can do; either way a
	/// failure to start it (no such program, no permission, a bad directory) is
	/// an exception in the parent, not an exit status 127.
	///
	/// Our ends of stdout and stderr are non-blocking; the others block.
	/// Movable, not copyable. A Subprocess destroyed before its process was reaped
	/// kills the process group and reaps it (waiting at most a second; after that
	/// the orphan reaper takes it).
{
public:
	enum class Input
	{
		NONE,       ///< /dev/null
		PIPE,       ///< a pipe: write to input()
		INHERIT     ///< execd's own stdin
	};

	enum class Output
	{
		PIPES,      ///< two pipes: read output() and errors()
		DESCRIPTOR, ///< stdout and stderr both to Options::outputDescriptor (a file)
		INHERIT,    ///< execd's own stdout and stderr
		TERMINAL    ///< a new pseudo-terminal is stdin, stdout and stderr: terminal()
	};

	struct Options
	{
		std::vector<std::string> argv;       ///< argv[0] is the program's path
		std::vector<std::string> env;        ///< the whole environment, NAME=value (see environment())
		std::string cwd;                     ///< "" = execd's
		bool searchPath = false;             ///< argv[0] without a slash is looked up in $PATH
		std::optional<uid_t> uid;            ///< switch to this user (fork path)
		std::optional<gid_t> gid;
		std::vector<gid_t> groups;           ///< supplementary groups, set when uid or gid is given
		Input input = Input::NONE;           ///< ignored with Output::TERMINAL
		Output output = Output::PIPES;
		int outputDescriptor = -1;           ///< with Output::DESCRIPTOR
		bool control = false;                ///< fds 3 (child reads: controlIn()) and 4 (child writes: controlOut())
		int inheritDescriptor = -1;          ///< without control: this descriptor of ours is the child's fd 3
		unsigned short rows = 24;            ///< the terminal's size, with Output::TERMINAL
		unsigned short columns = 80;
		ResourceGroup::Ptr group;            ///< joined before exec, with its oom_score_adj (the fork path)
	};

	static constexpr int WAIT_FAILED = -1;
		///< what wait() returns when the status was lost (someone else reaped it)

	Subprocess() = default;
		/// No process: start() one.

	explicit Subprocess(const Options& options);
		/// Starts the process; see start().

	Subprocess(Subprocess&& other) noexcept;
	Subprocess& operator = (Subprocess&& other) noexcept;
		/// A process still running here is killed and reaped first.
	~Subprocess();

	Subprocess(const Subprocess&) = delete;
	Subprocess& operator = (const Subprocess&) = delete;

	void start(const Options& options);
		/// Throws Poco::SystemException when the process cannot be started: its
		/// message reads like upstream's (Go's) "fork/exec /usr/bin/bash: no such
		/// file or directory", its code() is the errno value. Throws
		/// Poco::IllegalStateException while an earlier process is not reaped.

	static std::vector<std::string> environment();
		/// execd's own environment, as NAME=value entries.

	pid_t pid() const;
		/// -1 before start().

	int exitDescriptor() const;
		/// Readable (POLLIN) once the process has exited, and until it is reaped:
		/// poll it with the pipes to wait for output and exit at once
		/// (Process::openExitDescriptor). -1 without a process.

	int input() const;        ///< our end of its stdin (Input::PIPE), else -1
	int output() const;       ///< our end of its stdout (Output::PIPES), else -1
	int errors() const;       ///< our end of its stderr (Output::PIPES), else -1
	int terminal() const;     ///< the terminal's master side (Output::TERMINAL), else -1
	int controlIn() const;    ///< our end of its fd 3 (we write), else -1
	int controlOut() const;   ///< our end of its fd 4 (we read), else -1

	void closeInput();
	void closeOutput();
	void closeErrors();

	void signalGroup(int sig);
		/// Sends sig to the whole process group (the session's group, on a
		/// terminal), while the process is not reaped.

	void killDescendants();
		/// SIGKILLs the process group and every descendant, wherever it moved
		/// (setsid, its own group): each is stopped first, and the tree looked at
		/// again until nothing new appears, so that nothing forks its way out.

	bool tryReap(int& status);
		/// Reaps the process if it has exited: true then, with its wait status, or
		/// WAIT_FAILED when someone else reaped it (true at once, with the same
		/// status, once reaped; false without a process).

	int wait();
		/// Waits for the process to exit and reaps it; returns its wait status, or
		/// WAIT_FAILED.

	bool running() const;
		/// Started and not reaped yet.

	const struct rusage* usage() const;
		/// The resources the process and the descendants it waited for used
		/// (wait4), once tryWait() or wait() reaped it; nullptr before, or when
		/// someone else reaped it.

	static std::string describeExit(int status, int& exitCode);
		/// A wait status in upstream's words: "exit status 3" (exitCode 3),
		/// "signal: killed" (exitCode -1), "wait: no child processes" for WAIT_FAILED.

private:
	void reapAfterKill();
	void release();
	void closeAll();

	pid_t _pid = -1;
	bool _reaped = true;
	int _status = 0;
	struct rusage _usage{};
	bool _haveUsage = false;
	int _exit = -1;
	int _in = -1, _out = -1, _err = -1, _terminal = -1, _ctlIn = -1, _ctlOut = -1;

	friend class SubprocessLauncher;
};


} // namespace execd
