#include "ChildProcess.h"
#include "execd/Process.h"
#include "Poco/Exception.h"
#include <cerrno>
#include <cctype>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <grp.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>


namespace execd {
namespace shell {


namespace {


// Go's wording for os/exec errors: "operation not permitted", lowercase.
std::string errnoText(int err)
{
	std::string text = std::strerror(err);
	if (!text.empty()) text[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(text[0])));
	return text;
}


[[noreturn]] void childFail(int errorPipe, int err)
{
	ssize_t ignored = ::write(errorPipe, &err, sizeof(err));
	(void) ignored;
	::_exit(127);
}


} // namespace


ChildProcess ChildProcess::spawn(const SpawnOptions& options)
{
	if (options.argv.empty()) throw Poco::InvalidArgumentException("no program");
	// Everything the child needs is prepared here: between fork and exec only
	// async-signal-safe calls are allowed.
	std::vector<char*> argv;
	for (const std::string& a: options.argv) argv.push_back(const_cast<char*>(a.c_str()));
	argv.push_back(nullptr);
	std::vector<char*> envp;
	for (const std::string& e: options.env) envp.push_back(const_cast<char*>(e.c_str()));
	envp.push_back(nullptr);

	int out[2] = {-1, -1};
	int err[2] = {-1, -1};
	int in[2] = {-1, -1};
	int status[2] = {-1, -1};
	auto closePair = [](int* p) { for (int i = 0; i < 2; ++i) if (p[i] >= 0) ::close(p[i]); p[0] = p[1] = -1; };
	// Every failure before the child exists: close what was opened, say why.
	auto fail = [&](int e)
	{
		for (int* p: {out, err, in, status}) closePair(p);
		throw Poco::SystemException("fork/exec " + options.argv[0] + ": " + errnoText(e));
	};
	if (options.stdinPipe && ::pipe2(in, O_CLOEXEC) != 0) fail(errno);
	if (::pipe2(status, O_CLOEXEC) != 0) fail(errno);
	if (options.outputFd < 0 && (::pipe2(out, O_CLOEXEC) != 0 || ::pipe2(err, O_CLOEXEC) != 0)) fail(errno);
	const bool switchUser = options.uid.has_value() || options.gid.has_value();
	// Until the child is registered as ours, execd's orphan reaper must not touch it.
	Process::SpawnGuard guard;

	if (!switchUser)
	{
		// posix_spawn (clone with CLONE_VM|CLONE_VFORK in glibc) does not copy our
		// page tables, which fork() would do for every command. It cannot switch
		// users; fork below does that.
		closePair(status);
		posix_spawnattr_t attr;
		posix_spawn_file_actions_t actions;
		posix_spawnattr_init(&attr);
		posix_spawn_file_actions_init(&actions);
		Process::setSpawnGroupAndSignals(attr);
		if (options.stdinPipe)
			posix_spawn_file_actions_adddup2(&actions, in[0], 0);
		else
			posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
		int o = options.outputFd >= 0 ? options.outputFd : out[1];
		int e = options.outputFd >= 0 ? options.outputFd : err[1];
		posix_spawn_file_actions_adddup2(&actions, o, 1);
		posix_spawn_file_actions_adddup2(&actions, e, 2);
		if (!options.cwd.empty()) posix_spawn_file_actions_addchdir_np(&actions, options.cwd.c_str());
		posix_spawn_file_actions_addclosefrom_np(&actions, 3);
		pid_t pid = -1;
		int rc = ::posix_spawn(&pid, argv[0], &actions, &attr, argv.data(), envp.data());
		if (rc == 0) Process::own(pid);
		posix_spawn_file_actions_destroy(&actions);
		posix_spawnattr_destroy(&attr);
		if (out[1] >= 0) ::close(out[1]);
		if (err[1] >= 0) ::close(err[1]);
		if (in[0] >= 0) ::close(in[0]);
		if (rc != 0)
		{
			if (out[0] >= 0) ::close(out[0]);
			if (err[0] >= 0) ::close(err[0]);
			if (in[1] >= 0) ::close(in[1]);
			throw Poco::SystemException("fork/exec " + options.argv[0] + ": " + errnoText(rc));
		}
		return adopt(pid, out[0], err[0], in[1]);
	}

	pid_t pid = ::fork();
	if (pid < 0) fail(errno);
	if (pid == 0)
	{
		::setpgid(0, 0);
		Process::resetSignalsInChild();
		int input = options.stdinPipe ? in[0] : ::open("/dev/null", O_RDONLY);
		if (input < 0 || ::dup2(input, 0) < 0) childFail(status[1], errno);
		int o = options.outputFd >= 0 ? options.outputFd : out[1];
		int e = options.outputFd >= 0 ? options.outputFd : err[1];
		if (::dup2(o, 1) < 0 || ::dup2(e, 2) < 0) childFail(status[1], errno);
		if (!options.cwd.empty() && ::chdir(options.cwd.c_str()) != 0) childFail(status[1], errno);
		if (switchUser)
		{
			if (::setgroups(options.groups.size(), options.groups.data()) != 0) childFail(status[1], errno);
			if (options.gid && ::setgid(*options.gid) != 0) childFail(status[1], errno);
			if (options.uid && ::setuid(*options.uid) != 0) childFail(status[1], errno);
		}
		// Nothing of execd's leaks into the command: every descriptor above stderr
		// goes, except the status pipe, which closes itself on exec.
		Process::closeDescriptorsFrom(3, status[1]);
		::execve(argv[0], argv.data(), envp.data());
		childFail(status[1], errno);
	}

	Process::own(pid);
	::close(status[1]);
	if (out[1] >= 0) ::close(out[1]);
	if (err[1] >= 0) ::close(err[1]);
	if (in[0] >= 0) ::close(in[0]);
	int childErrno = 0;
	ssize_t n;
	do
	{
		n = ::read(status[0], &childErrno, sizeof(childErrno));
	}
	while (n < 0 && errno == EINTR);
	::close(status[0]);
	if (n == static_cast<ssize_t>(sizeof(childErrno)))
	{
		::waitpid(pid, nullptr, 0);
		Process::disown(pid);
		if (out[0] >= 0) ::close(out[0]);
		if (err[0] >= 0) ::close(err[0]);
		if (in[1] >= 0) ::close(in[1]);
		throw Poco::SystemException("fork/exec " + options.argv[0] + ": " + errnoText(childErrno));
	}

	return adopt(pid, out[0], err[0], in[1]);
}


ChildProcess ChildProcess::adopt(pid_t pid, int stdoutFd, int stderrFd, int stdinFd)
{
	ChildProcess child;
	child._pid = pid;
	child._stdin = stdinFd;
	child._exitFd = Process::openExitDescriptor(pid);
	if (child._exitFd < 0)
	{
		// Without it nobody would notice the exit: give up on this child.
		int e = errno;
		::kill(-pid, SIGKILL);
		::kill(pid, SIGKILL);
		::waitpid(pid, nullptr, 0);
		Process::disown(pid);
		child._reaped = true;
		for (int fd: {stdoutFd, stderrFd, stdinFd})
			if (fd >= 0) ::close(fd);
		child._stdout = child._stderr = child._stdin = -1;
		throw Poco::SystemException("cannot watch for the exit of " + std::to_string(pid) + ": " + errnoText(e));
	}
	child._stdout = stdoutFd;
	child._stderr = stderrFd;
	for (int fd: {child._stdout, child._stderr})
	{
		if (fd >= 0) ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
	}
	return child;
}


ChildProcess::ChildProcess(ChildProcess&& other) noexcept
{
	*this = std::move(other);
}


ChildProcess& ChildProcess::operator = (ChildProcess&& other) noexcept
{
	if (this != &other)
	{
		closeAll();
		_pid = other._pid;
		_exitFd = other._exitFd;
		_stdout = other._stdout;
		_stderr = other._stderr;
		_stdin = other._stdin;
		_reaped = other._reaped;
		other._pid = -1;
		other._exitFd = other._stdout = other._stderr = other._stdin = -1;
		other._reaped = true;
	}
	return *this;
}


ChildProcess::~ChildProcess()
{
	closeAll();
	// A child that nobody reaped would stay a zombie: reap it (it is killed first
	// only by the owner, never here).
	// A child given up on unreaped is killed; the orphan reaper takes it.
	if (_pid > 0 && !_reaped)
	{
		::kill(-_pid, SIGKILL);
		::kill(_pid, SIGKILL);
		if (::waitpid(_pid, nullptr, WNOHANG) == _pid) _reaped = true;
	}
	if (_pid > 0)
		Process::disown(_pid);
}


void ChildProcess::closeAll()
{
	for (int* fd: {&_exitFd, &_stdout, &_stderr, &_stdin})
	{
		if (*fd >= 0) ::close(*fd);
		*fd = -1;
	}
}


pid_t ChildProcess::pid() const
{
	return _pid;
}


int ChildProcess::exitFd() const
{
	return _exitFd;
}


int ChildProcess::stdoutFd() const
{
	return _stdout;
}


int ChildProcess::stderrFd() const
{
	return _stderr;
}


int ChildProcess::stdinFd() const
{
	return _stdin;
}


void ChildProcess::closeStdout()
{
	if (_stdout >= 0) ::close(_stdout);
	_stdout = -1;
}


void ChildProcess::closeStderr()
{
	if (_stderr >= 0) ::close(_stderr);
	_stderr = -1;
}


bool ChildProcess::reap(int& status)
{
	if (_reaped) return true;
	pid_t r = ::waitpid(_pid, &status, WNOHANG);
	if (r == _pid)
	{
		_reaped = true;
		Process::disown(_pid);
		return true;
	}
	return false;
}


int ChildProcess::wait()
{
	int status = 0;
	if (_reaped) return status;
	pid_t r;
	while ((r = ::waitpid(_pid, &status, 0)) < 0 && errno == EINTR)
	{
	}
	_reaped = true;
	Process::disown(_pid);
	return r == _pid ? status : WAIT_FAILED;
}


void ChildProcess::signalGroup(int sig)
{
	if (_pid > 0) ::kill(-_pid, sig);
}


std::string describeExit(int status, int& exitCode)
{
	if (status == ChildProcess::WAIT_FAILED)
	{
		exitCode = -1;
		return "wait: no child processes";
	}
	if (WIFEXITED(status))
	{
		exitCode = WEXITSTATUS(status);
		return "exit status " + std::to_string(exitCode);
	}
	exitCode = -1;
	if (WIFSIGNALED(status))
	{
		int sig = WTERMSIG(status);
		std::string name = ::strsignal(sig);
		if (!name.empty()) name[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(name[0])));
		return "signal: " + name;
	}
	return "exit status -1";
}


} } // namespace execd::shell
