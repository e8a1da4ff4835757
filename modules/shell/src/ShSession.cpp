#include "ShSession.h"
#include "execd/RunUsage.h"
#include "execd/OutputPump.h"
#include "execd/EnvFile.h"
#include "execd/Paths.h"
#include "Poco/Exception.h"
#include "Poco/Path.h"
#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <unistd.h>


namespace execd {
namespace shell {


namespace {


bool isShellName(const std::string& entry)
	/// Whether the name of "NAME=value" is one sh can hold (and so unset).
{
	std::size_t eq = entry.find('=');
	return eq != std::string::npos && EnvFile::isName(entry.substr(0, eq));
}


} // namespace


ShSession::ShSession(std::string id, std::string cwd, std::vector<std::string> env, std::string sh, ResourceGroup::Ptr pGroup):
	Session(id, cwd, std::move(pGroup)),
	_start(cwd.empty() ? Poco::Path::current() : cwd),
	_env(std::move(env)),
	_sh(std::move(sh))
{
	makeDirectory();
}


ShSession::~ShSession()
{
	terminate();
	std::lock_guard<std::mutex> runLock(_runMutex);   // a run still going finishes first
	for (const char* name: {"command", "state", "state.tmp"})
		::unlinkat(_directoryFd, name, 0);
	::close(_directoryFd);
	::rmdir(_directory.c_str());
}


void ShSession::makeDirectory()
{
	// A dot name: `rm -rf /tmp/*` does not take it.
	std::string pattern = Poco::Path::temp() + ".execd_session-XXXXXX";
	if (!::mkdtemp(&pattern[0]))
		throw Poco::SystemException("cannot create a session's directory in " + Poco::Path::temp(), errno);
	int fd = ::open(pattern.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
	{
		int e = errno;
		::rmdir(pattern.c_str());
		throw Poco::SystemException("cannot open " + pattern, e);
	}
	if (_directoryFd >= 0) ::close(_directoryFd);
	_directory = pattern;
	_directoryFd = fd;
}


bool ShSession::writeCommand(const std::string& command)
{
	// Through the descriptor of the directory execd made, not its path, and
	// never through a link: the session's own commands can reach that path.
	int fd = ::openat(_directoryFd, "command", O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) return false;
	std::string text = command + "\n";
	std::size_t done = 0;
	while (done < text.size())
	{
		ssize_t n = ::write(fd, text.data() + done, text.size() - done);
		if (n < 0 && errno == EINTR) continue;
		if (n <= 0) break;
		done += static_cast<std::size_t>(n);
	}
	::close(fd);
	return done == text.size();
}


std::string ShSession::script(bool restoreDirectory) const
{
	// Before the command: the last run's exported variables replace the ones
	// sh started with (which it cannot hold stay, unchanged), and its directory.
	// After it: the directory as a variable, then export -p to state.tmp, which
	// execd renames to state when sh ends by itself. The trailer uses no
	// variable of its own (set -a would export it) and reaches printf and pwd
	// past the command's functions.
	const std::string d = Paths::shellQuote(_directory);
	std::string unsets;
	for (const std::string& entry: _env)
	{
		if (isShellName(entry)) unsets += " " + entry.substr(0, entry.find('='));
	}
	std::string s = "if [ -f " + d + "/state ]; then\n";
	if (!unsets.empty()) s += "\tunset -v" + unsets + "\n";
	s += "\t. " + d + "/state\nfi\n";
	if (restoreDirectory)
	{
		const std::string start = Paths::shellQuote(_start);
		s += "if [ -n \"${__execd_cwd-}\" ] && cd -- \"$__execd_cwd\" 2>/dev/null; then\n"
			"\t:\n"
			"elif [ -n \"${__execd_cwd+x}\" ]; then\n"
			"\tprintf '%s\\n' \"[execd] the session's directory $__execd_cwd is gone; this run starts in \"" + start + " >&2\n"
			"\tcd -- " + start + " 2>/dev/null || cd /\n"
			"else\n"
			"\tcd -- " + start + " 2>/dev/null || { printf '%s\\n' \"[execd] the session's directory \"" + start + "\" is gone; this run starts in /\" >&2; cd /; }\n"
			"fi\n";
	}
	s += "unset -v __execd_cwd\n"
		". " + d + "/command\n"
		"set -- \"$?\"\n"
		"__execd_cwd=$(command pwd 2>/dev/null) || __execd_cwd=$PWD\n"
		"export __execd_cwd\n"
		"command export -p >" + d + "/state.tmp\n"
		"exit \"$1\"\n";
	return s;
}


void ShSession::terminate()
{
	std::lock_guard<std::mutex> lock(_mutex);
	_terminated = true;
	if (_pChild) _pChild->killDescendants();   // the run reaps it
	killJobs();
}


void ShSession::keepJobs(pid_t group)
{
	// sh has ended; what is left in its process group are the command's
	// background jobs.
	std::vector<Process::Identity> found = Process::groupIdentities(group);
	std::lock_guard<std::mutex> lock(_mutex);
	_jobs.erase(std::remove_if(_jobs.begin(), _jobs.end(), [](const Process::Identity& job) { return !Process::isAlive(job); }), _jobs.end());
	_jobs.insert(_jobs.end(), found.begin(), found.end());
}


void ShSession::killJobs()
{
	// With _mutex held. Each job only if it is still the same process.
	for (const Process::Identity& job: _jobs)
	{
		if (!Process::isAlive(job)) continue;
		::kill(job.pid, SIGSTOP);
		for (pid_t pid: Process::freezeDescendants(job.pid, {}))
			::kill(pid, SIGKILL);
		::kill(job.pid, SIGKILL);
	}
	_jobs.clear();
}


bool ShSession::placeCommand(const std::string& command)
{
	if (writeCommand(command)) return true;
	// The directory was removed (by the session's own commands): a new one,
	// and the state of earlier runs is gone with the old.
	makeDirectory();
	if (!writeCommand(command)) throw Poco::IOException("cannot write to the session's directory " + _directory);
	return false;
}


ShSession::Result ShSession::run(const std::string& command, const std::string& cwd, std::chrono::milliseconds timeout,
	EventSink& sink, bool killOnDisconnect, const std::function<void()>& started, int teeFd)
{
	std::unique_lock<std::mutex> runLock = beginRun(command, cwd);
	if (!runLock.owns_lock()) return Result{Outcome::BUSY, 0, "", {}};
	{
		std::lock_guard<std::mutex> lock(_mutex);
		if (_terminated) throw Poco::IllegalStateException("the session was deleted");
	}
	const bool lost = !placeCommand(command);

	Subprocess::Options options;
	options.argv = {_sh, "-c", script(cwd.empty()), "sh"};
	options.env = _env;
	options.cwd = cwd.empty() ? "/" : cwd;
	options.group = _pGroup;
	const std::optional<std::uint64_t> oomKillsBefore = oomKills();
	Subprocess child(options);

	// Whatever happens from here, sh and its processes end, are reaped, and
	// terminate() no longer sees them.
	struct Guard
	{
		ShSession& session;
		Subprocess& child;
		bool reaped = false;

		~Guard()
		{
			if (reaped) return;
			{
				std::lock_guard<std::mutex> lock(session._mutex);
				child.killDescendants();
				session._pChild = nullptr;
			}
			child.wait();
			session._running = false;
		}
	} guard{*this, child};
	{
		std::lock_guard<std::mutex> lock(_mutex);
		_pChild = &child;
		_running = true;
		if (_terminated) child.killDescendants();
	}
	started();
	if (lost)
		sink.emit(StreamEvent::stderrText("[execd] the session's directory " + _directory + " was removed; exported variables and the directory of earlier runs are lost"));

	std::uint64_t outputBytes = 0;
	bool teeFailed = false;
	std::optional<OutputPump::Stop> pumped = pump(child, sink, timeout, killOnDisconnect, teeFd, outputBytes, teeFailed);
	if (!pumped)   // the guard ends sh
		return Result{Outcome::KILLED, -1, "signal: killed", RunOutcome{"signaled", std::nullopt, "SIGKILL", {}, {}, {}, 0, outputBytes}, teeFailed};
	const OutputPump::Stop stopped = *pumped;
	{
		// Out of terminate()'s reach before the reap: after it the pid may be
		// another process's.
		std::lock_guard<std::mutex> lock(_mutex);
		_pChild = nullptr;
	}
	int status = child.wait();
	guard.reaped = true;
	_running = false;
	// A run is one sh here: its end and usage are the run's.
	RunOutcome outcome = RunUsage::fromWait(status, child.usage(), oomKillsBefore, child.pid(), _pGroup.get());
	outcome.outputBytes = outputBytes;
	if (stopped != OutputPump::Stop::NONE)
	{
		::unlinkat(_directoryFd, "state.tmp", 0);
		outcome.reason = stopReason(stopped);
		return Result{stopped == OutputPump::Stop::DEADLINE ? Outcome::TIMED_OUT : Outcome::KILLED, -1, "signal: killed", outcome, teeFailed};
	}
	keepJobs(child.pid());
	// The trailer ran only if the command did not end sh: then state.tmp is the
	// new state. (A link there is not followed: rename moves the link itself.)
	if (::renameat(_directoryFd, "state.tmp", _directoryFd, "state") != 0 && errno != ENOENT)
		sink.emit(StreamEvent::stderrText(std::string("[execd] the session's state could not be kept: ") + std::strerror(errno)));
	int exitCode = -1;
	std::string error = Subprocess::describeExit(status, exitCode);
	return Result{Outcome::EXITED, exitCode, error, outcome, teeFailed};
}


std::optional<OutputPump::Stop> ShSession::pump(Subprocess& child, EventSink& sink, std::chrono::milliseconds timeout, bool killOnDisconnect,
	int teeFd, std::uint64_t& outputBytes, bool& teeFailed)
{
	// Until sh exits, or a stop (timeout, interrupt, client gone): then sh and
	// its processes are frozen first, so that what they wrote until then is the
	// run's output, and killed. A background job of the command may keep the
	// pipes open; what it writes later is not this run's.
	OutputPump::Options options = pumpOptions(timeout, killOnDisconnect);
	options.stopGrace = std::chrono::milliseconds(0);
	options.teeFd = teeFd;
	OutputPump pump(child, sink, options);
	watchInterrupts(pump);
	pump.onStop([this, &child, &pump]
	{
		std::vector<pid_t> frozen;
		{
			std::lock_guard<std::mutex> lock(_mutex);
			::kill(child.pid(), SIGSTOP);
			Process::waitUntilStopped(child.pid(), 100);
			frozen = Process::freezeDescendants(child.pid(), {});
		}
		pump.drain();
		std::lock_guard<std::mutex> lock(_mutex);
		for (pid_t pid: frozen)
			::kill(pid, SIGKILL);
		child.killDescendants();
	});
	const bool failed = pump.run() == OutputPump::End::FAILED;
	if (!failed) pump.finish();
	outputBytes = pump.bytesRead();
	teeFailed = pump.teeFailed();
	if (failed) return std::nullopt;
	return pump.stopped();
}


} } // namespace execd::shell
