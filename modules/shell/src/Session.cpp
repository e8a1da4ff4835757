#include "Session.h"
#include "Poco/Exception.h"
#include <cerrno>
#include <csignal>
#include <cstdint>
#include <sys/eventfd.h>
#include <unistd.h>


namespace execd {
namespace shell {


Session::Session(std::string id, std::string cwd, ResourceGroup::Ptr pGroup):
	_id(std::move(id)),
	_cwd(std::move(cwd)),
	_pGroup(std::move(pGroup)),
	_wakeFd(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC))
{
	if (_wakeFd < 0) throw Poco::SystemException("eventfd", errno);
}


std::optional<std::uint64_t> Session::oomKills() const
{
	return _pGroup ? _pGroup->oomKills() : std::nullopt;
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


std::unique_lock<std::mutex> Session::beginRun(const std::string& command, const std::string& cwd)
{
	if (command.find('\0') != std::string::npos || cwd.find('\0') != std::string::npos)
		throw Poco::InvalidArgumentException("the command contains a NUL byte");
	std::unique_lock<std::mutex> runLock(_runMutex, std::try_to_lock);
	if (runLock.owns_lock()) _interrupted = false;
	return runLock;
}


OutputPump::Options Session::pumpOptions(std::chrono::milliseconds timeout, bool killOnDisconnect)
{
	OutputPump::Options options;
	options.deadline = std::chrono::steady_clock::now() + timeout;
	options.whenClientGone = killOnDisconnect ? OutputPump::WhenClientGone::STOP : OutputPump::WhenClientGone::KEEP_READING;
	return options;
}


std::string Session::stopReason(OutputPump::Stop stop)
{
	switch (stop)
	{
	case OutputPump::Stop::DEADLINE: return "timeout";
	case OutputPump::Stop::CLIENT_GONE: return "client_gone";
	case OutputPump::Stop::REQUESTED: return "interrupted";
	default: return "";
	}
}


void Session::watchInterrupts(OutputPump& pump)
{
	pump.watch(_wakeFd, [this]
	{
		std::uint64_t count = 0;
		(void) ::read(_wakeFd, &count, sizeof(count));
		return _interrupted ? OutputPump::Action::STOP : OutputPump::Action::CONTINUE;
	});
}


} } // namespace execd::shell
