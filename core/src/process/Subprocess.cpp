#include "execd/Subprocess.h"
#include "process/SubprocessLauncher.h"
#include "execd/Process.h"
#include "Poco/Exception.h"
#include <cctype>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>


extern char** environ;


namespace execd {


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
	_pid = -1;   // a failed start leaves no process behind, not the last one
	_status = 0;
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
	pid_t r = ::wait4(_pid, &s, WNOHANG, &_usage);
	if (r == 0 || (r < 0 && errno != ECHILD)) return false;
	// ECHILD: someone else reaped it, its status is lost.
	_reaped = true;
	_haveUsage = r == _pid;
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
	while ((r = ::wait4(_pid, &s, 0, &_usage)) < 0 && errno == EINTR)
	{
	}
	_reaped = true;
	_haveUsage = r == _pid;
	_status = r == _pid ? s : WAIT_FAILED;
	Process::disown(_pid);
	return _status;
}


bool Subprocess::running() const
{
	return !_reaped;
}


const struct rusage* Subprocess::usage() const
{
	return _reaped && _haveUsage ? &_usage : nullptr;
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
