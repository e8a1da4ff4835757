#include "CommandHandlers.h"
#include "execd/Http.h"
#include "Poco/NumberParser.h"
#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
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


std::vector<Route> commandRoutes(CommandRunner& runner, ExecutorRegistry& executors)
{
	CommandRunner* r = &runner;
	ExecutorRegistry* e = &executors;
	return {
		{"POST", "/command", [r](const RouteMatch& m) { return std::make_unique<RunCommandHandler>(m, *r); }},
		{"DELETE", "/command", [e](const RouteMatch& m) { return std::make_unique<InterruptCommandHandler>(m, *e); }},
		{"GET", "/command/status/{id}", [r](const RouteMatch& m) { return std::make_unique<CommandStatusHandler>(m, *r); }},
		{"GET", "/command/{id}/logs", [r](const RouteMatch& m) { return std::make_unique<CommandLogsHandler>(m, *r); }},
	};
}


} } // namespace execd::shell
