#include "ShSession.h"
#include "OutputSplitter.h"
#include "execd/Process.h"
#include "Poco/Exception.h"
#include "Poco/File.h"
#include "Poco/Path.h"
#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>


namespace execd {
namespace shell {


namespace {


// What sh runs: the command ($1) eval'ed in this shell, so that cd and export
// reach the trailer, which writes the directory to $2.cwd, then the variables
// to $2 (last: its presence says the state is complete). Built-ins only.
const char* const SCRIPT =
	"readonly __execd_state=\"$2\"\n"
	"eval \"$1\"\n"
	"__execd_rc=$?\n"
	"printf '%s' \"$PWD\" >\"$__execd_state.cwd\" && export -p >\"$__execd_state\"\n"
	"exit $__execd_rc\n";


bool isNameStart(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
}


bool isNameChar(char c)
{
	return isNameStart(c) || (c >= '0' && c <= '9');
}


bool ignoredName(const std::string& name)
	/// Set by the shell itself, or by execd for each run.
{
	static const char* const IGNORED[] = {"PWD", "OLDPWD", "SHLVL", "_", "PS1", "PS2", "PS3", "PS4", "PROMPT_COMMAND"};
	return std::any_of(std::begin(IGNORED), std::end(IGNORED), [&](const char* n) { return name == n; });
}


bool readWord(const std::string& text, std::size_t& i, std::string& word)
	/// One shell word at i, quotes removed, up to unquoted blank or newline.
	/// False when a quote is not closed.
{
	const std::size_t n = text.size();
	while (i < n && text[i] != ' ' && text[i] != '\t' && text[i] != '\n')
	{
		char c = text[i];
		if (c == '\'')
		{
			std::size_t end = text.find('\'', i + 1);
			if (end == std::string::npos) return false;
			word.append(text, i + 1, end - i - 1);
			i = end + 1;
		}
		else if (c == '"')
		{
			++i;
			while (i < n && text[i] != '"')
			{
				if (text[i] == '\\' && i + 1 < n && std::string("$`\"\\\n").find(text[i + 1]) != std::string::npos)
				{
					if (text[i + 1] != '\n') word += text[i + 1];
					i += 2;
				}
				else
					word += text[i++];
			}
			if (i >= n) return false;
			++i;
		}
		else if (c == '$' && i + 1 < n && text[i + 1] == '\'')
		{
			i += 2;
			while (i < n && text[i] != '\'')
			{
				if (text[i] != '\\' || i + 1 >= n)
				{
					word += text[i++];
					continue;
				}
				char e = text[i + 1];
				i += 2;
				switch (e)
				{
				case 'n': word += '\n'; break;
				case 't': word += '\t'; break;
				case 'r': word += '\r'; break;
				case 'a': word += '\a'; break;
				case 'b': word += '\b'; break;
				case 'e': case 'E': word += '\x1b'; break;
				case 'f': word += '\f'; break;
				case 'v': word += '\v'; break;
				case 'x':
				{
					int value = 0, digits = 0;
					while (digits < 2 && i < n && std::isxdigit(static_cast<unsigned char>(text[i])))
					{
						value = value * 16 + (std::isdigit(static_cast<unsigned char>(text[i])) ? text[i] - '0' : (std::tolower(text[i]) - 'a' + 10));
						++i;
						++digits;
					}
					word += static_cast<char>(value);
					break;
				}
				default:
					if (e >= '0' && e <= '7')
					{
						int value = e - '0', digits = 1;
						while (digits < 3 && i < n && text[i] >= '0' && text[i] <= '7')
						{
							value = value * 8 + (text[i++] - '0');
							++digits;
						}
						word += static_cast<char>(value);
					}
					else
						word += e;   // \\ \' \" and anything else: the character
				}
			}
			if (i >= n) return false;
			++i;
		}
		else if (c == '\\' && i + 1 < n)
		{
			if (text[i + 1] != '\n') word += text[i + 1];
			i += 2;
		}
		else
			word += text[i++];
	}
	return true;
}


void skipLine(const std::string& text, std::size_t& i)
{
	std::size_t end = text.find('\n', i);
	i = end == std::string::npos ? text.size() : end + 1;
}


} // namespace


ShSession::ShSession(std::string id, std::string cwd, std::vector<std::string> env, std::string sh):
	Session(id, cwd),
	_directory(std::move(cwd)),
	_env(std::move(env)),
	_sh(std::move(sh))
{
	std::string pattern = Poco::Path::temp() + "execd-sh-state-XXXXXX";
	if (!::mkdtemp(&pattern[0]))
	{
		int e = errno;
		throw Poco::SystemException("cannot create a session's state directory in " + Poco::Path::temp(), e);
	}
	_stateDirectory = pattern;
}


ShSession::~ShSession()
{
	terminate();
	std::lock_guard<std::mutex> runLock(_runMutex);   // a run still going finishes first
	try
	{
		Poco::File(_stateDirectory).remove(true);
	}
	catch (Poco::Exception&)
	{
	}
}


void ShSession::terminate()
{
	std::lock_guard<std::mutex> lock(_mutex);
	_terminated = true;
	if (_pChild) killAll(*_pChild);   // the run reaps it
}


ShSession::Result ShSession::run(const std::string& command, const std::string& cwd, std::chrono::milliseconds timeout,
	EventSink& sink, bool killOnDisconnect, const std::function<void()>& started)
{
	if (command.find('\0') != std::string::npos || cwd.find('\0') != std::string::npos)
		throw Poco::InvalidArgumentException("the command contains a NUL byte");
	std::unique_lock<std::mutex> runLock(_runMutex, std::try_to_lock);
	if (!runLock.owns_lock()) return Result{Outcome::BUSY, 0, ""};
	_interrupted = false;
	{
		std::lock_guard<std::mutex> lock(_mutex);
		if (_terminated) throw Poco::IllegalStateException("the session was deleted");
	}

	const std::string state = _stateDirectory + "/state";
	for (const char* suffix: {"", ".cwd"})
		::unlink((state + suffix).c_str());
	SpawnOptions options;
	options.argv = {_sh, "-c", SCRIPT, "sh", command, state};
	options.env = _env;
	options.cwd = cwd.empty() ? _directory : cwd;
	ChildProcess child = ChildProcess::spawn(options);
	{
		std::lock_guard<std::mutex> lock(_mutex);
		_pChild = &child;
		_running = true;
		if (_terminated) killAll(child);
	}
	started();

	const auto deadline = std::chrono::steady_clock::now() + timeout;
	OutputSplitter splitters[2];
	std::vector<char> buffer(64 * 1024);
	std::vector<StreamEvent> events;
	int fds[2] = {child.stdoutFd(), child.stderrFd()};
	auto readReady = [&](int i)
	{
		// Everything the pipe has now (the descriptors are non-blocking).
		for (;;)
		{
			ssize_t n = ::read(fds[i], buffer.data(), buffer.size());
			if (n < 0 && errno == EINTR) continue;
			if (n == 0) fds[i] = -1;
			if (n <= 0) break;
			std::vector<std::string> pieces;
			splitters[i].feed(buffer.data(), static_cast<std::size_t>(n), pieces);
			for (std::string& p: pieces)
				events.push_back(i == 0 ? StreamEvent::stdoutText(p) : StreamEvent::stderrText(p));
		}
	};
	bool stopped = false;
	bool timedOutRun = false;
	bool exited = false;
	while (!exited)
	{
		struct pollfd pfds[4] = {{fds[0], POLLIN, 0}, {fds[1], POLLIN, 0}, {child.pidfd(), POLLIN, 0}, {wakeFd(), POLLIN, 0}};
		auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count();
		int wait = static_cast<int>(std::min<long long>(std::max<long long>(0, left), 1000));   // 1 s: a vanished client is noticed
		if (::poll(pfds, 4, wait) < 0 && errno != EINTR) break;
		if (pfds[3].revents & POLLIN) clearWakeUp();
		events.clear();
		for (int i = 0; i < 2; ++i)
			if (pfds[i].revents & (POLLIN | POLLHUP | POLLERR)) readReady(i);
		const bool timedOut = std::chrono::steady_clock::now() >= deadline;
		const bool abandoned = killOnDisconnect && !sink.isOpen();
		if (timedOut || abandoned || _interrupted)
		{
			// Frozen first: what they wrote until now is the run's output.
			timedOutRun = timedOut && !abandoned && !_interrupted;
			stopped = true;
			::kill(child.pid(), SIGSTOP);
			Process::waitUntilStopped(child.pid(), 100);
			std::vector<pid_t> frozen = Process::freezeDescendants(child.pid(), {});
			for (int i = 0; i < 2; ++i)
				if (fds[i] >= 0) readReady(i);
			for (pid_t pid: frozen)
				::kill(pid, SIGKILL);
			child.signalGroup(SIGKILL);
			::kill(child.pid(), SIGKILL);
			exited = true;
		}
		else if (pfds[2].revents & POLLIN)
		{
			// sh is done: take what the pipes hold now. A background job of the
			// command may keep them open; what it writes later is not this run's.
			for (int i = 0; i < 2; ++i)
				if (fds[i] >= 0) readReady(i);
			exited = true;
		}
		if (exited)
		{
			for (int i = 0; i < 2; ++i)
			{
				std::vector<std::string> pieces;
				splitters[i].finish(pieces);
				for (std::string& p: pieces)
					events.push_back(i == 0 ? StreamEvent::stdoutText(p) : StreamEvent::stderrText(p));
			}
		}
		if (!events.empty() && sink.isOpen()) sink.emitAll(events);
	}
	{
		// Out of terminate()'s reach before the reap: after it the pid may be
		// another process's. sh has exited or been killed by now (or poll failed:
		// then it is killed here), so the wait is short.
		std::lock_guard<std::mutex> lock(_mutex);
		if (!exited) killAll(child);
		_pChild = nullptr;
	}
	int status = child.wait();
	_running = false;
	if (stopped) return Result{timedOutRun ? Outcome::TIMED_OUT : Outcome::KILLED, -1, "signal: killed"};
	int exitCode = -1;
	std::string error = describeExit(status, exitCode);
	takeState(sink);
	return Result{Outcome::EXITED, exitCode, error};
}


bool ShSession::takeState(EventSink& sink)
{
	const std::string state = _stateDirectory + "/state";
	std::ifstream in(state, std::ios::binary);
	if (!in) return false;   // sh ended inside the command: the state stays
	std::string exports;
	exports.resize(MAX_STATE_BYTES + 1);
	in.read(&exports[0], static_cast<std::streamsize>(exports.size()));
	exports.resize(static_cast<std::size_t>(in.gcount()));
	std::ifstream cwdIn(state + ".cwd", std::ios::binary);
	std::string cwd((std::istreambuf_iterator<char>(cwdIn)), std::istreambuf_iterator<char>());
	if (exports.size() > MAX_STATE_BYTES || cwd.size() > 4096 || cwd.empty() || cwd[0] != '/')
	{
		if (sink.isOpen())
			sink.emit(StreamEvent::stderrText("[execd] the session's variables exceed 4 MiB (or its directory is unreadable): they are not kept"));
		return false;
	}
	_env = parseExports(exports);
	_directory = cwd;
	return true;
}


std::vector<std::string> ShSession::parseExports(const std::string& text)
{
	std::vector<std::string> entries;
	std::size_t i = 0;
	const std::size_t n = text.size();
	while (i < n)
	{
		while (i < n && (text[i] == ' ' || text[i] == '\t' || text[i] == '\n')) ++i;
		if (i >= n) break;
		std::string keyword;
		if (!readWord(text, i, keyword)) break;
		while (i < n && (text[i] == ' ' || text[i] == '\t')) ++i;
		if (keyword == "declare")
		{
			std::string flags;   // declare -x NAME="value" (bash)
			if (!readWord(text, i, flags)) break;
			while (i < n && (text[i] == ' ' || text[i] == '\t')) ++i;
			keyword = flags.find('x') != std::string::npos ? "export" : "";
		}
		if (keyword != "export" || i >= n || !isNameStart(text[i]))
		{
			skipLine(text, i);
			continue;
		}
		std::size_t start = i;
		while (i < n && isNameChar(text[i])) ++i;
		std::string name = text.substr(start, i - start);
		if (i >= n || text[i] != '=')
		{
			skipLine(text, i);   // exported, but no value
			continue;
		}
		++i;
		std::string value;
		if (!readWord(text, i, value)) break;
		if (!ignoredName(name)) entries.push_back(name + "=" + value);
		skipLine(text, i);
	}
	return entries;
}


} } // namespace execd::shell
