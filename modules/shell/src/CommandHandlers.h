#pragma once

#include "CommandRunner.h"
#include "execd/ExecutorRegistry.h"
#include "execd/JsonHandler.h"
#include "execd/Route.h"
#include "execd/StreamHandler.h"
#include "Poco/Types.h"
#include <ostream>
#include <vector>


namespace execd {
namespace shell {


std::vector<Route> commandRoutes(CommandRunner& runner, ExecutorRegistry& executors);
	/// POST /command, DELETE /command, GET /command/status/{id}, GET /command/{id}/logs.
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


} } // namespace execd::shell
