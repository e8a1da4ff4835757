#include "BashSession.h"
#include "OutputSplitter.h"
#include "execd/Process.h"
#include "Poco/Exception.h"
#include "Poco/RandomStream.h"
#include <cerrno>
#include <cstdint>
#include <csignal>
#include <cstring>
#include <poll.h>
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
		"builtin trap -- " + Session::shellQuote(unwind) + " DEBUG; fi";
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


class MarkerStream
	/// One output stream of a run: passes bytes through to events until the run's
	/// marker "__EXECD_<token>__ <status>\n" shows up, holding back only a tail that
	/// could be the start of the marker.
{
public:
	MarkerStream(const std::string& token, EventType type):
		_marker("__EXECD_" + token + "__ "),
		_type(type)
	{
	}

	void feed(const char* data, std::size_t n, std::vector<StreamEvent>& events)
	{
		if (_done) return;
		_pending.append(data, n);
		std::size_t pos = _pending.find(_marker);
		if (pos != std::string::npos)
		{
			std::size_t eol = _pending.find('\n', pos);
			if (eol == std::string::npos)
			{
				pass(pos, events);
				return;
			}
			_status = std::atoi(_pending.c_str() + pos + _marker.size());
			std::size_t space = _pending.find(' ', pos + _marker.size());
			if (space != std::string::npos && space < eol) _extra = _pending.substr(space + 1, eol - space - 1);
			_marked = true;
			pass(pos, events);
			std::vector<std::string> pieces;
			_splitter.finish(pieces);
			append(pieces, events);
			_done = true;
			return;
		}
		// Keep the longest tail that is a prefix of the marker.
		std::size_t keep = 0;
		for (std::size_t len = std::min(_pending.size(), _marker.size() - 1); len > 0; --len)
		{
			if (_pending.compare(_pending.size() - len, len, _marker, 0, len) == 0)
			{
				keep = len;
				break;
			}
		}
		pass(_pending.size() - keep, events);
	}

	void finish(std::vector<StreamEvent>& events)
	{
		if (_done) return;
		pass(_pending.size(), events);
		std::vector<std::string> pieces;
		_splitter.finish(pieces);
		append(pieces, events);
		_done = true;
	}

	bool done() const
	{
		return _done;
	}

	int status() const
	{
		return _status;
	}

	const std::string& extra() const
		/// What the marker line has after the status.
	{
		return _extra;
	}

	bool marked() const
	{
		return _marked;
	}

private:
	void pass(std::size_t n, std::vector<StreamEvent>& events)
	{
		std::vector<std::string> pieces;
		_splitter.feed(_pending.data(), n, pieces);
		_pending.erase(0, n);
		append(pieces, events);
	}

	void append(std::vector<std::string>& pieces, std::vector<StreamEvent>& events)
	{
		for (std::string& p: pieces)
			events.push_back(_type == EventType::STDOUT ? StreamEvent::stdoutText(p) : StreamEvent::stderrText(p));
	}

	std::string _marker;
	EventType _type;
	std::string _pending;
	OutputSplitter _splitter;
	bool _done = false;
	bool _marked = false;
	int _status = 0;
	std::string _extra;
};


} // namespace


BashSession::BashSession(std::string id, std::string cwd, std::vector<std::string> env, std::string bash):
	Session(std::move(id), std::move(cwd)),
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
	auto pChild = std::make_unique<ChildProcess>(spawnShell());
	std::lock_guard<std::mutex> lock(_mutex);
	_pChild = std::move(pChild);
}


ChildProcess BashSession::spawnShell()
{
	_lastJob.clear();
	_earlierJobs.clear();
	SpawnOptions options;
	options.argv = {_bash, "--noprofile", "--norc"};
	options.env = _env;
	options.cwd = _cwd;
	options.stdinPipe = true;
	auto pChild = std::make_unique<ChildProcess>(ChildProcess::spawn(options));
	// Aliases are off in non-interactive shells; a session should feel like a
	// terminal. The run markers go to copies of stdout and stderr (fds 253, 252),
	// so a command that redirects its shell's output (exec >file) cannot lose them.
	// SIGUSR2 stops a run (see runScript()).
	writeAll(pChild->stdinFd(), "shopt -s expand_aliases\nexec 253>&1 252>&2\ntrap -- " + Session::shellQuote(stopTrap()) + " USR2\n"
		"__execd_restore=" + Session::shellQuote(restoreCode()) + "\n");
	return std::move(*pChild);
}


