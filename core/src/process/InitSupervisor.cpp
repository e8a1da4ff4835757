#include "process/InitSupervisor.h"
#include "process/ProcessTree.h"
#include "execd/Process.h"
#include "execd/Subprocess.h"
#include "execd/UserEnvironment.h"
#include <cerrno>
#include <cstring>
#include <sys/wait.h>
#include <unistd.h>


namespace execd {


namespace {


const std::chrono::milliseconds SWEEP{200};       // how often the entrypoint is looked at without a SIGCHLD
const std::chrono::milliseconds KILL_WAIT{5000};  // for a SIGKILLed entrypoint to be reaped


bool forwarded(int sig)
{
	return sig == SIGHUP || sig == SIGUSR1 || sig == SIGUSR2 || sig == SIGWINCH;
}


std::string joined(const std::vector<std::string>& args)
{
	std::string text;
	for (const std::string& a: args) text += (text.empty() ? "" : " ") + a;
	return text;
}


} // namespace


InitSupervisor::InitSupervisor(std::vector<std::string> entrypoint, std::atomic<bool>& ready, std::chrono::milliseconds stopGrace):
	_entrypoint(std::move(entrypoint)),
	_ready(ready),
	_stopGrace(stopGrace),
	_logger(Poco::Logger::get("execd.init"))
{
	sigemptyset(&_stops);
	for (int sig: {SIGTERM, SIGINT, SIGQUIT})
		sigaddset(&_stops, sig);
	_all = _stops;
	for (int sig: {SIGHUP, SIGUSR1, SIGUSR2, SIGWINCH, SIGCHLD})
		sigaddset(&_all, sig);
}


int InitSupervisor::waitSignal(std::chrono::milliseconds timeout, const sigset_t& signals)
{
	struct timespec ts;
	ts.tv_sec = static_cast<time_t>(timeout.count() / 1000);
	ts.tv_nsec = static_cast<long>(timeout.count() % 1000) * 1000000L;
	siginfo_t info;
	int sig = ::sigtimedwait(&signals, &info, &ts);
	return sig > 0 ? sig : 0;
}


int InitSupervisor::run()
{
	_logger.information("execd is the sandbox's init (%s)", std::string(::getpid() == 1 ? "pid 1" : "child subreaper"));
	if (_entrypoint.empty()) return runWithoutEntrypoint();

	// A stop requested while execd was starting: honour it before launching.
	switch (waitSignal(std::chrono::milliseconds(0), _stops))
	{
	case SIGTERM:
		_logger.information("SIGTERM before the entrypoint started; stopping");
		stopChildren();
		return 128 + SIGTERM;
	case SIGINT:
	case SIGQUIT:
		_logger.information("shutdown requested before the entrypoint started");
		return 0;
	default:
		break;
	}
	if (!launch()) return 1;
	_ready = true;

	while (true)
	{
		int sig = waitSignal(SWEEP, _all);
		if (reapEntrypoint())
		{
			_logger.information("the entrypoint exited (status %d); stopping the other children", entrypointStatus());
			stopChildren();
			return entrypointStatus();
		}
		if (forwarded(sig))
		{
			forward(sig);
		}
		else if (sig == SIGTERM)
		{
			_logger.information("SIGTERM: stopping the entrypoint and the other children");
			stopChildren();
			_logger.information("exiting with the entrypoint's status %d", entrypointStatus());
			return entrypointStatus();
		}
		else if (sig == SIGINT || sig == SIGQUIT)
		{
			_logger.information("%s: shutting down", std::string(sig == SIGINT ? "SIGINT" : "SIGQUIT"));
			return 0;
		}
	}
}


int InitSupervisor::runWithoutEntrypoint()
{
	_logger.warning("--init without a command after --: no entrypoint to supervise");
	_ready = true;
	while (true)
	{
		int sig = waitSignal(std::chrono::seconds(1), _all);
		if (sigismember(&_stops, sig) == 1) return 0;
	}
}


bool InitSupervisor::launch()
{
	// stdin, stdout and stderr are execd's; nothing else of ours leaks in.
	Subprocess::Options options;
	options.argv = _entrypoint;
	options.env = UserEnvironment::entries();
	options.searchPath = true;
	options.input = Subprocess::Input::INHERIT;
	options.output = Subprocess::Output::INHERIT;
	try
	{
		_entry.start(options);
	}
	catch (Poco::SystemException& exc)
	{
		_pid = -1;
		_logger.error("cannot start the entrypoint %s: %s", _entrypoint.front(), std::string(std::strerror(exc.code())));
		return false;
	}
	_pid = _entry.pid();
	_reaped = false;
	_logger.information("entrypoint started (pid %d): %s", static_cast<int>(_pid), joined(_entrypoint));
	return true;
}


bool InitSupervisor::reapEntrypoint()
{
	if (_reaped) return true;
	int status = 0;
	if (_entry.tryReap(status))
	{
		_reaped = true;
		_status = status == Subprocess::WAIT_FAILED ? (128 + SIGKILL) << 8 : status;
	}
	return _reaped;
}


int InitSupervisor::entrypointStatus() const
{
	if (!_reaped) return 128 + SIGKILL;
	if (WIFEXITED(_status)) return WEXITSTATUS(_status);
	if (WIFSIGNALED(_status)) return 128 + WTERMSIG(_status);
	return 1;
}


void InitSupervisor::forward(int sig)
{
	// Until we reap it, the entrypoint's pid (and so its group id) cannot be
	// reused: the signal cannot reach a stranger.
	if (!_reaped && ::kill(-_pid, sig) != 0 && errno != ESRCH)
		_logger.warning("cannot forward signal %d to the entrypoint: %s", sig, std::string(std::strerror(errno)));
}


void InitSupervisor::signalOtherChildren(int sig)
{
	for (pid_t child: ProcessTree::children(::getpid()))
	{
		if (child == _pid) continue;
		// A child that leads a group (as every child execd starts does) takes
		// its group with it; one that does not, at least itself.
		::kill(-child, sig);
		::kill(child, sig);
	}
}


void InitSupervisor::stopChildren()
{
	if (!_reaped) ::kill(-_pid, SIGTERM);
	signalOtherChildren(SIGTERM);
	auto deadline = std::chrono::steady_clock::now() + _stopGrace;
	while (std::chrono::steady_clock::now() < deadline)
	{
		if (reapEntrypoint() && ProcessTree::descendants(::getpid()).empty()) return;
		int sig = waitSignal(std::chrono::milliseconds(50), _all);
		if (forwarded(sig)) forward(sig);
	}
	if (!reapEntrypoint())
	{
		_logger.warning("the entrypoint did not stop within %ld ms; killing it", static_cast<long>(_stopGrace.count()));
		::kill(-_pid, SIGKILL);
		::kill(_pid, SIGKILL);
		auto killDeadline = std::chrono::steady_clock::now() + KILL_WAIT;
		while (!reapEntrypoint() && std::chrono::steady_clock::now() < killDeadline)
			waitSignal(std::chrono::milliseconds(20), _all);
	}
	killRemaining();
}


void InitSupervisor::killRemaining()
{
	// Not ProcessTree::killDescendants: it reaps, and the children the modules
	// own are theirs to reap (their threads are still running).
	for (int round = 0; round < 5; ++round)
	{
		std::vector<pid_t> groups;
		std::vector<pid_t> pids = ProcessTree::descendants(::getpid(), &groups);
		if (pids.empty()) return;
		if (round == 0) _logger.warning("%z process(es) still running after %ld ms; killing them", pids.size(), static_cast<long>(_stopGrace.count()));
		for (pid_t group: groups)
			::kill(-group, SIGKILL);
		for (pid_t pid: pids)
			::kill(pid, SIGKILL);
		waitSignal(std::chrono::milliseconds(20), _all);
	}
}


} // namespace execd
