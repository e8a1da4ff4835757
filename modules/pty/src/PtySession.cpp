#include "PtySession.h"
#include "PtyInput.h"
#include "execd/Paths.h"
#include "execd/Process.h"
#include "execd/StreamEvent.h"
#include "execd/UserEnvironment.h"
#include "Poco/JSON/Object.h"
#include "Poco/JSON/Parser.h"
#include "Poco/Net/NetException.h"
#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>


namespace execd {
namespace pty {


namespace {


constexpr std::size_t LIVE_FRAME = 32 * 1024;


long long nowMillis()
{
	return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch()).count();
}


std::vector<std::string> shellCommand()
	/// bash without its start-up files; in an image without bash, sh (busybox
	/// ash, dash), interactive as its terminal makes it.
{
	std::string shell = Paths::findShell();
	if (Paths::isBash(shell)) return {shell, "--norc", "--noprofile"};
	return {shell};
}


} // namespace


PtySession::PtySession(std::string id, std::string cwd, std::string command):
	_id(std::move(id)),
	_cwd(std::move(cwd)),
	_command(std::move(command)),
	_lastActivity(nowMillis())
{
}


PtySession::~PtySession()
{
	terminate();
	for (std::thread& t: _readers)
		if (t.joinable()) t.join();
}


const std::string& PtySession::id() const
{
	return _id;
}


bool PtySession::running() const
{
	return _running;
}


long long PtySession::outputOffset() const
{
	return _offset;
}


bool PtySession::attached() const
{
	std::lock_guard<std::mutex> lock(_mutex);
	return _pClient && !_pClient->closed();
}


std::chrono::steady_clock::time_point PtySession::lastActivity() const
{
	return std::chrono::steady_clock::time_point(std::chrono::milliseconds(_lastActivity.load()));
}


std::string PtySession::json(const std::string& type, const std::string& key, const std::string& value)
{
	std::string out = "{\"type\":";
	Json::appendString(out, type);
	if (!key.empty())
	{
		out += ",";
		Json::appendString(out, key);
		out += ":";
		out += value;
	}
	return out + "}\n";
}


bool PtySession::start(bool ptyMode, std::string& error)
{
	// With _mutex held. Threads of an earlier shell have ended: join them.
	for (std::thread& t: _readers)
		if (t.joinable()) t.join();
	_readers.clear();
	std::vector<std::string> args = shellCommand();
	if (!_command.empty())
	{
		args.push_back("-c");
		args.push_back(_command);
	}
	// Each shell gets the EXECD_ENVS file as it is when the shell starts.
	std::vector<std::string> variables = UserEnvironment::entries();
	if (ptyMode)
	{
		// A terminal's size is the one the client sets (TIOCSWINSZ). LINES and
		// COLUMNS from execd's own start would shadow it for the programs that
		// prefer them (busybox, curses with use_env), and bash, which keeps
		// exported ones up to date only once it has seen a SIGWINCH, would hand
		// a command started right after a resize the old size.
		variables.erase(std::remove_if(variables.begin(), variables.end(), [](const std::string& entry)
		{
			return entry.compare(0, 6, "LINES=") == 0 || entry.compare(0, 8, "COLUMNS=") == 0;
		}), variables.end());
	}

	Subprocess::Options options;
	options.argv = args;
	options.env = variables;
	options.cwd = _cwd;
	options.input = Subprocess::Input::PIPE;
	options.output = ptyMode ? Subprocess::Output::TERMINAL : Subprocess::Output::PIPES;
	try
	{
		_shell.start(options);
	}
	catch (Poco::Exception& exc)
	{
		error = "cannot start the shell: " + exc.message();
		return false;
	}
	_pid = _shell.pid();
	_ptyMode = ptyMode;
	_stdinBroken = false;
	_running = true;
	startReaders();
	return true;
}


void PtySession::startReaders()
{
	// The terminal, or stdout and stderr, each read by a thread of its own.
	_master = _ptyMode ? _shell.terminal() : _shell.input();
	::fcntl(_master, F_SETFL, ::fcntl(_master, F_GETFL) | O_NONBLOCK);
	if (_ptyMode)
	{
		_openReaders = 1;
		int fd = _master;
		_readers.emplace_back([this, fd] { readLoop(fd, 0x01); });
	}
	else
	{
		_openReaders = 2;
		int o = _shell.output(), e = _shell.errors();
		_readers.emplace_back([this, o] { readLoop(o, 0x01); });
		_readers.emplace_back([this, e] { readLoop(e, 0x02); });
	}
}


void PtySession::readLoop(int fd, unsigned char channel)
{
	std::vector<char> buffer(LIVE_FRAME);
	for (;;)
	{
		struct pollfd p{fd, POLLIN, 0};
		int ready = ::poll(&p, 1, 250);
		if (ready == 0)
		{
			// Quiet: the shell may have exited while something it started still
			// holds the terminal. Peek at its state without reaping it.
			siginfo_t info;
			info.si_pid = 0;
			pid_t pid;
			{
				std::lock_guard<std::mutex> lock(_mutex);
				pid = _pid;
			}
			if (pid > 0 && ::waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOHANG | WNOWAIT) == 0 && info.si_pid == pid) break;
			continue;
		}
		if (ready < 0)
		{
			if (errno == EINTR) continue;
			break;
		}
		ssize_t n = ::read(fd, buffer.data(), buffer.size());
		if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
		if (n <= 0) break;   // EOF, or EIO once the last slave descriptor closed
		std::lock_guard<std::mutex> output(_outputMutex);
		_ring.append(buffer.data(), static_cast<std::size_t>(n));
		_offset = _ring.total();
		std::shared_ptr<PtyClient> client;
		{
			std::lock_guard<std::mutex> lock(_mutex);
			client = _pClient;
		}
		// Sent while holding the output lock: a slow client slows this reader,
		// and so the shell (backpressure), for at most the write deadline.
		if (client && !client->sendBinary(channel, buffer.data(), static_cast<std::size_t>(n)))
		{
			std::lock_guard<std::mutex> lock(_mutex);
			if (_pClient == client) _pClient.reset();
			_changed.notify_all();
		}
	}
	bool last;
	{
		std::lock_guard<std::mutex> lock(_mutex);
		last = --_openReaders == 0;
	}
	if (last) finish();
}


