#include "execd/Subprocess.h"
#include "execd/Process.h"
#include "Poco/Exception.h"
#include <cctype>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <spawn.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>


extern char** environ;


namespace execd {


namespace {


std::string errnoText(int err)
	/// Go's wording for os/exec errors: "operation not permitted", lowercase.
{
	std::string text = std::strerror(err);
	if (!text.empty()) text[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(text[0])));
	return text;
}


[[noreturn]] void failInChild(int errorPipe, int err)
{
	ssize_t ignored = ::write(errorPipe, &err, sizeof(err));
	(void) ignored;
	::_exit(127);
}


struct Pipe
{
	int fds[2] = {-1, -1};

	~Pipe()
	{
		closeBoth();
	}

	void open()
	{
		if (::pipe2(fds, O_CLOEXEC) != 0) throw Poco::SystemException("cannot create a pipe: " + errnoText(errno), errno);
	}

	int take(int side)
	{
		int fd = fds[side];
		fds[side] = -1;
		return fd;
	}

	void closeSide(int side)
	{
		if (fds[side] >= 0) ::close(fds[side]);
		fds[side] = -1;
	}

	void closeBoth()
	{
		closeSide(0);
		closeSide(1);
	}
};


} // namespace


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
};


SubprocessLauncher::SubprocessLauncher(const Subprocess::Options& options):
	_options(options)
{
	if (options.argv.empty() || options.argv[0].empty()) throw Poco::InvalidArgumentException("no program to start");
	for (const std::string& a: options.argv) _argv.push_back(const_cast<char*>(a.c_str()));
	_argv.push_back(nullptr);
	for (const std::string& e: options.env) _envp.push_back(const_cast<char*>(e.c_str()));
	_envp.push_back(nullptr);
	openChannels();
}


SubprocessLauncher::~SubprocessLauncher()
{
	if (_master >= 0) ::close(_master);
}


void SubprocessLauncher::fail(int err) const
{
	throw Poco::SystemException("fork/exec " + _options.argv[0] + ": " + errnoText(err), err);
}


void SubprocessLauncher::openChannels()
{
	if (_options.output == Subprocess::Output::TERMINAL)
	{
		openTerminal();
	}
	else
	{
		if (_options.input == Subprocess::Input::PIPE) _in.open();
		if (_options.output == Subprocess::Output::PIPES)
		{
			_out.open();
			_err.open();
		}
		if (_options.output == Subprocess::Output::DESCRIPTOR && _options.outputDescriptor < 0)
			throw Poco::InvalidArgumentException("no descriptor for the output");
	}
	if (_options.control)
	{
		_c3.open();
		_c4.open();
	}
}


void SubprocessLauncher::openTerminal()
{
	_master = ::posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	char name[128];
	if (_master < 0 || ::grantpt(_master) != 0 || ::unlockpt(_master) != 0 || ::ptsname_r(_master, name, sizeof(name)) != 0)
		throw Poco::SystemException("cannot open a pty: " + std::string(std::strerror(errno)), errno);
	_slaveName = name;
	struct winsize size{_options.rows, _options.columns, 0, 0};
	::ioctl(_master, TIOCSWINSZ, &size);
}


bool SubprocessLauncher::needsFork() const
{
	return _options.uid || _options.gid || _options.output == Subprocess::Output::TERMINAL;
}


pid_t SubprocessLauncher::launch()
{
	// Until the child is registered as ours, execd's orphan reaper must not touch it.
	Process::SpawnGuard guard;
	pid_t pid = needsFork() ? forkExec() : spawn();
	Process::own(pid);
	return pid;
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
	posix_spawn_file_actions_addclosefrom_np(&actions, _options.control ? 5 : 3);
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
	status.open();
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
	if (_options.output == Subprocess::Output::TERMINAL)
	{
		::setsid();
		int slave = ::open(_slaveName.c_str(), O_RDWR);
		if (slave < 0) failInChild(errorPipe, errno);
		::ioctl(slave, TIOCSCTTY, 0);
		if (::dup2(slave, 0) < 0 || ::dup2(slave, 1) < 0 || ::dup2(slave, 2) < 0) failInChild(errorPipe, errno);
	}
	else
	{
		::setpgid(0, 0);
		int input = _options.input == Subprocess::Input::PIPE ? _in.fds[0]
			: _options.input == Subprocess::Input::NONE ? ::open("/dev/null", O_RDONLY) : 0;
		if (input < 0 || (input != 0 && ::dup2(input, 0) < 0)) failInChild(errorPipe, errno);
		if (_options.output != Subprocess::Output::INHERIT)
		{
			const bool pipes = _options.output == Subprocess::Output::PIPES;
			if (::dup2(pipes ? _out.fds[1] : _options.outputDescriptor, 1) < 0 ||
				::dup2(pipes ? _err.fds[1] : _options.outputDescriptor, 2) < 0)
				failInChild(errorPipe, errno);
		}
	}
	if (_options.control && (::dup2(_c3.fds[0], 3) < 0 || ::dup2(_c4.fds[1], 4) < 0)) failInChild(errorPipe, errno);
	if (!_options.cwd.empty() && ::chdir(_options.cwd.c_str()) != 0) failInChild(errorPipe, errno);
	if (_options.uid || _options.gid)
	{
		if (::setgroups(_options.groups.size(), _options.groups.data()) != 0) failInChild(errorPipe, errno);
		if (_options.gid && ::setgid(*_options.gid) != 0) failInChild(errorPipe, errno);
		if (_options.uid && ::setuid(*_options.uid) != 0) failInChild(errorPipe, errno);
	}
	// Nothing of execd's leaks into the program: every other descriptor goes,
	// except the error pipe, which closes itself on exec.
	Process::closeDescriptorsFrom(_options.control ? 5 : 3, errorPipe);
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
		throw Poco::SystemException("cannot watch for the exit of " + _options.argv[0] + ": " + errnoText(e), e);
	}
}


