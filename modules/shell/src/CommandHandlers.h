#pragma once

#include "CommandRunner.h"
#include "execd/ExecutorRegistry.h"
#include "execd/JsonHandler.h"
#include "execd/Route.h"
#include "execd/RunEventsHandler.h"
#include "execd/StreamHandler.h"
#include "Poco/Types.h"
#include <ostream>
#include <vector>


namespace execd {
namespace shell {


std::vector<Route> commandRoutes(CommandRunner& runner, ExecutorRegistry& executors);
	/// POST /command, DELETE /command, GET /command/status/{id}, GET /command/{id}/logs;
	/// execd's own POST and DELETE /command/{id}/stdin, POST /command/{id}/signal,
	/// GET /commands and GET /command/{id}/events.
	/// Every handler borrows runner and executors, which outlive the routes.


class RunCommandHandler: public StreamHandler
	/// POST /command: a foreground command streamed as events, or a background
	/// command started and announced.
{
public:
	RunCommandHandler(const RouteMatch& match, CommandRunner& runner);

protected:
	// execd::StreamHandler
	void stream(Poco::Net::HTTPServerRequest& request, SseWriter& sink) override;

private:
	CommandRunner& _runner;
};


class InterruptCommandHandler: public JsonHandler
	/// DELETE /command?id=: the same as DELETE /code?id=.
{
public:
	InterruptCommandHandler(const RouteMatch& match, ExecutorRegistry& executors);

protected:
	// execd::JsonHandler
	void handle(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response) override;

private:
	ExecutorRegistry& _executors;
};


class CommandStatusHandler: public JsonHandler
	/// GET /command/status/{id}: the command's status; an unknown id is a 404.
{
public:
	CommandStatusHandler(const RouteMatch& match, CommandRunner& runner);

protected:
	// execd::JsonHandler
	void handle(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response) override;

private:
	CommandRunner& _runner;
};


class CommandLogsHandler: public JsonHandler
	/// GET /command/{id}/logs?cursor=N: the combined output of a background command
	/// from byte offset N to its current end, streamed from the spool file. The
	/// EXECD-COMMANDS-TAIL-CURSOR header carries the cursor to ask for next.
	/// An unknown or foreground command, or a negative cursor, is a 400.
{
public:
	CommandLogsHandler(const RouteMatch& match, CommandRunner& runner);

protected:
	// execd::JsonHandler
	void handle(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response) override;

private:
	static void copyRange(int fd, Poco::Int64 start, Poco::Int64 end, std::ostream& out);

	CommandRunner& _runner;
};


class CommandStdinHandler: public JsonHandler
	/// POST /command/{id}/stdin: the raw body appended to the command's stdin,
	/// answered with {"bytes_written":N}. DELETE /command/{id}/stdin: EOF, an
	/// empty 200. A full pipe makes the request wait, at most ?timeout=ms
	/// (module.shell.stdinTimeoutMillis by default) at a time: 408 STDIN_TIMEOUT
	/// then, with what was written said in the message.
{
public:
	static constexpr Poco::Int64 MAX_TIMEOUT_MILLIS = 3600 * 1000;

	CommandStdinHandler(const RouteMatch& match, CommandRunner& runner);

protected:
	// execd::JsonHandler
	void handle(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response) override;

private:
	CommandRunner& _runner;
};


class CommandSignalHandler: public JsonHandler
	/// POST /command/{id}/signal {"signal":"SIGTERM"|"TERM"|15}: the signal to the
	/// command's process group, an empty 200. An unknown signal is a 400.
{
public:
	CommandSignalHandler(const RouteMatch& match, CommandRunner& runner);

	static int parseSignal(const Poco::Dynamic::Var& value);
		/// 1 to SIGRTMAX, by number or name (with or without "SIG", any case,
		/// "RTMIN+n"); throws ApiException 400 otherwise.

protected:
	// execd::JsonHandler
	void handle(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response) override;

private:
	CommandRunner& _runner;
};


class CommandListHandler: public JsonHandler
	/// GET /commands?state=running|exited&tag=&limit=&cursor=: the commands execd
	/// knows, oldest first, a page at a time: {"commands":[...],"next_cursor":"N"}
	/// (next_cursor only when more follow).
{
public:
	static constexpr std::size_t MAX_LIMIT = 1000;

	CommandListHandler(const RouteMatch& match, CommandRunner& runner);

protected:
	// execd::JsonHandler
	void handle(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response) override;

private:
	CommandRunner& _runner;
};


class CommandEventsHandler: public RunEventsHandler
	/// GET /command/{id}/events: a command's events as SSE, for a second client.
	/// A journalled (resumable) command is read from its start, as by GET
	/// /runs/{id}/events; a running foreground command from now on, with its own
	/// init event first; a background command's output file from now on, or
	/// from its start with ?from=start, as stdout events, then its final event.
	/// 404 COMMAND_NOT_FOUND; 409 COMMAND_NOT_RUNNING for a foreground command
	/// that has ended without a journal.
{
public:
	CommandEventsHandler(const RouteMatch& match, CommandRunner& runner);

protected:
	// execd::StreamHandler
	void stream(Poco::Net::HTTPServerRequest& request, SseWriter& sink) override;

private:
	void followTap(const std::string& id, SseWriter& sink);
	void followFile(const CommandStatus& status, bool fromStart, SseWriter& sink);

	CommandRunner& _runner;
};


} } // namespace execd::shell
