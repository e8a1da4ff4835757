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
	std::lock_guard<std::mutex> lock(_stateMutex);
	return _directory;
}


SessionView IsolatedSession::view() const
{
	const SessionConfig& config = _request.config;
	std::lock_guard<std::mutex> lock(_stateMutex);
	const int root = _view >= 0 ? ::fcntl(_view, F_DUPFD_CLOEXEC, 0) : -1;
	if (root < 0) throw Poco::IllegalStateException("isolated session is not active");
	return SessionView(root, config.workspace, config.mode != SessionConfig::Workspace::RO,
		config.userns ? ::geteuid() : config.uid, config.userns ? ::getegid() : config.gid);
}


int IsolatedSession::workspaceDescriptor() const
{
	std::lock_guard<std::mutex> lock(_stateMutex);
	return _workspace >= 0 ? ::fcntl(_workspace, F_DUPFD_CLOEXEC, 0) : -1;
}


void IsolatedSession::start()
{
	SessionConfig config = _request.config;
	// The workspace as its path leads now, once: the file routes and commit use
	// this descriptor, never the path again.
	_workspace = ::open(config.workspace.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (_workspace < 0) throw Poco::SystemException("start bwrap: open the workspace " + config.workspace + ": " + std::string(std::strerror(errno)));
	if (config.mode == SessionConfig::Workspace::OVERLAY)
	{
		std::string hex = Poco::UUIDGenerator::defaultGenerator().createRandom().toString();
		hex.erase(std::remove(hex.begin(), hex.end(), '-'), hex.end());
		_directory = _paths.upperRoot + "/" + hex;
		for (const char* sub: {"/upper", "/work", "/merged"}) Poco::File(_directory + sub).createDirectories();
		// The overlay's root takes the upper directory's owner and mode: the
		// workspace's, or a session user the workspace lets write could not.
		struct stat st;
		if (::fstat(_workspace, &st) != 0
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
		_view = ::open(config.merged.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (_view < 0) throw Poco::SystemException("start bwrap: open the overlay: " + std::string(std::strerror(errno)));
	}
	else
	{
		_view = ::fcntl(_workspace, F_DUPFD_CLOEXEC, 0);
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
	::fcntl(_process.input(), F_SETFL, ::fcntl(_process.input(), F_GETFL) | O_NONBLOCK);
}


bool IsolatedSession::alive() const
{
	std::lock_guard<std::mutex> lock(_stateMutex);
	if (_ended || !_process.running()) return false;
	pollfd p{_process.exitDescriptor(), POLLIN, 0};
	return ::poll(&p, 1, 0) == 0;
}


pid_t IsolatedSession::shellPid()
{
	// bwrap (ours) -> bwrap's init, pid 1 of the new pid namespace -> the shell
	// (setpriv executes it in its own place). Found at the first run, when the
	// shell is init's only child: later orphans of the session's own background
	// jobs are init's children too.
	if (_shell > 0) return _shell;
	pid_t pid = _process.pid();
	for (int depth = 0; depth < 2; ++depth)
	{
		std::vector<Process::Identity> children = Process::childIdentities(pid);
		if (children.size() != 1) return -1;
		pid = children[0].pid;
	}
	_shell = pid;
	return _shell;
}


void IsolatedSession::stopJob()
{
	const pid_t shell = shellPid();
	if (shell <= 0) return;   // not found: nothing is stopped rather than the shell
	for (pid_t pid: Process::descendants(shell)) ::kill(pid, SIGINT);
	std::this_thread::sleep_for(std::chrono::milliseconds(200));
	for (pid_t pid: Process::freezeDescendants(shell, {})) ::kill(pid, SIGKILL);
}


IsolatedSession::Outcome IsolatedSession::run(const std::string& code, const std::vector<std::pair<std::string, std::string>>& envs,
	std::chrono::milliseconds timeout, const std::function<bool(const std::string&)>& onLine, int client)
{
	std::lock_guard<std::timed_mutex> lock(_runMutex);
	Outcome outcome;
	if (!alive())
	{
		outcome.error = "isolated session is not active: session process has exited";
		return outcome;
	}
	shellPid();   // found before the code can start background jobs
	RunScript script("__ISOLATED_RUN_END___" + Poco::UUIDGenerator::defaultGenerator().createRandom().toString());
	// The code goes in while its output is read: a long script whose first lines
	// print much would otherwise fill the output pipe while we wait for the input
	// pipe (stdin is non-blocking).
	std::string input = script.input(code, envs);
	std::size_t written = 0;
	const auto now = [] { return std::chrono::steady_clock::now(); };
	const auto deadline = now() + timeout;
	std::chrono::steady_clock::time_point markerDeadline{};   // once stopped
	bool stopped = false;
	auto stopRun = [&](const std::string& why)
	{
		if (stopped) return;
		stopJob();
		stopped = true;
		if (outcome.error.empty()) outcome.error = why;
		markerDeadline = now() + STOP_GRACE;
		if (written < input.size())
		{
			// The rest of the code is not run; the marker is still needed.
			input = input.substr(0, written) + (envs.empty() ? "\n" : "\n)\n") + input.substr(input.rfind("echo __ISOLATED_RUN_END___"));
		}
	};
	char buffer[65536];
	std::vector<std::string> lines;
	for (;;)
	{
		int wait = -1;
		const auto until = stopped ? markerDeadline : (timeout.count() > 0 ? deadline : std::chrono::steady_clock::time_point{});
		if (until != std::chrono::steady_clock::time_point{})
		{
			const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - now()).count();
			if (left <= 0)
			{
				if (!stopped)
				{
					stopRun("context deadline exceeded");
					continue;
				}
				// The shell did not come back (it reads the code's own input, or
				// sits inside an unfinished statement): the session ends.
				std::lock_guard<std::mutex> state(_stateMutex);
				if (_process.running()) _process.signalGroup(SIGKILL);
				_ended = true;
				return outcome;
			}
			wait = static_cast<int>(left);
		}
		// The client's socket too: one that closes its connection during a silent
		// run is noticed at once, not at the run's next line.
		pollfd p[3] = {{_output, POLLIN, 0}, {stopped ? -1 : client, POLLRDHUP, 0},
			{written < input.size() ? _process.input() : -1, POLLOUT, 0}};
		if (::poll(p, 3, wait) < 0 && errno != EINTR) throw Poco::IOException("poll", errno);
		if (p[1].revents & (POLLRDHUP | POLLHUP | POLLERR))
		{
			stopRun("client disconnected");
			continue;
		}
		if (p[2].revents & (POLLOUT | POLLERR | POLLHUP))
		{
			ssize_t n = ::write(_process.input(), input.data() + written, input.size() - written);
			if (n > 0) written += static_cast<std::size_t>(n);
			else if (n < 0 && errno != EAGAIN && errno != EINTR)
			{
				// EPIPE: the shell is gone; what it printed is still read below.
				written = input.size();
				if (outcome.error.empty()) outcome.error = "isolated session is not active: session process has exited";
			}
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
			stopRun("read stdout: bufio.Scanner: token too long");
		}
		for (const std::string& l: lines)
		{
			if (!stopped && !onLine(l)) stopRun("client disconnected");
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
	// Killed first: a run under way then sees the end of its output and returns,
	// and only then are its descriptors closed.
	{
		std::lock_guard<std::mutex> lock(_stateMutex);
		if (_process.running()) _process.signalGroup(SIGKILL);
	}
	std::unique_lock<std::timed_mutex> run(_runMutex, std::defer_lock);
	if (!run.try_lock_for(std::chrono::seconds(5))) throw Poco::TimeoutException("stop session process: a run did not end");
	std::lock_guard<std::mutex> lock(_stateMutex);
	if (_process.running())
	{
		pollfd p{_process.exitDescriptor(), POLLIN, 0};
		if (::poll(&p, 1, 5000) == 0) throw Poco::TimeoutException("stop session process: isolated session teardown timed out");
		_process.wait();
	}
	for (int* fd: {&_output, &_view, &_workspace})
	{
		if (*fd >= 0) ::close(*fd);
		*fd = -1;
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
