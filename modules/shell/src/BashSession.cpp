#include "BashSession.h"
#include "OutputSplitter.h"
#include "execd/Process.h"
#include "execd/UserEnvironment.h"
#include "Poco/Exception.h"
#include "Poco/RandomStream.h"
#include "Poco/UUIDGenerator.h"
#include <cerrno>
#include <csignal>
#include <cstring>
#include <poll.h>
#include <unistd.h>


namespace execd {
namespace shell {


namespace {


std::string shellQuote(const std::string& text)
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
};


} // namespace


BashSession::BashSession(std::string id, std::string cwd, std::vector<std::string> env, std::string bash):
	_id(std::move(id)),
	_cwd(std::move(cwd)),
	_env(std::move(env)),
	_bash(std::move(bash))
{
	start();
}


BashSession::~BashSession()
{
	terminate();
}


const std::string& BashSession::id() const
{
	return _id;
}


const std::string& BashSession::cwd() const
{
	return _cwd;
}


bool BashSession::running() const
{
	return _running;
}


void BashSession::start()
{
	auto pChild = std::make_unique<ChildProcess>(spawnShell());
	std::lock_guard<std::mutex> lock(_mutex);
	_pChild = std::move(pChild);
}


ChildProcess BashSession::spawnShell()
{
	SpawnOptions options;
	options.argv = {_bash, "--noprofile", "--norc"};
	options.env = _env;
	options.cwd = _cwd;
	options.stdinPipe = true;
	auto pChild = std::make_unique<ChildProcess>(ChildProcess::spawn(options));
	// Aliases are off in non-interactive shells; a session should feel like a
	// terminal. The run markers go to copies of stdout and stderr (fds 253, 252),
	// so a command that redirects its shell's output (exec >file) cannot lose them.
	writeAll(pChild->stdinFd(), "shopt -s expand_aliases\nexec 253>&1 252>&2\n");
	return std::move(*pChild);
}


void BashSession::killRun()
{
	std::lock_guard<std::mutex> lock(_mutex);
	if (!_pChild) return;
	for (pid_t pid: Process::descendants(_pChild->pid()))
		::kill(pid, SIGKILL);
}


bool BashSession::interrupt()
{
	if (!_running) return false;
	_interrupted = true;
	killRun();
	return true;
}


void BashSession::terminate()
{
	std::lock_guard<std::mutex> lock(_mutex);
	_terminated = true;
	if (!_pChild) return;
	for (pid_t pid: Process::descendants(_pChild->pid()))
		::kill(pid, SIGKILL);
	_pChild->signalGroup(SIGKILL);
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
	std::string text = cwd.empty() ? command : "cd -- " + shellQuote(cwd) + " || exit 1\n" + command;
	std::string script = "LC_ALL=C IFS= read -r -N " + std::to_string(text.size()) + " __execd_cmd\n" + text + "\n"
		"eval \"$__execd_cmd\" </dev/null\n"
		"__execd_rc=$?; printf '__EXECD_%s__ %d\\n' " + token + " $__execd_rc >&253; printf '__EXECD_%s__ %d\\n' " + token + " $__execd_rc >&252\n";
	if (!writeAll(child.stdinFd(), script))
	{
		_running = false;
		terminate();
		throw Poco::IOException("the session's shell is gone");
	}

	const auto start = std::chrono::steady_clock::now();
	const auto deadline = start + timeout;
	MarkerStream out(token, EventType::STDOUT);
	MarkerStream err(token, EventType::STDERR);
	std::vector<StreamEvent> events;
	std::vector<char> buffer(64 * 1024);
	bool killed = false;
	bool timedOutRun = false;
	bool bashGone = false;
	std::optional<std::chrono::steady_clock::time_point> killedAt;
	while (!(out.done() && err.done()))
	{
		// A stream at its end leaves the poll set (-1 is ignored), or poll would
		// return at once, again and again.
		struct pollfd fds[3] = {{out.done() ? -1 : child.stdoutFd(), POLLIN, 0}, {err.done() ? -1 : child.stderrFd(), POLLIN, 0},
			{child.pidfd(), POLLIN, 0}};
		int wait = 1000;   // also how often a vanished client is noticed
		if (!killed)
				wait = static_cast<int>(std::max<long long>(0, std::min<long long>(wait, std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count())));
		int rc = ::poll(fds, 3, wait);
		if (rc < 0 && errno != EINTR) break;
		const bool timedOut = std::chrono::steady_clock::now() >= deadline;
		const bool abandoned = killOnDisconnect && !sink.isOpen();
		if (!killed && (timedOut || abandoned || _interrupted))
		{
			timedOutRun = timedOut && !abandoned && !_interrupted;
			killRun();
			killed = true;
			killedAt = std::chrono::steady_clock::now();
		}
		if (killed && killedAt && std::chrono::steady_clock::now() - *killedAt > std::chrono::seconds(1))
		{
			// The run's processes are gone and bash still does not come back: it is
			// busy itself (a shell loop). End it; the next run starts afresh.
			child.signalGroup(SIGKILL);
			bashGone = true;
			break;
		}
		events.clear();
		for (int i = 0; i < 2; ++i)
		{
			if (!(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
			ssize_t n = ::read(fds[i].fd, buffer.data(), buffer.size());
			MarkerStream& stream = i == 0 ? out : err;
			if (n > 0)
				stream.feed(buffer.data(), static_cast<std::size_t>(n), events);
			else if (n == 0)
				stream.finish(events);
		}
		if (!events.empty()) sink.emitAll(events);
		if (fds[2].revents & POLLIN)
		{
			// bash itself ended (the command called exit): take what is left.
			events.clear();
			for (int i = 0; i < 2; ++i)
			{
				MarkerStream& stream = i == 0 ? out : err;
				ssize_t n;
				while ((n = ::read(fds[i].fd, buffer.data(), buffer.size())) > 0)
					stream.feed(buffer.data(), static_cast<std::size_t>(n), events);
				stream.finish(events);
			}
			if (!events.empty()) sink.emitAll(events);
			bashGone = true;
			break;
		}
	}
	// Output ended without the marker: bash itself is gone (the command ran exit).
	if (!out.marked() || !err.marked()) bashGone = true;
	Result result = killed ? Result{timedOutRun ? Outcome::TIMED_OUT : Outcome::KILLED, -1, "signal: killed"}
		: Result{Outcome::EXITED, out.status(), "exit status " + std::to_string(out.status())};
	std::lock_guard<std::mutex> lock(_mutex);
	_running = false;
	int status = 0;
	if (bashGone || child.reap(status))
	{
		// bash ended: with the command's exit, or killed. Reap it; the next run
		// starts a new one.
		for (pid_t pid: Process::descendants(child.pid()))
			::kill(pid, SIGKILL);
		status = child.wait();
		int exitCode = -1;
		std::string error = describeExit(status, exitCode);
		if (!killed) result = Result{Outcome::EXITED, exitCode, error};
		_pChild.reset();
	}
	return result;
}


SessionManager::SessionManager(std::string bash):
	_bash(std::move(bash))
{
}


SessionManager::~SessionManager()
{
	terminateAll();
}


std::shared_ptr<BashSession> SessionManager::create(const std::string& cwd)
{
	// A snapshot: the EXECD_ENVS file as it is now (a restarted bash gets the same).
	std::vector<std::string> env = UserEnvironment::entries();
	std::string id = Poco::UUIDGenerator::defaultGenerator().createRandom().toString();
	auto pSession = std::make_shared<BashSession>(id, cwd, env, _bash);
	std::lock_guard<std::mutex> lock(_mutex);
	_sessions[id] = pSession;
	return pSession;
}


std::shared_ptr<BashSession> SessionManager::find(const std::string& id) const
{
	std::lock_guard<std::mutex> lock(_mutex);
	auto it = _sessions.find(id);
	return it == _sessions.end() ? nullptr : it->second;
}


bool SessionManager::remove(const std::string& id)
{
	std::shared_ptr<BashSession> pSession;
	{
		std::lock_guard<std::mutex> lock(_mutex);
		auto it = _sessions.find(id);
		if (it == _sessions.end()) return false;
		pSession = it->second;
		_sessions.erase(it);
	}
	pSession->interrupt();
	pSession->terminate();
	return true;
}


std::vector<std::shared_ptr<BashSession>> SessionManager::list() const
{
	std::lock_guard<std::mutex> lock(_mutex);
	std::vector<std::shared_ptr<BashSession>> result;
	for (const auto& s: _sessions) result.push_back(s.second);
	return result;
}


void SessionManager::terminateAll()
{
	std::map<std::string, std::shared_ptr<BashSession>> sessions;
	{
		std::lock_guard<std::mutex> lock(_mutex);
		sessions.swap(_sessions);
	}
	for (auto& s: sessions)
	{
		s.second->interrupt();
		s.second->terminate();
	}
}


} } // namespace execd::shell