Subprocess::Subprocess(const Options& options)
{
	start(options);
}


Subprocess::Subprocess(Subprocess&& other) noexcept
{
	*this = std::move(other);
}


Subprocess& Subprocess::operator = (Subprocess&& other) noexcept
{
	if (this != &other)
	{
		release();
		_pid = other._pid;
		_reaped = other._reaped;
		_status = other._status;
		for (auto member: {&Subprocess::_exit, &Subprocess::_in, &Subprocess::_out, &Subprocess::_err,
			&Subprocess::_terminal, &Subprocess::_ctlIn, &Subprocess::_ctlOut})
		{
			this->*member = other.*member;
			other.*member = -1;
		}
		other._pid = -1;
		other._reaped = true;
	}
	return *this;
}


Subprocess::~Subprocess()
{
	release();
}


void Subprocess::release()
{
	if (!_reaped) reapAfterKill();
	closeAll();
}


void Subprocess::reapAfterKill()
{
	::kill(-_pid, SIGKILL);
	::kill(_pid, SIGKILL);
	int status = 0;
	if (_exit >= 0)
	{
		// SIGKILL ends a process at once, unless it is stuck in the kernel (a
		// dead NFS server, a FUSE file system): a second at most.
		struct pollfd p{_exit, POLLIN, 0};
		::poll(&p, 1, 1000);
	}
	if (::waitpid(_pid, &status, WNOHANG) == _pid || _exit < 0)
	{
		if (_exit < 0) ::waitpid(_pid, &status, 0);
		_status = status;
	}
	_reaped = true;
	Process::disown(_pid);
}


void Subprocess::closeAll()
{
	for (int* fd: {&_exit, &_in, &_out, &_err, &_terminal, &_ctlIn, &_ctlOut})
	{
		if (*fd >= 0) ::close(*fd);
		*fd = -1;
	}
}


void Subprocess::start(const Options& options)
{
	if (!_reaped) throw Poco::IllegalStateException("the process is still running");
	closeAll();
	SubprocessLauncher launcher(options);
	launcher.handOver(*this, launcher.launch());
}


std::vector<std::string> Subprocess::environment()
{
	std::vector<std::string> entries;
	for (char** e = environ; *e; ++e) entries.emplace_back(*e);
	return entries;
}


pid_t Subprocess::pid() const
{
	return _pid;
}


int Subprocess::exitDescriptor() const
{
	return _exit;
}


int Subprocess::input() const
{
	return _in;
}


int Subprocess::output() const
{
	return _out;
}


int Subprocess::errors() const
{
	return _err;
}


int Subprocess::terminal() const
{
	return _terminal;
}


int Subprocess::controlIn() const
{
	return _ctlIn;
}


int Subprocess::controlOut() const
{
	return _ctlOut;
}


void Subprocess::closeInput()
{
	if (_in >= 0) ::close(_in);
	_in = -1;
}


void Subprocess::closeOutput()
{
	if (_out >= 0) ::close(_out);
	_out = -1;
}


void Subprocess::closeErrors()
{
	if (_err >= 0) ::close(_err);
	_err = -1;
}


void Subprocess::signalGroup(int sig)
{
	if (!_reaped && _pid > 0) ::kill(-_pid, sig);
}


void Subprocess::killDescendants()
{
	if (_reaped || _pid <= 0) return;
	::kill(_pid, SIGSTOP);
	Process::waitUntilStopped(_pid, 100);
	for (pid_t pid: Process::freezeDescendants(_pid, {}))
		::kill(pid, SIGKILL);
	::kill(-_pid, SIGKILL);
	::kill(_pid, SIGKILL);
}


bool Subprocess::tryReap(int& status)
{
	if (_reaped)
	{
		status = _status;
		return _pid > 0;
	}
	int s = 0;
	pid_t r = ::waitpid(_pid, &s, WNOHANG);
	if (r == 0 || (r < 0 && errno != ECHILD)) return false;
	// ECHILD: someone else reaped it, its status is lost.
	_reaped = true;
	_status = r == _pid ? s : WAIT_FAILED;
	Process::disown(_pid);
	status = _status;
	return true;
}


int Subprocess::wait()
{
	if (_reaped) return _status;
	int s = 0;
	pid_t r;
	while ((r = ::waitpid(_pid, &s, 0)) < 0 && errno == EINTR)
	{
	}
	_reaped = true;
	_status = r == _pid ? s : WAIT_FAILED;
	Process::disown(_pid);
	return _status;
}


bool Subprocess::running() const
{
	return !_reaped;
}


std::string Subprocess::describeExit(int status, int& exitCode)
{
	if (status == WAIT_FAILED)
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
		std::string name = ::strsignal(WTERMSIG(status));
		if (!name.empty()) name[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(name[0])));
		return "signal: " + name;
	}
	return "exit status -1";
}


} // namespace execd
