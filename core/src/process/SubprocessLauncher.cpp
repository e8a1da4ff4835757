#include "process/SubprocessLauncher.h"
#include "execd/Paths.h"
#include "execd/Process.h"
#include "Poco/Exception.h"
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <grp.h>
#include <spawn.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>


namespace execd {


namespace {


int moveTo(int fd, int target)
	/// dup2() in the child, where fd may already be target: dup2 leaves its
	/// close-on-exec flag then, and exec would close it. Async-signal-safe.
{
	if (fd != target) return ::dup2(fd, target) < 0 ? -1 : 0;
	int flags = ::fcntl(fd, F_GETFD);
	return flags < 0 || ::fcntl(fd, F_SETFD, flags & ~FD_CLOEXEC) < 0 ? -1 : 0;
}


[[noreturn]] void failInChild(int errorPipe, int err)
{
	ssize_t ignored = ::write(errorPipe, &err, sizeof(err));
	(void) ignored;
	::_exit(127);
}




} // namespace


Pipe::~Pipe()
{
	closeBoth();
}


bool Pipe::open()
{
	return ::pipe2(fds, O_CLOEXEC) == 0;
}


int Pipe::take(int side)
{
	int fd = fds[side];
	fds[side] = -1;
	return fd;
}


void Pipe::closeSide(int side)
{
	if (fds[side] >= 0) ::close(fds[side]);
	fds[side] = -1;
}


void Pipe::closeBoth()
{
	closeSide(0);
	closeSide(1);
}




SubprocessLauncher::SubprocessLauncher(const Subprocess::Options& options):
	_options(options)
{
	// As posix_spawn would say of an empty path.
	if (options.argv.empty() || options.argv[0].empty()) throw Poco::SystemException(Paths::errorText(ENOENT, "fork/exec", ""), ENOENT);
	for (const std::string& a: options.argv) _argv.push_back(const_cast<char*>(a.c_str()));
	_argv.push_back(nullptr);
	for (const std::string& e: options.env) _envp.push_back(const_cast<char*>(e.c_str()));
	_envp.push_back(nullptr);
	if (options.group)
	{
		_join = options.group->joinDescriptors();   // the child reads these, not the group
		_oomScoreAdj = std::to_string(options.group->childOomScoreAdj());
	}
	try
	{
		openChannels();
	}
	catch (...)
	{
		// The pipes close themselves; the terminal is a plain descriptor.
		if (_master >= 0) ::close(_master);
		_master = -1;
		throw;
	}
}


SubprocessLauncher::~SubprocessLauncher()
{
	if (_master >= 0) ::close(_master);
}


void SubprocessLauncher::fail(int err) const
{
	throw Poco::SystemException(Paths::errorText(err, "fork/exec", _options.argv[0]), err);
}


void SubprocessLauncher::openChannels()
{
	if (_options.output == Subprocess::Output::TERMINAL)
	{
		openTerminal();
	}
	else
	{
		if (_options.input == Subprocess::Input::PIPE && !_in.open()) fail(errno);
		if (_options.output == Subprocess::Output::PIPES && (!_out.open() || !_err.open())) fail(errno);
		if (_options.output == Subprocess::Output::DESCRIPTOR && _options.outputDescriptor < 0)
			throw Poco::InvalidArgumentException("no descriptor for the output");
	}
	if (_options.control && (!_c3.open() || !_c4.open())) fail(errno);
	if (_options.control && _options.inheritDescriptor >= 0)
		throw Poco::InvalidArgumentException("control and inheritDescriptor both want the child's fd 3");
}


void SubprocessLauncher::openTerminal()
{
	_master = ::posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	char name[128];
	if (_master < 0 || ::grantpt(_master) != 0 || ::unlockpt(_master) != 0 || ::ptsname_r(_master, name, sizeof(name)) != 0)
		fail(errno);
	_slaveName = name;
	struct winsize size{_options.rows, _options.columns, 0, 0};
	::ioctl(_master, TIOCSWINSZ, &size);
}


bool SubprocessLauncher::needsFork() const
{
	return _options.uid || _options.gid || _options.group || _options.output == Subprocess::Output::TERMINAL;
}


pid_t SubprocessLauncher::launch()
{
	// Until the child is registered as ours, execd's orphan reaper must not touch it.
	Process::SpawnGuard guard;
	pid_t pid = needsFork() ? forkExec() : spawn();
	Process::own(pid);
	return pid;
}


int SubprocessLauncher::firstClosed() const
	// The child's descriptors from this one on are closed.
{
	return _options.control ? 5 : _options.inheritDescriptor >= 0 ? 4 : 3;
}


pid_t SubprocessLauncher::spawn()
{
	// posix_spawn (clone with CLONE_VM|CLONE_VFORK in glibc) does not copy our
	// page tables, which fork() would do for every command.
	posix_spawnattr_t attr;
	posix_spawn_file_actions_t actions;
	posix_spawnattr_init(&attr);
	posix_spawn_file_actions_init(&actions);
	Process::setSpawnGroupAndSignals(attr);
	if (_options.input == Subprocess::Input::PIPE)
		posix_spawn_file_actions_adddup2(&actions, _in.fds[0], 0);
	else if (_options.input == Subprocess::Input::NONE)
		posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
	if (_options.output != Subprocess::Output::INHERIT)
	{
		const bool pipes = _options.output == Subprocess::Output::PIPES;
		posix_spawn_file_actions_adddup2(&actions, pipes ? _out.fds[1] : _options.outputDescriptor, 1);
		posix_spawn_file_actions_adddup2(&actions, pipes ? _err.fds[1] : _options.outputDescriptor, 2);
	}
	if (_options.control)
	{
		posix_spawn_file_actions_adddup2(&actions, _c3.fds[0], 3);
		posix_spawn_file_actions_adddup2(&actions, _c4.fds[1], 4);
	}
	if (_options.inheritDescriptor >= 0) posix_spawn_file_actions_adddup2(&actions, _options.inheritDescriptor, 3);
	posix_spawn_file_actions_addclosefrom_np(&actions, firstClosed());
	if (!_options.cwd.empty()) posix_spawn_file_actions_addchdir_np(&actions, _options.cwd.c_str());
	pid_t pid = -1;
	int rc = _options.searchPath
		? ::posix_spawnp(&pid, _argv[0], &actions, &attr, _argv.data(), _envp.data())
		: ::posix_spawn(&pid, _argv[0], &actions, &attr, _argv.data(), _envp.data());
	posix_spawn_file_actions_destroy(&actions);
	posix_spawnattr_destroy(&attr);
	if (rc != 0) fail(rc);
	return pid;
}


pid_t SubprocessLauncher::forkExec()
{
	Pipe status;
	if (!status.open()) fail(errno);
	pid_t pid = ::fork();
	if (pid < 0) fail(errno);
	if (pid == 0) childSide(status.fds[1]);
	status.closeSide(1);
	int childErrno = 0;
	ssize_t n;
	do
	{
		n = ::read(status.fds[0], &childErrno, sizeof(childErrno));
	}
	while (n < 0 && errno == EINTR);
	if (n == static_cast<ssize_t>(sizeof(childErrno)))
	{
		// It did not get to exec: the exit status is ours to collect.
		while (::waitpid(pid, nullptr, 0) < 0 && errno == EINTR)
		{
		}
		fail(childErrno);
	}
	return pid;
}


void SubprocessLauncher::childSide(int errorPipe)
{
	// Async-signal-safe calls only from here on.
	Process::resetSignalsInChild();
	if (_options.group)
	{
		// Into the limits before anything of the program runs, as root still.
		for (int fd: _join)
			if (::write(fd, "0", 1) != 1) failInChild(errorPipe, errno);
		int adj = ::open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
		if (adj >= 0)
		{
			ssize_t ignored = ::write(adj, _oomScoreAdj.data(), _oomScoreAdj.size());
			(void) ignored;
			::close(adj);
		}
	}
	if (_options.output == Subprocess::Output::TERMINAL)
	{
		::setsid();
		int slave = ::open(_slaveName.c_str(), O_RDWR);
		if (slave < 0) failInChild(errorPipe, errno);
		::ioctl(slave, TIOCSCTTY, 0);
		if (moveTo(slave, 0) < 0 || moveTo(slave, 1) < 0 || moveTo(slave, 2) < 0) failInChild(errorPipe, errno);
	}
	else
	{
		::setpgid(0, 0);
		int input = _options.input == Subprocess::Input::PIPE ? _in.fds[0]
			: _options.input == Subprocess::Input::NONE ? ::open("/dev/null", O_RDONLY) : 0;
		if (input < 0 || moveTo(input, 0) < 0) failInChild(errorPipe, errno);
		if (_options.output != Subprocess::Output::INHERIT)
		{
			const bool pipes = _options.output == Subprocess::Output::PIPES;
			if (moveTo(pipes ? _out.fds[1] : _options.outputDescriptor, 1) < 0 ||
				moveTo(pipes ? _err.fds[1] : _options.outputDescriptor, 2) < 0)
				failInChild(errorPipe, errno);
		}
	}
	if (_options.control && (moveTo(_c3.fds[0], 3) < 0 || moveTo(_c4.fds[1], 4) < 0)) failInChild(errorPipe, errno);
	if (_options.inheritDescriptor >= 0 && moveTo(_options.inheritDescriptor, 3) < 0) failInChild(errorPipe, errno);
	if (!_options.cwd.empty() && ::chdir(_options.cwd.c_str()) != 0) failInChild(errorPipe, errno);
	if (_options.uid || _options.gid)
	{
		if (::setgroups(_options.groups.size(), _options.groups.data()) != 0) failInChild(errorPipe, errno);
		if (_options.gid && ::setgid(*_options.gid) != 0) failInChild(errorPipe, errno);
		if (_options.uid && ::setuid(*_options.uid) != 0) failInChild(errorPipe, errno);
	}
	// Nothing of execd's leaks into the program: every other descriptor goes,
	// except the error pipe, which closes itself on exec.
	Process::closeDescriptorsFrom(firstClosed(), errorPipe);
	if (_options.searchPath)
		::execvpe(_argv[0], _argv.data(), _envp.data());
	else
		::execve(_argv[0], _argv.data(), _envp.data());
	failInChild(errorPipe, errno);
}


void SubprocessLauncher::handOver(Subprocess& process, pid_t pid)
{
	process._pid = pid;
	process._reaped = false;
	process._haveUsage = false;
	process._status = 0;
	process._in = _in.take(1);
	process._out = _out.take(0);
	process._err = _err.take(0);
	process._ctlIn = _c3.take(1);
	process._ctlOut = _c4.take(0);
	process._terminal = _master;
	_master = -1;
	for (int fd: {process._out, process._err})
	{
		if (fd >= 0) ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
	}
	process._exit = Process::openExitDescriptor(pid);
	if (process._exit < 0)
	{
		// Without it nobody would notice the exit: give up on this child.
		int e = errno;
		process.reapAfterKill();
		process.closeAll();
		process._pid = -1;
		throw Poco::SystemException(Paths::errorText(e, "cannot watch for the exit of", _options.argv[0]), e);
	}
}


} // namespace execd
