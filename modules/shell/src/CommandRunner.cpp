#include "CommandRunner.h"
#include "execd/OutputPump.h"
#include "execd/ApiException.h"
#include "execd/Paths.h"
#include "execd/RunUsage.h"
#include "execd/UserEnvironment.h"
#include "Poco/File.h"
#include "Poco/Path.h"
#include "Poco/UUIDGenerator.h"
#include <algorithm>
#include <optional>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <sys/eventfd.h>
#include <unistd.h>


namespace execd {
namespace shell {


namespace {


long long millisSince(std::chrono::steady_clock::time_point start)
{
	return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start).count();
}


ErrorDetail execError(const std::string& evalue, const std::string& text)
{
	return ErrorDetail{"CommandExecError", evalue, {text}, false};
}


} // namespace


std::string newCommandId()
{
	std::string id = Poco::UUIDGenerator::defaultGenerator().createRandom().toString();
	id.erase(std::remove(id.begin(), id.end(), '-'), id.end());
	return id;
}


CommandRunner::CommandRunner(const ShellSettings& settings):
	_settings(settings),
	_registry(settings.keepFinishedCommands, settings.keepFinishedFor)
{
	if (_settings.shell.empty()) _settings.shell = Paths::findShell();
	if (_settings.spoolDirectory.empty())
	{
		const char* tmp = std::getenv("TMPDIR");
		_settings.spoolDirectory = tmp && *tmp ? tmp : "/tmp";
	}
	_wakeFd = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	_watcher = std::thread([this] { watchLoop(); });
}


CommandRunner::~CommandRunner()
{
	shutdown();
	if (_wakeFd >= 0) ::close(_wakeFd);
}


CommandRegistry& CommandRunner::registry()
{
	return _registry;
}


const ShellSettings& CommandRunner::settings() const
{
	return _settings;
}


Subprocess::Options CommandRunner::spawnOptions(const CommandRequest& request, const ResourceGroup::Ptr& pGroup) const
{
	Subprocess::Options options;
	options.group = pGroup;
	options.argv = {_settings.shell, "-c", request.command};
	options.env = UserEnvironment::entries(request.envs);   // the EXECD_ENVS file read now
	options.cwd = request.cwd;
	if (request.stdinPipe) options.input = Subprocess::Input::PIPE;
	if (request.uid)
	{
		// As upstream: the primary group and supplementary groups of the uid's
		// account; an unknown uid gets group 0 and none. An explicit gid wins.
		options.uid = request.uid;
		gid_t primary = 0;
		struct passwd pw;
		struct passwd* pResult = nullptr;
		std::vector<char> buffer(16384);
		if (::getpwuid_r(*request.uid, &pw, buffer.data(), buffer.size(), &pResult) == 0 && pResult)
		{
			primary = pw.pw_gid;
			int count = 64;
			std::vector<gid_t> groups(static_cast<std::size_t>(count));
			if (::getgrouplist(pw.pw_name, primary, groups.data(), &count) < 0)
			{
				groups.resize(static_cast<std::size_t>(count));
				::getgrouplist(pw.pw_name, primary, groups.data(), &count);
			}
			groups.resize(static_cast<std::size_t>(std::max(count, 0)));
			options.groups = groups;
		}
		options.gid = request.gid ? *request.gid : primary;
	}
	return options;
}


std::shared_ptr<CommandInput> CommandRunner::takeInput(Subprocess& child)
{
	if (child.input() < 0) return nullptr;
	// The pipe's end moves to a CommandInput of its own: the requests that feed
	// it outlive neither the registry entry nor need the Subprocess.
	int fd = ::fcntl(child.input(), F_DUPFD_CLOEXEC, 3);
	child.closeInput();
	if (fd < 0) return nullptr;
	return std::make_shared<CommandInput>(fd);
}


void CommandRunner::runForeground(const CommandRequest& request, EventSink& client)
{
	const auto start = std::chrono::steady_clock::now();
	// Its own cgroup ("limits"), or a 400 before anything is registered; what the
	// command leaves running dies with the group when the command ends.
	ResourceGroup::Ptr pGroup = ResourceGroup::create(request.limits);
	const std::string id = newCommandId();
	CommandStatus status;
	status.id = id;
	status.content = request.command;
	status.running = true;
	status.tag = request.tag;
	_registry.add(status);
	// Followers (GET /command/{id}/events) get a copy of what the client gets.
	auto pTap = std::make_shared<CommandTap>(client);
	EventSink& sink = *pTap;

	Subprocess child;
	// Before the start: a small limit may be hit before the command's first event.
	const std::optional<std::uint64_t> oomKillsBefore = RunUsage::oomKills(pGroup.get());
	try
	{
		child.start(spawnOptions(request, pGroup));
	}
	catch (Poco::Exception& exc)
	{
		// As upstream: init, then the error with the reason as evalue (so SDKs
		// see no exit code); a command that never started is not registered.
		_registry.forget(id);
		sink.emit(StreamEvent::init(id));
		sink.emit(StreamEvent::failure(execError(exc.message(), exc.message())));
		return;
	}
	// Started before init goes out: an interrupt sent as soon as the client
	// has the id finds the process.
	_registry.started(id, child.pid(), takeInput(child), pTap);
	sink.emit(StreamEvent::init(id));
	_registry.announced(id);

	// The deadline is measured from the request, and a client that stops reading
	// cannot push it back: the send timeout of the connection bounds each write,
	// and once the client is gone the pump discards the output.
	OutputPump::Options options;
	options.readChunkBytes = _settings.readChunkBytes;
	if (request.timeout.count() > 0) options.deadline = start + request.timeout;
	// The flood policy (off by default): the stream gets a head and a tail, the
	// spool gets everything.
	std::unique_ptr<FloodGate> pGate;
	if (_settings.flood.enabled())
	{
		pGate = std::make_unique<FloodGate>(sink, _settings.flood);
		if (pGate->openSpill(_settings.spoolDirectory, id, FloodGate::SpillFrom::TEE)) options.teeFd = pGate->spillFd();
	}
	EventSink& out = pGate ? static_cast<EventSink&>(*pGate) : sink;
	OutputPump pump(child, out, options);
	pump.run();
	pump.finish();
	if (pGate) pGate->closeSpill(pump.teeFailed());

	int raw = child.wait();
	int exitCode = 0;
	std::string error = Subprocess::describeExit(raw, exitCode);
	RunOutcome outcome = RunUsage::fromWait(raw, child.usage(), oomKillsBefore, child.pid(), pGroup.get());
	const std::string stopReason = _registry.stopReason(id);
	if (!stopReason.empty())
		outcome.reason = stopReason;
	else if (pump.stopped() == OutputPump::Stop::DEADLINE)
		outcome.reason = "timeout";
	outcome.wallMillis = millisSince(start);
	outcome.outputBytes = pump.bytesRead();
	_registry.finished(id, exitCode, exitCode == 0 ? "" : error);
	pGroup.reset();   // what the command left running ends before its stream does
	StreamEvent last = exitCode == 0 ? StreamEvent::complete(millisSince(start)) : StreamEvent::failure(execError(std::to_string(exitCode), error));
	last.outcome = outcome;
	out.emit(last);
	pTap->end();
}


void CommandRunner::runBackground(const CommandRequest& request, EventSink& sink)
{
	const auto start = std::chrono::steady_clock::now();
	ResourceGroup::Ptr pGroup = ResourceGroup::create(request.limits);
	const std::string id = newCommandId();
	Poco::Path spool(_settings.spoolDirectory);
	spool.makeDirectory();
	spool.setFileName(id + ".output");
	CommandStatus status;
	status.id = id;
	status.content = request.command;
	status.running = true;
	status.background = true;
	status.outputPath = spool.toString();
	status.tag = request.tag;
	int fd = ::open(status.outputPath.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0644);
	if (fd < 0)
		throw ApiException::runtimeError("error running commands cannot create " + status.outputPath + ": " + std::strerror(errno));
	// Registered before init goes out, so /command/status never misses it.
	_registry.add(status);
	sink.emit(StreamEvent::init(id));
	Subprocess::Options options = spawnOptions(request, pGroup);
	options.output = Subprocess::Output::DESCRIPTOR;
	options.outputDescriptor = fd;
	try
	{
		Subprocess child(options);
		::close(fd);
		_registry.started(id, child.pid(), takeInput(child));
		Watched watched{std::move(child), id, start + request.timeout, request.timeout.count() > 0, false, pGroup};
		watch(std::move(watched));
	}
	catch (Poco::Exception& exc)
	{
		::close(fd);
		_registry.finished(id, 255, exc.message());
		throw ApiException::runtimeError("error running commands failed to start commands: " + exc.message());
	}
	sink.emit(StreamEvent::complete(millisSince(start)));
}


void CommandRunner::watch(Watched watched)
{
	{
		std::lock_guard<std::mutex> lock(_mutex);
		if (_stopping)
		{
			// Shutting down: nobody would watch it.
			watched.child.signalGroup(SIGKILL);
			int raw = watched.child.wait();
			int exitCode = 0;
			std::string error = Subprocess::describeExit(raw, exitCode);
			_registry.finished(watched.id, exitCode, error);
			return;
		}
		_watched.push_back(std::move(watched));
	}
	std::uint64_t one = 1;
	ssize_t ignored = ::write(_wakeFd, &one, sizeof(one));
	(void) ignored;
}


void CommandRunner::watchLoop()
{
	// One thread for every background command: waits on their exit descriptors,
	// reaps them as they exit, and enforces their timeouts.
	for (;;)
	{
		std::vector<struct pollfd> fds;
		int timeout = -1;
		{
			std::lock_guard<std::mutex> lock(_mutex);
			if (_stopping && _watched.empty()) return;
			auto now = std::chrono::steady_clock::now();
			fds.push_back({_wakeFd, POLLIN, 0});
			for (Watched& w: _watched)
			{
				fds.push_back({w.child.exitDescriptor(), POLLIN, 0});
				if (w.hasDeadline && !w.killed)
				{
					if (now >= w.deadline)
					{
						w.child.signalGroup(SIGKILL);
						w.killed = true;
					}
					else
					{
						int left = static_cast<int>(std::min<long long>(3600000, std::chrono::duration_cast<std::chrono::milliseconds>(w.deadline - now).count() + 1));
						timeout = timeout < 0 ? left : std::min(timeout, left);
					}
				}
			}
		}
		int rc = ::poll(fds.data(), static_cast<nfds_t>(fds.size()), timeout);
		if (rc <= 0) continue;
		if (fds[0].revents & POLLIN)
		{
			std::uint64_t value;
			ssize_t ignored = ::read(_wakeFd, &value, sizeof(value));
			(void) ignored;
		}
		std::vector<Watched> done;
		{
			std::lock_guard<std::mutex> lock(_mutex);
			for (std::size_t i = 1; i < fds.size(); ++i)
			{
				if (!(fds[i].revents & POLLIN)) continue;
				auto it = std::find_if(_watched.begin(), _watched.end(), [&](const Watched& w) { return w.child.exitDescriptor() == fds[i].fd; });
				if (it == _watched.end()) continue;
				done.push_back(std::move(*it));
				_watched.erase(it);
			}
		}
		for (Watched& w: done)
		{
			int raw = w.child.wait();
			int exitCode = 0;
			std::string error = Subprocess::describeExit(raw, exitCode);
			_registry.finished(w.id, exitCode, exitCode == 0 ? "" : error);
			w.group.reset();   // what it left running goes with it
		}
	}
}


bool CommandRunner::interrupt(const std::string& id)
{
	return _registry.interrupt(id, _settings.killGrace);
}


void CommandRunner::shutdown()
{
	{
		std::lock_guard<std::mutex> lock(_mutex);
		if (_stopping && !_watcher.joinable()) return;
		_stopping = true;
	}
	_registry.killAll();
	std::uint64_t one = 1;
	ssize_t ignored = ::write(_wakeFd, &one, sizeof(one));
	(void) ignored;
	if (_watcher.joinable()) _watcher.join();
}


ForegroundExecutor::ForegroundExecutor(CommandRunner& runner):
	_runner(runner)
{
}


void ForegroundExecutor::run(const ExecRequest& request, EventSink& sink)
{
	// POST /code without a language: the code is the command; no timeout, cwd or envs.
	CommandRequest::checkText(request.code, "the command");
	CommandRequest command;
	command.command = request.code;
	_runner.runForeground(command, sink);
}


bool ForegroundExecutor::interrupt(const std::string& id)
{
	return _runner.interrupt(id);
}


BackgroundExecutor::BackgroundExecutor(CommandRunner& runner):
	_runner(runner)
{
}


void BackgroundExecutor::run(const ExecRequest& request, EventSink& sink)
{
	CommandRequest::checkText(request.code, "the command");
	CommandRequest command;
	command.command = request.code;
	command.background = true;
	_runner.runBackground(command, sink);
}


} } // namespace execd::shell