void PtySession::finish()
{
	// The readers have ended: the shell is gone, or going (its terminal closed).
	int status = _shell.wait();
	int code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
	std::lock_guard<std::mutex> output(_outputMutex);
	std::shared_ptr<PtyClient> client;
	{
		std::lock_guard<std::mutex> lock(_mutex);
		client = _pClient;
		_pClient.reset();
		_running = false;
		_exitCode = code;
		_pid = -1;
		_master = -1;
		_shell = Subprocess();   // closes the terminal or the pipes
		_changed.notify_all();
	}
	if (client)
	{
		client->sendText("{\"type\":\"exit\",\"exit_code\":" + std::to_string(code) + "}\n");
		client->close(1000, "process exited");
	}
}


void PtySession::terminate()
{
	// The client is detached first and told here: the shell's end may race
	// with the connection going away.
	std::lock_guard<std::mutex> output(_outputMutex);
	std::shared_ptr<PtyClient> client;
	{
		std::lock_guard<std::mutex> lock(_mutex);
		if (_running && _pid > 0) ::kill(-_pid, SIGKILL);   // _pid, not _shell: finish() may be reaping it
		client = _pClient;
		_pClient.reset();
		_changed.notify_all();
	}
	if (client)
	{
		client->sendText("{\"type\":\"exit\",\"exit_code\":-1}\n");
		client->close(1000, "session deleted");
	}
}


void PtySession::evict(std::chrono::milliseconds wait)
{
	std::unique_lock<std::mutex> lock(_mutex);
	std::shared_ptr<PtyClient> holder = _pClient;
	if (!holder) return;
	lock.unlock();
	holder->close(4001, "TAKEN_OVER");
	lock.lock();
	_changed.wait_for(lock, wait, [this, &holder] { return _pClient != holder; });
}


