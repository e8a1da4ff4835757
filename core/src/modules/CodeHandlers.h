#pragma once

#include "execd/Executor.h"
#include "execd/ExecutorRegistry.h"
#include "execd/JsonHandler.h"
#include "execd/Route.h"
#include "execd/StreamHandler.h"
#include "Poco/Net/HTTPRequestHandler.h"
#include <vector>


namespace execd {


std::vector<Route> coreRoutes(ExecutorRegistry& executors);
	/// The routes the core serves itself: /ping, GET /runs/{id}/events and the /code dispatcher
	/// (POST /code, DELETE /code, POST /code/context, GET/DELETE /code/contexts,
	/// GET/DELETE /code/contexts/{contextId}). Executors are looked up per request,
	/// so a module loaded in any order serves its languages.


class PingHandler: public Poco::Net::HTTPRequestHandler
	/// GET /ping: 200 with an empty body.
{
public:
	// Poco::Net::HTTPRequestHandler
	void handleRequest(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response) override;
};


class RegistryHandler: public JsonHandler
	/// A JSON handler that works on the executor registry.
{
public:
	RegistryHandler(const RouteMatch& match, ExecutorRegistry& executors);
		/// The registry is borrowed; it outlives the handler.

protected:
	ExecutorRegistry& _executors;
};


class RunCodeHandler: public StreamHandler
	/// POST /code: runs code in a context, or a shell command when no language is given.
	/// An empty code is a 400; an unknown language, context or missing command
	/// executor is a 500 RUNTIME_ERROR, as are the executor's own failures
	/// ("error running codes <cause>").
{
public:
	RunCodeHandler(const RouteMatch& match, ExecutorRegistry& executors);
		/// The registry is borrowed; it outlives the handler.

protected:
	// execd::StreamHandler
	void stream(Poco::Net::HTTPServerRequest& request, SseWriter& sink) override;

private:
	Executor& executorFor(const ExecRequest& exec) const;

	ExecutorRegistry& _executors;
};


class InterruptHandler: public RegistryHandler
	/// DELETE /code?id=: interrupts a context, a command or a session.
{
public:
	using RegistryHandler::RegistryHandler;

protected:
	// execd::JsonHandler
	void handle(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response) override;
};


class CreateContextHandler: public RegistryHandler
	/// POST /code/context {"language","cwd"?} -> {"id","language","cwd"?}
{
public:
	using RegistryHandler::RegistryHandler;

protected:
	// execd::JsonHandler
	void handle(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response) override;
};


class ListContextsHandler: public RegistryHandler
	/// GET /code/contexts[?language=]: the contexts of one language, or of all.
{
public:
	using RegistryHandler::RegistryHandler;

protected:
	// execd::JsonHandler
	void handle(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response) override;
};


class DeleteContextsHandler: public RegistryHandler
	/// DELETE /code/contexts?language=: every context of one language (the query is required).
{
public:
	using RegistryHandler::RegistryHandler;

protected:
	// execd::JsonHandler
	void handle(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response) override;
};


class ContextHandler: public RegistryHandler
	/// GET and DELETE /code/contexts/{contextId}; an unknown id is a 404 CONTEXT_NOT_FOUND.
{
public:
	ContextHandler(const RouteMatch& match, ExecutorRegistry& executors, bool remove);
		/// remove: DELETE, else GET.

protected:
	// execd::JsonHandler
	void handle(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response) override;

private:
	bool _remove;
};


} // namespace execd
