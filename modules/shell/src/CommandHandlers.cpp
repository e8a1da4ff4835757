#include "CommandHandlers.h"
#include "execd/Descriptor.h"
#include "execd/Http.h"
#include "execd/OutputSplitter.h"
#include "execd/RunTable.h"
#include "execd/SseWriter.h"
#include "Poco/NumberParser.h"
#include "Poco/String.h"
#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <poll.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>


namespace execd {
namespace shell {


RunCommandHandler::RunCommandHandler(const RouteMatch& match, CommandRunner& runner):
	StreamHandler(match),
	_runner(runner)
{
}


void RunCommandHandler::stream(Poco::Net::HTTPServerRequest& request, SseWriter& sink)
{
	JsonBody body = JsonBody::read(request, "error parsing request, MAYBE invalid body format. ");
	CommandRequest command = CommandRequest::fromJson(body);
	if (command.background)
		_runner.runBackground(command, sink);
	else
		_runner.runForeground(command, sink);
}


InterruptCommandHandler::InterruptCommandHandler(const RouteMatch& match, ExecutorRegistry& executors):
	JsonHandler(match),
	_executors(executors)
{
}


void InterruptCommandHandler::handle(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response)
{
	QueryParams query(request);
	_executors.interruptOrThrow(query.get("id", ""));
	Http::sendEmpty(response);
}


CommandStatusHandler::CommandStatusHandler(const RouteMatch& match, CommandRunner& runner):
	JsonHandler(match),
	_runner(runner)
{
}


void CommandStatusHandler::handle(Poco::Net::HTTPServerRequest&, Poco::Net::HTTPServerResponse& response)
{
	const std::string& id = match().param("id");
	auto status = _runner.registry().find(id);
	if (!status)
		throw ApiException::notFound(ErrorCode::INVALID_REQUEST_BODY, "command not found: " + id);
	Http::sendJson(response, status->toJson());
}


CommandLogsHandler::CommandLogsHandler(const RouteMatch& match, CommandRunner& runner):
	JsonHandler(match),
	_runner(runner)
{
}


void CommandLogsHandler::handle(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response)
{
	const std::string& id = match().param("id");
	auto status = _runner.registry().find(id);
	if (!status)
		throw ApiException::badRequest("command not found: " + id);
	if (!status->background)
		throw ApiException::badRequest("command " + id + " is not running in background");
	QueryParams query(request);
	Poco::Int64 cursor = 0;
	std::string raw = query.get("cursor", "");
	if (!raw.empty() && Poco::NumberParser::tryParse64(raw, cursor) && cursor < 0)
		throw ApiException::badRequest("invalid cursor " + raw + ": negative offset");
	if (cursor < 0) cursor = 0;

	int fd = ::open(status->outputPath.c_str(), O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		throw ApiException::runtimeError("cannot read the output of " + id + ": " + std::strerror(errno));
	struct stat st;
	::fstat(fd, &st);
	Poco::Int64 end = static_cast<Poco::Int64>(st.st_size);
	Poco::Int64 start = std::min(cursor, end);
	// The cursor is a byte offset: past the end, the answer is empty and the
	// header repeats the cursor.
	Poco::Int64 next = cursor > end ? cursor : end;
	response.set("EXECD-COMMANDS-TAIL-CURSOR", std::to_string(next));
	response.setContentType("text/plain; charset=utf-8");
	response.setContentLength64(end - start);
	copyRange(fd, start, end, response.send());
	::close(fd);
}


void CommandLogsHandler::copyRange(int fd, Poco::Int64 start, Poco::Int64 end, std::ostream& out)
{
	char buffer[65536];
	Poco::Int64 offset = start;
	while (offset < end && out)
	{
		ssize_t n = ::pread(fd, buffer, static_cast<std::size_t>(std::min<Poco::Int64>(sizeof(buffer), end - offset)), offset);
		if (n <= 0) break;
		out.write(buffer, n);
		offset += n;
	}
}


CommandStdinHandler::CommandStdinHandler(const RouteMatch& match, CommandRunner& runner):
	JsonHandler(match),
	_runner(runner)
{
}


void CommandStdinHandler::handle(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response)
{
	const std::string& id = match().param("id");
	if (request.getMethod() == "DELETE")
	{
		_runner.registry().closeInput(id);
		Http::sendEmpty(response);
		return;
	}
	QueryParams query(request);
	std::chrono::milliseconds stall = _runner.settings().stdinStall;
	if (auto raw = query.get("timeout"))
	{
		Poco::Int64 millis = 0;
		if (!Poco::NumberParser::tryParse64(*raw, millis) || millis < 1 || millis > MAX_TIMEOUT_MILLIS)
			throw ApiException::badRequest("invalid timeout '" + *raw + "': expected milliseconds from 1 to " + std::to_string(MAX_TIMEOUT_MILLIS));
		stall = std::chrono::milliseconds(millis);
	}
	std::shared_ptr<CommandInput> pInput = _runner.registry().input(id);
	CommandInput::Fed fed = pInput->feed(request.stream(), stall);
	const std::string written = std::to_string(fed.bytes) + " bytes written";
	if (fed.status != CommandInput::Status::WRITTEN)
	{
		// The rest of the body is not read: the connection cannot carry another request.
		response.setKeepAlive(false);
	}
	switch (fed.status)
	{
	case CommandInput::Status::WRITTEN:
		Http::sendJson(response, "{\"bytes_written\":" + std::to_string(fed.bytes) + "}");
		return;
	case CommandInput::Status::CLOSED:
		throw ApiException(409, ErrorCode::STDIN_NOT_OPEN, "the stdin of command " + id + " is closed (" + written + ")");
	case CommandInput::Status::BROKEN:
		throw ApiException(409, ErrorCode::COMMAND_NOT_RUNNING, "command " + id + " no longer reads its stdin (" + written + ")");
	case CommandInput::Status::TIMEOUT:
		throw ApiException(408, ErrorCode::STDIN_TIMEOUT, "the stdin of command " + id + " accepted nothing for "
			+ std::to_string(stall.count()) + " ms (" + written + ")");
	case CommandInput::Status::BODY_ERROR:
		break;
	}
	throw ApiException::badRequest("the request body ended early (" + written + ")");
}


CommandSignalHandler::CommandSignalHandler(const RouteMatch& match, CommandRunner& runner):
	JsonHandler(match),
	_runner(runner)
{
}


int CommandSignalHandler::parseSignal(const Poco::Dynamic::Var& value)
{
	static const std::pair<const char*, int> NAMES[] = {
		{"HUP", SIGHUP}, {"INT", SIGINT}, {"QUIT", SIGQUIT}, {"ILL", SIGILL}, {"TRAP", SIGTRAP},
		{"ABRT", SIGABRT}, {"IOT", SIGIOT}, {"BUS", SIGBUS}, {"FPE", SIGFPE}, {"KILL", SIGKILL},
		{"USR1", SIGUSR1}, {"SEGV", SIGSEGV}, {"USR2", SIGUSR2}, {"PIPE", SIGPIPE}, {"ALRM", SIGALRM},
		{"TERM", SIGTERM}, {"STKFLT", SIGSTKFLT}, {"CHLD", SIGCHLD}, {"CONT", SIGCONT}, {"STOP", SIGSTOP},
		{"TSTP", SIGTSTP}, {"TTIN", SIGTTIN}, {"TTOU", SIGTTOU}, {"URG", SIGURG}, {"XCPU", SIGXCPU},
		{"XFSZ", SIGXFSZ}, {"VTALRM", SIGVTALRM}, {"PROF", SIGPROF}, {"WINCH", SIGWINCH}, {"IO", SIGIO},
		{"POLL", SIGPOLL}, {"PWR", SIGPWR}, {"SYS", SIGSYS}};
	const std::string expected = "invalid signal: expected a number from 1 to " + std::to_string(SIGRTMAX)
		+ " or a name such as \"SIGTERM\"";
	if (value.isEmpty())
		throw ApiException::badRequest("missing \"signal\": expected a number from 1 to " + std::to_string(SIGRTMAX) + " or a name such as \"SIGTERM\"");
	if (value.isBoolean()) throw ApiException::badRequest(expected);
	if (value.isInteger())
	{
		Poco::Int64 n = 0;
		try
		{
			n = value.convert<Poco::Int64>();
		}
		catch (Poco::RangeException&)
		{
			throw ApiException::badRequest(expected);
		}
		if (n < 1 || n > SIGRTMAX) throw ApiException::badRequest(expected);
		return static_cast<int>(n);
	}
	if (!value.isString()) throw ApiException::badRequest(expected);
	std::string name = Poco::toUpper(value.extract<std::string>());
	if (name.size() > 32) throw ApiException::badRequest(expected);
	if (name.compare(0, 3, "SIG") == 0) name.erase(0, 3);
	for (const auto& entry: NAMES)
	{
		if (name == entry.first) return entry.second;
	}
	// RTMIN, RTMIN+n, RTMAX, RTMAX-n
	for (const char* base: {"RTMIN", "RTMAX"})
	{
		const std::size_t length = std::strlen(base);
		if (name.compare(0, length, base) != 0) continue;
		const bool fromMin = base[2] == 'M' && base[3] == 'I';
		int n = fromMin ? SIGRTMIN : SIGRTMAX;
		std::string rest = name.substr(length);
		if (!rest.empty())
		{
			int offset = 0;
			if (rest.size() < 2 || rest[0] != (fromMin ? '+' : '-') || !Poco::NumberParser::tryParse(rest.substr(1), offset) || offset < 0)
				throw ApiException::badRequest(expected);
			n = fromMin ? n + offset : n - offset;
		}
		if (n < SIGRTMIN || n > SIGRTMAX) throw ApiException::badRequest(expected);
		return n;
	}
	// A number in a string: "15".
	int n = 0;
	if (!name.empty() && name.find_first_not_of("0123456789") == std::string::npos && Poco::NumberParser::tryParse(name, n) && n >= 1 && n <= SIGRTMAX)
		return n;
	throw ApiException::badRequest(expected);
}


void CommandSignalHandler::handle(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response)
{
	JsonBody body = JsonBody::read(request, "error parsing request, MAYBE invalid body format. ");
	int sig = parseSignal(body.object()->get("signal"));
	_runner.registry().signal(match().param("id"), sig);
	Http::sendEmpty(response);
}


CommandListHandler::CommandListHandler(const RouteMatch& match, CommandRunner& runner):
	JsonHandler(match),
	_runner(runner)
{
}


void CommandListHandler::handle(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response)
{
	QueryParams query(request);
	CommandFilter filter;
	const std::string state = query.get("state", "");
	if (state == "running")
		filter.running = true;
	else if (state == "exited")
		filter.running = false;
	else if (!state.empty() && state != "all")
		throw ApiException::badRequest("invalid state '" + state + "': expected running, exited or all");
	filter.tag = query.get("tag", "");
	if (auto raw = query.get("limit"))
	{
		int limit = 0;
		if (!Poco::NumberParser::tryParse(*raw, limit) || limit < 1 || limit > static_cast<int>(MAX_LIMIT))
			throw ApiException::badRequest("invalid limit '" + *raw + "': expected 1 to " + std::to_string(MAX_LIMIT));
		filter.limit = static_cast<std::size_t>(limit);
	}
	if (auto raw = query.get("cursor"))
	{
		Poco::UInt64 after = 0;
		if (raw->empty() || raw->find_first_not_of("0123456789") != std::string::npos || !Poco::NumberParser::tryParseUnsigned64(*raw, after))
			throw ApiException::badRequest("invalid cursor '" + *raw + "': expected the next_cursor of an earlier page");
		filter.after = after;
	}
	CommandPage page = _runner.registry().list(filter);
	std::string out = "{\"commands\":[";
	for (std::size_t i = 0; i < page.commands.size(); ++i)
	{
		if (i > 0) out += ',';
		out += page.commands[i].toListJson();
	}
	out += ']';
	if (page.next > 0) out += ",\"next_cursor\":\"" + std::to_string(page.next) + "\"";
	out += '}';
	Http::sendJson(response, out);
}


CommandEventsHandler::CommandEventsHandler(const RouteMatch& match, CommandRunner& runner):
	RunEventsHandler(match),
	_runner(runner)
{
}


void CommandEventsHandler::stream(Poco::Net::HTTPServerRequest& request, SseWriter& sink)
{
	const std::string& id = match().param("id");
	// A foreground command between its start and its init event: whether it is
	// journalled is known a moment later.
	auto status = _runner.registry().findAnnounced(id, std::chrono::seconds(1));
	if (RunTable::instance().find(id))
	{
		// Journalled: from the start (or Last-Event-ID), then live.
		RunEventsHandler::stream(request, sink);
		return;
	}
	if (!status)
		throw ApiException::notFound(ErrorCode::COMMAND_NOT_FOUND, "command not found: " + id);
	QueryParams query(request);
	const std::string from = query.get("from", "now");
	if (from != "now" && from != "start")
		throw ApiException::badRequest("invalid from '" + from + "': expected now or start");
	if (status->background)
		followFile(*status, from == "start", sink);
	else if (from == "start")
		throw ApiException(409, ErrorCode::NOT_SUPPORTED, "command " + id + " was not journalled: only from=now can be followed (ask for X-Execd-Resumable: 1 when starting it)");
	else
		followTap(id, sink);
}


void CommandEventsHandler::followTap(const std::string& id, SseWriter& sink)
{
	std::shared_ptr<CommandTap> pTap;
	std::shared_ptr<CommandTap::Follower> pFollower = _runner.registry().follow(id, pTap);
	if (!pFollower)
		throw ApiException(409, ErrorCode::COMMAND_NOT_RUNNING, "command " + id + " is not running");
	struct Detach
	{
		CommandTap& tap;
		std::shared_ptr<CommandTap::Follower>& pFollower;
		~Detach() { tap.detach(pFollower); }
	} detach{*pTap, pFollower};

	sink.emit(StreamEvent::init(id));
	for (;;)
	{
		CommandTap::Follower::Next next = pFollower->next(std::chrono::seconds(1));
		if (next.dropped > 0 && !sink.replay(RunJournal::Entry{0, truncatedEvent(next.dropped), false}, false)) return;
		if (!next.events.empty()) sink.emitAll(next.events);
		if (next.ended || !sink.isOpen()) return;
	}
}


void CommandEventsHandler::followFile(const CommandStatus& status, bool fromStart, SseWriter& sink)
{
	int fd = ::open(status.outputPath.c_str(), O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		throw ApiException::runtimeError("cannot read the output of " + status.id + ": " + std::strerror(errno));
	Descriptor file(fd), watch(::inotify_init1(IN_CLOEXEC | IN_NONBLOCK));
	if (watch.get() >= 0) ::inotify_add_watch(watch.get(), status.outputPath.c_str(), IN_MODIFY | IN_CLOSE_WRITE);
	off_t offset = 0;
	if (!fromStart)
	{
		struct stat st;
		if (::fstat(fd, &st) == 0) offset = st.st_size;
	}
	sink.emit(StreamEvent::init(status.id));
	std::vector<char> buffer(64 * 1024);
	// One event a line, as the command's own stream would have had them.
	OutputSplitter splitter;
	std::vector<std::string> lines;
	auto emitLines = [&sink, &lines] {
		for (const std::string& line: lines) sink.emit(StreamEvent::stdoutText(line));
		lines.clear();
	};
	for (;;)
	{
		// Whether it ended is asked before reading: what it wrote before is read then.
		const bool ended = _runner.registry().waitFinished(status.id, std::chrono::milliseconds(0));
		for (;;)
		{
			ssize_t n = ::pread(fd, buffer.data(), buffer.size(), offset);
			if (n <= 0) break;
			offset += n;
			splitter.feed(buffer.data(), static_cast<std::size_t>(n), lines);
			emitLines();
			if (!sink.isOpen()) return;
		}
		if (ended)
		{
			splitter.finish(lines);
			emitLines();
			auto last = _runner.registry().find(status.id);
			if (!last || !last->exitCode || *last->exitCode == 0)
			{
				Poco::Int64 millis = last && last->finishedAt ? (*last->finishedAt - last->startedAt) / 1000 : 0;
				sink.emit(StreamEvent::complete(millis));
			}
			else
			{
				sink.emit(StreamEvent::failure(ErrorDetail{"CommandExecError", std::to_string(*last->exitCode), {last->error}, false}));
			}
			return;
		}
		if (!sink.isOpen()) return;
		// New output wakes this at once; the end is seen within 200 ms.
		struct pollfd pfd{watch.get(), POLLIN, 0};
		if (watch.get() >= 0 && ::poll(&pfd, 1, 200) > 0)
		{
			char events[4096];
			while (::read(watch.get(), events, sizeof(events)) > 0) { }
		}
		else if (watch.get() < 0)
		{
			_runner.registry().waitFinished(status.id, std::chrono::milliseconds(200));
		}
	}
}


std::vector<Route> commandRoutes(CommandRunner& runner, ExecutorRegistry& executors)
{
	CommandRunner* r = &runner;
	ExecutorRegistry* e = &executors;
	return {
		{"POST", "/command", [r](const RouteMatch& m) { return std::make_unique<RunCommandHandler>(m, *r); }},
		{"DELETE", "/command", [e](const RouteMatch& m) { return std::make_unique<InterruptCommandHandler>(m, *e); }},
		{"GET", "/command/status/{id}", [r](const RouteMatch& m) { return std::make_unique<CommandStatusHandler>(m, *r); }},
		{"GET", "/command/{id}/logs", [r](const RouteMatch& m) { return std::make_unique<CommandLogsHandler>(m, *r); }},
		{"POST", "/command/{id}/stdin", [r](const RouteMatch& m) { return std::make_unique<CommandStdinHandler>(m, *r); }},
		{"DELETE", "/command/{id}/stdin", [r](const RouteMatch& m) { return std::make_unique<CommandStdinHandler>(m, *r); }},
		{"POST", "/command/{id}/signal", [r](const RouteMatch& m) { return std::make_unique<CommandSignalHandler>(m, *r); }},
		{"GET", "/command/{id}/events", [r](const RouteMatch& m) { return std::make_unique<CommandEventsHandler>(m, *r); }},
		{"GET", "/commands", [r](const RouteMatch& m) { return std::make_unique<CommandListHandler>(m, *r); }},
	};
}


} } // namespace execd::shell