void PtySession::serve(Poco::Net::WebSocket& socket, bool ptyMode, long long since, bool takeover)
{
	auto client = std::make_shared<PtyClient>(socket);
	socket.setSendTimeout(Poco::Timespan(10, 0));
	// Short reads: a connection closed from our side (exit, takeover, delete) is
	// noticed within a second even when its client never answers.
	socket.setReceiveTimeout(Poco::Timespan(1, 0));
	if (takeover) evict(std::chrono::seconds(5));
	{
		std::lock_guard<std::mutex> lock(_mutex);
		if (_pClient && !_pClient->closed())
		{
			client->sendText("{\"type\":\"error\",\"error\":\"" + std::string(takeover ? "takeover timed out for pty session " : "another client is already connected to pty session ") + _id + "\",\"code\":\"ALREADY_CONNECTED\"}\n");
			client->close(1008, "ALREADY_CONNECTED");
			return;
		}
		std::string error;
		if (!_running && !start(ptyMode, error))
		{
			std::string out = "{\"type\":\"error\",\"error\":";
			Json::appendString(out, error);
			client->sendText(out + ",\"code\":\"START_FAILED\"}\n");
			client->close(1011, "START_FAILED");
			return;
		}
	}
	attach(client, since);
	PtyInput(*this, socket, client).run();
	{
		std::lock_guard<std::mutex> lock(_mutex);
		if (_pClient == client) _pClient.reset();
		_changed.notify_all();
	}
	client->shutdown();
	_lastActivity = nowMillis();
}


void PtySession::attach(const std::shared_ptr<PtyClient>& client, long long since)
{
	// The replay and the attachment at one point of the output: no gap, no duplicate.
	std::lock_guard<std::mutex> output(_outputMutex);
	long long first = 0;
	std::string replay = _ring.since(since, first);
	bool mode;
	bool running;
	int exitCode;
	{
		std::lock_guard<std::mutex> lock(_mutex);
		_pClient = client;
		mode = _ptyMode;
		running = _running;
		exitCode = _exitCode;
	}
	if (!replay.empty())
	{
		std::string frame(8, '\0');
		for (int i = 0; i < 8; ++i) frame[static_cast<std::size_t>(i)] = static_cast<char>((static_cast<unsigned long long>(first) >> (8 * (7 - i))) & 0xFF);
		frame += replay;
		client->sendBinary(0x03, frame.data(), frame.size());
	}
	client->sendText("{\"type\":\"connected\",\"session_id\":\"" + _id + "\",\"mode\":\"" + (mode ? "pty" : "pipe") + "\"}\n");
	if (!running)
	{
		// The shell ended between its start and this attachment (a quick
		// command): its output is in the replay, its status is this.
		client->sendText("{\"type\":\"exit\",\"exit_code\":" + std::to_string(exitCode) + "}\n");
		client->close(1000, "process exited");
	}
}


void PtySession::writeInput(const char* data, std::size_t size, PtyClient& client)
{
	int fd;
	{
		std::lock_guard<std::mutex> lock(_mutex);
		fd = _master;
		if (_stdinBroken) return;
	}
	if (fd < 0) return;
	auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
	while (size > 0)
	{
		ssize_t n = ::write(fd, data, size);
		if (n > 0)
		{
			data += n;
			size -= static_cast<std::size_t>(n);
			continue;
		}
		if (n < 0 && errno == EINTR) continue;
		if (n < 0 && errno == EAGAIN && std::chrono::steady_clock::now() < deadline)
		{
			struct pollfd p{fd, POLLOUT, 0};
			::poll(&p, 1, 100);
			continue;
		}
		std::string error = n < 0 && errno != EAGAIN ? std::strerror(errno) : "the shell does not read its input";
		client.sendText("{\"type\":\"error\",\"error\":\"cannot write to stdin: " + error + "\",\"code\":\"STDIN_WRITE_FAILED\"}\n");
		client.shutdown();
		return;
	}
}


void PtySession::resize(int columns, int rows)
{
	std::lock_guard<std::mutex> lock(_mutex);
	if (columns > 0 && rows > 0 && columns < 65536 && rows < 65536 && _ptyMode && _master >= 0)
	{
		struct winsize size{static_cast<unsigned short>(rows), static_cast<unsigned short>(columns), 0, 0};
		::ioctl(_master, TIOCSWINSZ, &size);
	}
}


void PtySession::signalForeground(int sig)
{
	std::lock_guard<std::mutex> lock(_mutex);
	if (sig == 0 || !_running || _pid <= 0) return;
	// In a terminal the job in the foreground has a process group of its own
	// (bash's job control): the signal goes to the foreground group, as Ctrl-C
	// would (the shell's own group when it is at its prompt).
	pid_t foreground = _ptyMode && _master >= 0 ? ::tcgetpgrp(_master) : -1;
	::kill(foreground > 0 ? -foreground : -_pid, sig);
}


void PtySession::touch()
{
	_lastActivity = nowMillis();
}


} } // namespace execd::pty
