#include "BashSession.h"
#include "execd/RunUsage.h"
#include "MarkerFilter.h"
#include "execd/OutputPump.h"
#include "execd/Paths.h"
#include "execd/Process.h"
#include "Poco/Exception.h"
#include "Poco/RandomStream.h"
#include <cerrno>
#include <cstdint>
#include <csignal>
#include <cstring>
#include <sys/eventfd.h>
#include <unistd.h>


namespace execd {
namespace shell {


namespace {


std::string randomToken()
{
	static const char HEX[] = "0123456789abcdef";
	unsigned char bytes[16];
	Poco::RandomInputStream().read(reinterpret_cast<char*>(bytes), sizeof(bytes));
	std::string token;
	for (unsigned char b: bytes)
	{
		token += HEX[b >> 4];
		token += HEX[b & 0xF];
	}
	return token;
}


const std::string& stopTrap()
	/// bash's SIGUSR2 trap, installed once per bash (see runScript()).
{
	static const std::string unwind = "if [[ -n ${__execd_done+x} || $BASH_COMMAND == '__execd_rc=$?' ]]; then __execd_done=; "
		"elif [[ ${#FUNCNAME[@]} -gt 0 || ${#BASH_SOURCE[@]} -gt 0 ]]; then builtin return 0; "
		"else builtin break 1000000 2>/dev/null; builtin false; fi";
	static const std::string stop = "if [[ -n ${__execd_running+x} ]]; then __execd_stopped=\"$-\"; "
		"builtin shopt -q extdebug && __execd_stopped+=X; builtin set +e; "
		"__execd_traps=$(builtin trap -p ERR RETURN DEBUG); builtin trap - ERR RETURN; builtin shopt -s extdebug; "
		"builtin trap -- " + Paths::shellQuote(unwind) + " DEBUG; fi";
	return stop;
}


const std::string& restoreCode()
	/// What the marker line runs after a stop, kept in bash's __execd_restore.
{
	static const std::string restore = "builtin trap - DEBUG; "
		"[[ $__execd_stopped == *X* ]] || builtin shopt -u extdebug; [[ $__execd_stopped == *T* ]] && builtin set -T; "
		"[[ $__execd_stopped == *E* ]] && builtin set -E; [[ $__execd_stopped == *e* ]] && builtin set -e; "
		"builtin eval \"$__execd_traps\"; builtin unset __execd_stopped __execd_traps __execd_done";
	return restore;
}


std::string runScript(const std::string& text, const std::string& token)
	/// What bash is sent for one run: the command, read length-prefixed into a
	/// variable and eval'ed, then a marker line with the status.
	///
	/// Stopping a run (timeout, interrupt, a client that left) kills its processes
	/// and sends bash SIGUSR2. Its trap, when a run is going on, turns on extdebug
	/// and installs a DEBUG trap that, before each further command of the run,
	/// returns from the function or sourced file it is in, or else breaks out of
	/// every loop and skips the command, until the marker line comes (its first
	/// command is let through and lets the rest through). So the rest of the
	/// command line is skipped while bash and its state stay. The trap saves and
	/// clears the user's ERR, RETURN and DEBUG traps and set -e, -E, -T and
	/// extdebug (the unwinding must not run them); the marker line restores them.
	/// A stop that comes between runs does nothing. The trap and the restoring
	/// code are given to bash once (spawnShell()), not parsed at every run.
{
	return "LC_ALL=C IFS= read -r -N " + std::to_string(text.size()) + " __execd_cmd\n" + text + "\n"
		"__execd_running=; builtin eval \"$__execd_cmd\" </dev/null\n"
		"__execd_rc=$?; builtin unset __execd_running; [[ -z ${__execd_stopped+x} ]] || builtin eval \"$__execd_restore\"; "
		"builtin printf '__EXECD_%s__ %d %s\\n' " + token + " $__execd_rc \"${!-}\" >&253; builtin printf '__EXECD_%s__ %d\\n' " + token + " $__execd_rc >&252\n";
}


bool writeAll(int fd, const std::string& data)
{
	std::size_t done = 0;
	while (done < data.size())
	{
		ssize_t n = ::write(fd, data.data() + done, data.size() - done);
		if (n < 0)
		{
			if (errno == EINTR) continue;
			return false;
		}
		done += static_cast<std::size_t>(n);
	}
	return true;
}


} // namespace


BashSession::BashSession(std::string id, std::string cwd, std::vector<std::string> env, std::string bash, ResourceGroup::Ptr pGroup):
	Session(std::move(id), std::move(cwd), std::move(pGroup)),
	_env(std::move(env)),
	_bash(std::move(bash))
{
	start();
}


BashSession::~BashSession()
{
	terminate();
}


void BashSession::start()
{
	auto pChild = std::make_unique<Subprocess>(spawnShell());
	std::lock_guard<std::mutex> lock(_mutex);
	_pChild = std::move(pChild);
}


Subprocess BashSession::spawnShell()
{
	_lastJob.clear();
	_earlierJobs.clear();
	Subprocess::Options options;
	options.argv = {_bash, "--noprofile", "--norc"};
	options.env = _env;
	options.cwd = _cwd;
	options.input = Subprocess::Input::PIPE;
	options.group = _pGroup;
	Subprocess child(options);
	// Aliases are off in non-interactive shells; a session should feel like a
	// terminal. The run markers go to copies of stdout and stderr (fds 253, 252),
	// so a command that redirects its shell's output (exec >file) cannot lose them.
	// SIGUSR2 stops a run (see runScript()).
	writeAll(child.input(), "shopt -s expand_aliases\nexec 253>&1 252>&2\ntrap -- " + Paths::shellQuote(stopTrap()) + " USR2\n"
		"__execd_restore=" + Paths::shellQuote(restoreCode()) + "\n");
	return child;
}


void BashSession::terminate()
{
	std::lock_guard<std::mutex> lock(_mutex);
	_terminated = true;
	if (!_pChild) return;
	_pChild->killDescendants();
	// A run in progress owns the process until it returns: it sees bash end and
	// cleans up itself.
	if (_running) return;
	_pChild->wait();
	_pChild.reset();
}


Subprocess& BashSession::takeShell(bool& fresh)
{
	{
		// Checked, restarted if need be, and marked running in one go, so that a
		// concurrent terminate() either comes first (and we refuse) or finds the
		// run and leaves the process to it.
		std::lock_guard<std::mutex> lock(_mutex);
		if (_terminated) throw Poco::IllegalStateException("the session was deleted");
		int status = 0;
		if (_pChild && _pChild->tryReap(status))
		{
			for (pid_t pid: Process::descendants(_pChild->pid()))
				::kill(pid, SIGKILL);
			_pChild.reset();
		}
		fresh = !_pChild && _restarted;
		_running = true;
	}
	if (!_pChild)
	{
		try
		{
			auto pNew = std::make_unique<Subprocess>(spawnShell());
			std::lock_guard<std::mutex> lock(_mutex);
			_pChild = std::move(pNew);
		}
		catch (...)
		{
			_running = false;
			throw;
		}
	}
	std::lock_guard<std::mutex> lock(_mutex);
	_restarted = true;
	return *_pChild;   // stays ours until _running is false again
}


void BashSession::stopRun(Subprocess& child, OutputPump& pump)
{
	// Freeze bash and the run's processes; what they wrote until then is the
	// run's output, anything later is not. Then kill the processes and let bash
	// skip the rest of the command (see runScript()).
	::kill(child.pid(), SIGSTOP);
	Process::waitUntilStopped(child.pid(), 100);
	std::vector<pid_t> frozen = Process::freezeDescendants(child.pid(), _earlierJobs);
	pump.drain();
	for (pid_t pid: frozen)
		::kill(pid, SIGKILL);
	::kill(child.pid(), SIGUSR2);
	::kill(child.pid(), SIGCONT);
}


BashSession::Result BashSession::run(const std::string& command, const std::string& cwd, std::chrono::milliseconds timeout,
	EventSink& sink, bool killOnDisconnect, const std::function<void()>& started, int teeFd)
{
	std::unique_lock<std::mutex> runLock = beginRun(command, cwd);
	if (!runLock.owns_lock()) return Result{Outcome::BUSY, 0, "", {}};
	bool fresh = false;
	_oomKillsBefore = oomKills();
	Subprocess& child = takeShell(fresh);
	started();
	if (fresh)
		sink.emit(StreamEvent::stderrText("[execd] the session's shell had ended; this run starts a new one, earlier state is lost"));

	const std::string token = randomToken();
	std::string text = cwd.empty() ? command : "cd -- " + Paths::shellQuote(cwd) + " || exit 1\n" + command;
	if (!writeAll(child.input(), runScript(text, token)))
	{
		_running = false;
		terminate();
		throw Poco::IOException("the session's shell is gone");
	}

	// The run ends with its marker on both streams; after a stop (timeout,
	// interrupt, a client gone), bash only finishes its marker line, within STOP_GRACE.
	OutputPump::Options options = pumpOptions(timeout, killOnDisconnect);
	options.endsWith = OutputPump::EndsWith::STREAMS;
	options.stopGrace = STOP_GRACE;
	options.emitAfterStop = false;
	OutputPump pump(child, sink, options);
	auto pOut = std::make_unique<MarkerFilter>(token, EventType::STDOUT);
	auto pErr = std::make_unique<MarkerFilter>(token, EventType::STDERR);
	const MarkerFilter& out = *pOut;
	const MarkerFilter& err = *pErr;
	bool teeFailed = false;
	if (teeFd >= 0)
	{
		auto tee = [teeFd, &teeFailed](const char* data, std::size_t size)
		{
			if (!teeFailed && !writeAll(teeFd, std::string(data, size))) teeFailed = true;
		};
		pOut->setTee(tee);
		pErr->setTee(tee);
	}
	pump.setFilters(std::move(pOut), std::move(pErr));
	watchInterrupts(pump);
	pump.onStop([this, &child, &pump] { stopRun(child, pump); });
	const OutputPump::End end = pump.run();
	// Without both markers bash itself is gone (the command ran exit), or it did
	// not come back after a stop (it trapped SIGUSR2, exec'ed another program).
	const bool bashGone = end != OutputPump::End::STREAMS_ENDED || !out.marked() || !err.marked();
	if (!bashGone && out.extra() != _lastJob)
	{
		// The run started a background job ($! changed): what bash's children
		// are now is what a later stop leaves alone. Only then, as reading /proc
		// costs more than a short run.
		_lastJob = out.extra();
		_earlierJobs = Process::childIdentities(child.pid());
	}
	Result result = endRun(child, pump, bashGone, out.status(), out.passed() + err.passed());
	result.teeFailed = teeFailed;
	return result;
}


BashSession::Result BashSession::endRun(Subprocess& child, const OutputPump& pump, bool bashGone, int status, std::uint64_t outputBytes)
{
	const bool stopped = pump.stopped() != OutputPump::Stop::NONE;
	Result result = stopped ? Result{pump.stopped() == OutputPump::Stop::DEADLINE ? Outcome::TIMED_OUT : Outcome::KILLED, -1, "signal: killed", {}}
		: Result{Outcome::EXITED, status, "exit status " + std::to_string(status), {}};
	std::lock_guard<std::mutex> lock(_mutex);
	_running = false;
	int raw = 0;
	if (bashGone || child.tryReap(raw))
	{
		// bash ended: with the command's exit, or killed. Reap it; the next run
		// starts a new one.
		child.killDescendants();
		raw = child.wait();
		int exitCode = -1;
		std::string error = Subprocess::describeExit(raw, exitCode);
		if (!stopped) result = Result{Outcome::EXITED, exitCode, error, {}};
		if (!stopped) result.ending = RunUsage::fromWait(raw, nullptr, _oomKillsBefore, child.pid(), _pGroup.get());   // bash's own end
		_pChild.reset();
	}
	// bash lives on between runs: a run's CPU and peak are not its to report.
	if (stopped)
	{
		result.ending.reason = stopReason(pump.stopped());
		result.ending.signal = "SIGKILL";
	}
	else if (result.ending.reason.empty())
	{
		result.ending.reason = "exited";
		result.ending.exitCode = result.exitCode;
		RunUsage::markOomKill(result.ending, _oomKillsBefore, _pGroup.get());
	}
	result.ending.outputBytes = outputBytes;
	return result;
}


} } // namespace execd::shell
