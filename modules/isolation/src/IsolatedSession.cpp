#include "IsolatedSession.h"
#include "Overlay.h"
#include "BwrapCommand.h"
#include "execd/Process.h"
#include "Poco/Exception.h"
#include "Poco/File.h"
#include "Poco/UUIDGenerator.h"
#include <cerrno>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <algorithm>
#include <poll.h>
#include <sys/mount.h>
#include <thread>
#include <unistd.h>


namespace execd {
namespace isolation {


namespace {


void writeAll(int fd, const std::string& data)
{
	std::size_t done = 0;
	while (done < data.size())
	{
		ssize_t n = ::write(fd, data.data() + done, data.size() - done);
		if (n < 0 && errno == EINTR) continue;
		if (n <= 0) throw Poco::IOException("write to the session's shell: " + std::string(std::strerror(errno)));
		done += static_cast<std::size_t>(n);
	}
}


} // namespace


IsolatedSession::IsolatedSession(std::string id, SessionRequest request, Paths paths):
	_id(std::move(id)),
	_request(std::move(request)),
	_paths(std::move(paths))
{
}


IsolatedSession::~IsolatedSession()
{
	try
	{
		stop();
	}
	catch (...)
	{
	}
}


const std::string& IsolatedSession::id() const
{
	return _id;
}


const SessionRequest& IsolatedSession::request() const
{
	return _request;
}


std::string IsolatedSession::sessionDirectory() const
{
	return _directory;
}


SessionView IsolatedSession::view() const
{
	const SessionConfig& config = _request.config;
	const bool overlay = config.mode == SessionConfig::Workspace::OVERLAY;
	return SessionView(overlay ? _directory + "/merged" : config.workspace, config.workspace, config.mode != SessionConfig::Workspace::RO,
		config.userns ? ::geteuid() : config.uid, config.userns ? ::getegid() : config.gid);
}


void IsolatedSession::start()
{
	SessionConfig config = _request.config;
	if (config.mode == SessionConfig::Workspace::OVERLAY)
	{
		std::string hex = Poco::UUIDGenerator::defaultGenerator().createRandom().toString();
		hex.erase(std::remove(hex.begin(), hex.end(), '-'), hex.end());
		_directory = _paths.upperRoot + "/" + hex;
		for (const char* sub: {"/upper", "/work", "/merged"}) Poco::File(_directory + sub).createDirectories();
		// The overlay's root takes the upper directory's owner and mode: the
		// workspace's, or a session user the workspace lets write could not.
		struct stat st;
		if (::stat(config.workspace.c_str(), &st) != 0
			|| ::chown((_directory + "/upper").c_str(), st.st_uid, st.st_gid) != 0
			|| ::chmod((_directory + "/upper").c_str(), st.st_mode & 07777) != 0)
			throw Poco::SystemException("start bwrap: prepare the overlay: " + std::string(std::strerror(errno)));
		try
		{
			Overlay::mount(config.workspace, _directory + "/upper", _directory + "/work", _directory + "/merged");
		}
		catch (Poco::SystemException& exc)
		{
			throw Poco::SystemException("start bwrap: " + exc.message());
		}
		_mounted = true;
		config.merged = _directory + "/merged";
	}
	config.upperRoot = _paths.upperRoot;
	int pipe[2];
	if (::pipe2(pipe, O_CLOEXEC) != 0) throw Poco::SystemException("start bwrap: pipe", errno);
	// The seccomp program through a pipe of its own, read by bwrap to its end
	// (a few hundred bytes: the write never blocks).
	int program[2] = {-1, -1};
	if (!_paths.seccomp.empty())
	{
		if (::pipe2(program, O_CLOEXEC) != 0 || ::write(program[1], _paths.seccomp.data(), _paths.seccomp.size()) != static_cast<ssize_t>(_paths.seccomp.size()))
		{
			int error = errno;
			if (program[0] >= 0) ::close(program[0]);
			if (program[1] >= 0) ::close(program[1]);
			::close(pipe[0]);
			::close(pipe[1]);
			throw Poco::SystemException("start bwrap: the seccomp program", error);
		}
		::close(program[1]);
		config.seccomp = true;
	}
	Subprocess::Options options;
	options.inheritDescriptor = program[0];
	options.argv = BwrapCommand::build(config, _paths.bwrap, Subprocess::environment(), _paths.shell, _paths.setpriv);
	options.env = BwrapCommand::environment(config, Subprocess::environment());
	options.input = Subprocess::Input::PIPE;
	options.output = Subprocess::Output::DESCRIPTOR;
	options.outputDescriptor = pipe[1];
	try
	{
		_process.start(options);
	}
	catch (...)
	{
		::close(pipe[0]);
		::close(pipe[1]);
		if (program[0] >= 0) ::close(program[0]);
		throw;
	}
	::close(pipe[1]);
	if (program[0] >= 0) ::close(program[0]);
	_output = pipe[0];
	::fcntl(_output, F_SETFL, ::fcntl(_output, F_GETFL) | O_NONBLOCK);
}


bool IsolatedSession::alive() const
{
	if (_ended || !_process.running()) return false;
	pollfd p{_process.exitDescriptor(), POLLIN, 0};
	return ::poll(&p, 1, 0) == 0;
}


pid_t IsolatedSession::shellPid() const
{
	// bwrap (ours) -> bwrap's init, pid 1 of the new pid namespace -> the shell
	// (setpriv executes it in its own place).
	pid_t pid = _process.pid();
	for (int depth = 0; depth < 2; ++depth)
	{
		std::vector<Process::Identity> children = Process::childIdentities(pid);
		if (children.size() != 1) break;
		pid = children[0].pid;
	}
	return pid;
}


void IsolatedSession::stopJob()
{
	const pid_t shell = shellPid();
	for (pid_t pid: Process::descendants(shell)) ::kill(pid, SIGINT);
	std::this_thread::sleep_for(std::chrono::milliseconds(200));
	for (pid_t pid: Process::freezeDescendants(shell, {})) ::kill(pid, SIGKILL);
}


IsolatedSession::Outcome IsolatedSession::run(const std::string& code, const std::vector<std::pair<std::string, std::string>>& envs,
	std::chrono::milliseconds timeout, const std::function<bool(const std::string&)>& onLine, int client)
{
	std::lock_guard<std::mutex> lock(_runMutex);
	Outcome outcome;
	if (!alive())
	{
		outcome.error = "isolated session is not active: session process has exited";
		return outcome;
	}
	RunScript script("__ISOLATED_RUN_END___" + Poco::UUIDGenerator::defaultGenerator().createRandom().toString());
	try
	{
		writeAll(_process.input(), script.input(code, envs));
	}
	catch (Poco::IOException&)
	{
		_ended = true;   // the shell is gone (EPIPE) before its exit was seen
		outcome.error = "isolated session is not active: session process has exited";
		return outcome;
	}
	const auto deadline = std::chrono::steady_clock::now() + timeout;
	bool stopped = false;
	char buffer[65536];
	std::vector<std::string> lines;
	for (;;)
	{
		int wait = -1;
		if (timeout.count() > 0 && !stopped)
		{
			auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count();
			if (left <= 0)
			{
				stopJob();
				stopped = true;
				outcome.error = "context deadline exceeded";
				continue;
			}
			wait = static_cast<int>(left);
		}
		// The client's socket too: one that closes its connection during a silent
		// run is noticed at once, not at the run's next line.
		pollfd p[2] = {{_output, POLLIN, 0}, {stopped ? -1 : client, POLLRDHUP, 0}};
		if (::poll(p, 2, wait) < 0 && errno != EINTR) throw Poco::IOException("poll", errno);
		if (p[1].revents & (POLLRDHUP | POLLHUP | POLLERR))
		{
			stopJob();
			stopped = true;
			if (outcome.error.empty()) outcome.error = "client disconnected";
			continue;
		}
		if (!(p[0].revents & (POLLIN | POLLHUP))) continue;
		ssize_t n = ::read(_output, buffer, sizeof(buffer));
		if (n < 0 && (errno == EAGAIN || errno == EINTR)) continue;
		if (n <= 0)
		{
			_ended = true;
			lines.clear();   // those of the last read were passed on already
			script.finish(lines);
			for (const std::string& l: lines) if (!stopped) onLine(l);
			if (outcome.error.empty()) outcome.error = "session process exited without end marker (process may have died or called exit)";
			return outcome;
		}
		lines.clear();
		script.feed(buffer, static_cast<std::size_t>(n), lines);
		if (script.overflowed() && !stopped)
		{
			// As at a timeout: the job stops, its marker is still awaited, so
			// that nothing of this run reaches the next.
			for (const std::string& l: lines) onLine(l);
			lines.clear();
			stopJob();
			stopped = true;
			outcome.error = "read stdout: bufio.Scanner: token too long";
		}
		for (const std::string& l: lines)
		{
			if (!stopped && !onLine(l))
			{
				stopJob();   // the client is gone
				stopped = true;
			}
		}
		if (script.status())
		{
			if (outcome.error.empty()) outcome.status = script.status();
			return outcome;
		}
	}
}


void IsolatedSession::stop()
{
	if (_process.running())
	{
		_process.signalGroup(SIGKILL);
		pollfd p{_process.exitDescriptor(), POLLIN, 0};
		if (::poll(&p, 1, 5000) == 0) throw Poco::TimeoutException("stop session process: isolated session teardown timed out");
		_process.wait();
	}
	if (_output >= 0)
	{
		::close(_output);
		_output = -1;
	}
	if (_mounted)
	{
		if (::umount2((_directory + "/merged").c_str(), MNT_DETACH) != 0 && errno != EINVAL && errno != ENOENT)
			throw Poco::SystemException("unmount the overlay: " + std::string(std::strerror(errno)));
		_mounted = false;
	}
	if (!_directory.empty())
	{
		Poco::File(_directory).remove(true);
		_directory.clear();
	}
}


} } // namespace execd::isolation
