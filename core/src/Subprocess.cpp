#include "execd/Subprocess.h"
#include "execd/Process.h"
#include "Poco/Exception.h"
#include <cerrno>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>


extern char** environ;


namespace execd {


Subprocess::~Subprocess()
{
	if (!_reaped)
	{
		signal(SIGKILL);
		wait();
	}
	closeAll();
}


void Subprocess::closeAll()
{
	for (int* fd: {&_in, &_out, &_err, &_ctlIn, &_ctlOut})
	{
		if (*fd >= 0) ::close(*fd);
		*fd = -1;
	}
}


void Subprocess::start(const Options& options)
{
	if (!_reaped) throw Poco::IllegalStateException("the process is still running");
	closeAll();
	int in[2], out[2], err[2], c3[2] = {-1, -1}, c4[2] = {-1, -1};
	if (::pipe2(in, O_CLOEXEC) != 0) throw Poco::SystemException("pipe", std::strerror(errno));
	if (::pipe2(out, O_CLOEXEC) != 0 || ::pipe2(err, O_CLOEXEC) != 0 ||
		(options.control && (::pipe2(c3, O_CLOEXEC) != 0 || ::pipe2(c4, O_CLOEXEC) != 0)))
	{
		int e = errno;
		for (int fd: {in[0], in[1], out[0], out[1], err[0], err[1], c3[0], c3[1], c4[0], c4[1]})
			if (fd >= 0) ::close(fd);
		throw Poco::SystemException("pipe", std::strerror(e));
	}
	posix_spawn_file_actions_t actions;
	posix_spawnattr_t attr;
	posix_spawn_file_actions_init(&actions);
	posix_spawnattr_init(&attr);
	Process::setSpawnGroupAndSignals(attr);
	posix_spawn_file_actions_adddup2(&actions, in[0], 0);
	posix_spawn_file_actions_adddup2(&actions, out[1], 1);
	posix_spawn_file_actions_adddup2(&actions, err[1], 2);
	if (options.control)
	{
		posix_spawn_file_actions_adddup2(&actions, c3[0], 3);
		posix_spawn_file_actions_adddup2(&actions, c4[1], 4);
	}
	posix_spawn_file_actions_addclosefrom_np(&actions, options.control ? 5 : 3);
	if (!options.cwd.empty()) posix_spawn_file_actions_addchdir_np(&actions, options.cwd.c_str());
	std::vector<std::string> args = options.argv;
	std::vector<char*> argv;
	for (std::string& a: args) argv.push_back(&a[0]);
	argv.push_back(nullptr);
	std::vector<std::string> env;
	for (char** e = environ; *e; ++e) env.emplace_back(*e);
	for (const std::string& e: options.env) env.push_back(e);
	std::vector<char*> envp;
	for (std::string& e: env) envp.push_back(&e[0]);
	envp.push_back(nullptr);
	pid_t pid = -1;
	int rc;
	{
		Process::SpawnGuard guard;
		rc = ::posix_spawn(&pid, argv[0], &actions, &attr, argv.data(), envp.data());
		if (rc == 0) Process::own(pid);
	}
	posix_spawn_file_actions_destroy(&actions);
	posix_spawnattr_destroy(&attr);
	for (int fd: {in[0], out[1], err[1], c3[0], c4[1]})
		if (fd >= 0) ::close(fd);
	if (rc != 0)
	{
		for (int fd: {in[1], out[0], err[0], c3[1], c4[0]})
			if (fd >= 0) ::close(fd);
		throw Poco::SystemException("cannot start " + options.argv[0], std::strerror(rc));
	}
	_pid = pid;
	_reaped = false;
	_in = in[1];
	_out = out[0];
	_err = err[0];
	_ctlIn = c3[1];
	_ctlOut = c4[0];
}


pid_t Subprocess::pid() const
{
	return _pid;
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


void Subprocess::signal(int sig)
{
	if (!_reaped && _pid > 0) ::kill(-_pid, sig);
}


bool Subprocess::poll(int& status)
{
	if (_reaped)
	{
		status = _status;
		return true;
	}
	int s = 0;
	pid_t r = ::waitpid(_pid, &s, WNOHANG);
	if (r == _pid)
	{
		_reaped = true;
		_status = s;
		Process::disown(_pid);
		status = s;
		return true;
	}
	return false;
}


int Subprocess::wait()
{
	if (_reaped) return _status;
	int s = 0;
	while (::waitpid(_pid, &s, 0) < 0 && errno == EINTR)
	{
	}
	_reaped = true;
	_status = s;
	Process::disown(_pid);
	return s;
}


bool Subprocess::running() const
{
	return !_reaped;
}


} // namespace execd