void BashSession::terminate()
{
	std::lock_guard<std::mutex> lock(_mutex);
	_terminated = true;
	if (!_pChild) return;
	killAll(*_pChild);
	// A run in progress owns the process until it returns: it sees bash end and
	// cleans up itself.
	if (_running) return;
	_pChild->wait();
	_pChild.reset();
}


BashSession::Result BashSession::run(const std::string& command, const std::string& cwd, std::chrono::milliseconds timeout,
	EventSink& sink, bool killOnDisconnect, const std::function<void()>& started)
{
	if (command.find('\0') != std::string::npos || cwd.find('\0') != std::string::npos)
		throw Poco::InvalidArgumentException("the command contains a NUL byte");
	std::unique_lock<std::mutex> runLock(_runMutex, std::try_to_lock);
	if (!runLock.owns_lock()) return Result{Outcome::BUSY, 0, ""};
	_interrupted = false;

	bool fresh = false;
	ChildProcess* pChild = nullptr;
	{
		// Checked, restarted if need be, and marked running in one go, so that a
		// concurrent terminate() either comes first (and we refuse) or finds the
		// run and leaves the process to it.
		std::lock_guard<std::mutex> lock(_mutex);
		if (_terminated) throw Poco::IllegalStateException("the session was deleted");
		int status = 0;
		if (!_pChild || _pChild->reap(status))
		{
			if (_pChild)
			{
				for (pid_t pid: Process::descendants(_pChild->pid()))
					::kill(pid, SIGKILL);
				_pChild.reset();
			}
			fresh = _restarted;
		}
		_running = true;
	}
	if (!pChild && !_pChild)
	{
		try
		{
			auto pNew = std::make_unique<ChildProcess>(spawnShell());
			std::lock_guard<std::mutex> lock(_mutex);
			_pChild = std::move(pNew);
		}
		catch (...)
		{
			_running = false;
			throw;
		}
	}
	{
		std::lock_guard<std::mutex> lock(_mutex);
		pChild = _pChild.get();
		_restarted = true;
	}
	started();
	if (fresh)
		sink.emit(StreamEvent::stderrText("[execd] the session's shell had ended; this run starts a new one, earlier state is lost"));
	ChildProcess& child = *pChild;   // stays ours until _running is false again

	const std::string token = randomToken();
	std::string text = cwd.empty() ? command : "cd -- " + Session::shellQuote(cwd) + " || exit 1\n" + command;
	if (!writeAll(child.stdinFd(), runScript(text, token)))
	{
		_running = false;
		terminate();
		throw Poco::IOException("the session's shell is gone");
	}

	const auto deadline = std::chrono::steady_clock::now() + timeout;
	MarkerStream out(token, EventType::STDOUT);
	MarkerStream err(token, EventType::STDERR);
	std::vector<StreamEvent> events;
	std::vector<char> buffer(64 * 1024);
	auto readReady = [&](int i)
	{
		// Everything the stream has now (the descriptors are non-blocking).
		MarkerStream& stream = i == 0 ? out : err;
		const int fd = i == 0 ? child.stdoutFd() : child.stderrFd();
		while (!stream.done())
		{
			ssize_t n = ::read(fd, buffer.data(), buffer.size());
			if (n > 0)
				stream.feed(buffer.data(), static_cast<std::size_t>(n), events);
			else if (n == 0)
				stream.finish(events);
			else if (errno != EINTR)
				break;
		}
	};
	bool stopped = false;
	bool timedOutRun = false;
	bool bashGone = false;
	std::chrono::steady_clock::time_point stoppedAt;
	while (!(out.done() && err.done()))
	{
		// A stream at its end leaves the poll set (-1 is ignored), or poll would
		// return at once, again and again.
		struct pollfd fds[4] = {{out.done() ? -1 : child.stdoutFd(), POLLIN, 0}, {err.done() ? -1 : child.stderrFd(), POLLIN, 0},
			{child.exitFd(), POLLIN, 0}, {wakeFd(), POLLIN, 0}};
		const auto now = std::chrono::steady_clock::now();
		auto until = stopped ? stoppedAt + STOP_GRACE : deadline;
		int wait = static_cast<int>(std::max<long long>(0, std::chrono::duration_cast<std::chrono::milliseconds>(until - now).count()));
		wait = std::min(wait, 1000);   // also how often a vanished client is noticed
		int rc = ::poll(fds, 4, wait);
		if (rc < 0 && errno != EINTR) break;
		if (fds[3].revents & POLLIN) clearWakeUp();
		const bool timedOut = std::chrono::steady_clock::now() >= deadline;
		const bool abandoned = killOnDisconnect && !sink.isOpen();
		events.clear();
		if (!stopped && (timedOut || abandoned || _interrupted))
		{
			timedOutRun = timedOut && !abandoned && !_interrupted;
			stopped = true;
			stoppedAt = std::chrono::steady_clock::now();
			// Freeze bash and the run's processes; what they wrote until then is
			// the run's output, anything later is not. Then kill the processes and
			// let bash skip the rest of the command (see runScript()).
			::kill(child.pid(), SIGSTOP);
			Process::waitUntilStopped(child.pid(), 100);
			std::vector<pid_t> frozen = Process::freezeDescendants(child.pid(), _earlierJobs);
			readReady(0);
			readReady(1);
			if (!events.empty() && sink.isOpen()) sink.emitAll(events);
			for (pid_t pid: frozen)
				::kill(pid, SIGKILL);
			::kill(child.pid(), SIGUSR2);
			::kill(child.pid(), SIGCONT);
			continue;
		}
		if (stopped && std::chrono::steady_clock::now() - stoppedAt >= STOP_GRACE)
		{
			// bash did not come back (the command trapped SIGUSR2, turned off set -T
			// or exec'ed another program): end it; the next run starts afresh.
			killAll(child);
			bashGone = true;
			break;
		}
		for (int i = 0; i < 2; ++i)
			if (fds[i].revents & (POLLIN | POLLHUP | POLLERR)) readReady(i);
		if (fds[2].revents & POLLIN)
		{
			// bash itself ended (the command called exit): take what is left.
			for (int i = 0; i < 2; ++i)
			{
				readReady(i);
				(i == 0 ? out : err).finish(events);
			}
			bashGone = true;
		}
		// After a stop, bash only finishes its marker line.
		if (!events.empty() && !stopped) sink.emitAll(events);
		if (bashGone) break;
	}
	// Output ended without the marker: bash itself is gone (the command ran exit).
	if (!out.marked() || !err.marked()) bashGone = true;
	if (!bashGone && out.extra() != _lastJob)
	{
		// The run started a background job ($! changed): what bash's children
		// are now is what a later stop leaves alone. Only then, as reading /proc
		// costs more than a short run.
		_lastJob = out.extra();
		_earlierJobs = Process::childIdentities(child.pid());
	}
	Result result = stopped ? Result{timedOutRun ? Outcome::TIMED_OUT : Outcome::KILLED, -1, "signal: killed"}
		: Result{Outcome::EXITED, out.status(), "exit status " + std::to_string(out.status())};
	std::lock_guard<std::mutex> lock(_mutex);
	_running = false;
	int status = 0;
	if (bashGone || child.reap(status))
	{
		// bash ended: with the command's exit, or killed. Reap it; the next run
		// starts a new one.
		killAll(child);
		status = child.wait();
		int exitCode = -1;
		std::string error = describeExit(status, exitCode);
		if (!stopped) result = Result{Outcome::EXITED, exitCode, error};
		_pChild.reset();
	}
	return result;
}


} } // namespace execd::shell
