#include "Session.h"
#include "execd/Process.h"
#include "Poco/Exception.h"
#include <cerrno>
#include <csignal>
#include <cstdint>
#include <sys/eventfd.h>
#include <unistd.h>


namespace execd {
namespace shell {


Session::Session(std::string id, std::string cwd):
	_id(std::move(id)),
	_cwd(std::move(cwd)),
	_wakeFd(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC))
{
	if (_wakeFd < 0) throw Poco::SystemException("eventfd", errno);
}


Session::~Session()
{
	::close(_wakeFd);
}


const std::string& Session::id() const
{
	return _id;
}


const std::string& Session::cwd() const
{
	return _cwd;
}


bool Session::running() const
{
	return _running;
}


bool Session::interrupt()
{
	if (!_running) return false;
	_interrupted = true;
	const std::uint64_t one = 1;
	(void) ::write(_wakeFd, &one, sizeof(one));
	return true;
}


void Session::killAll(ChildProcess& child)
{
	::kill(child.pid(), SIGSTOP);
	Process::waitUntilStopped(child.pid(), 100);
	for (pid_t pid: Process::freezeDescendants(child.pid(), {}))
		::kill(pid, SIGKILL);
	child.signalGroup(SIGKILL);
	::kill(child.pid(), SIGKILL);
}


std::string Session::shellQuote(const std::string& text)
{
	std::string out = "'";
	for (char c: text)
	{
		if (c == '\'')
			out += "'\\''";
		else
			out += c;
	}
	return out + "'";
}


int Session::wakeFd() const
{
	return _wakeFd;
}


void Session::clearWakeUp()
{
	std::uint64_t count = 0;
	(void) ::read(_wakeFd, &count, sizeof(count));
}


} } // namespace execd::shell
