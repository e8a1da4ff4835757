#include "modules/CodeHandlers.h"
#include "modules/CodeRunSink.h"
#include "execd/RunEventsHandler.h"
#include "execd/FloodGate.h"
#include "execd/Http.h"
#include "execd/RunTable.h"
#include "Poco/JSON/Array.h"
#include "Poco/UUIDGenerator.h"


namespace execd {


namespace {


const std::string PARSE_PREFIX = "error parsing request, MAYBE invalid body format. ";


bool isCommandMode(const std::string& language)
{
	return language == "command" || language == "background-command" || language == "sql";
}


std::string messageOf(const std::exception& exc)
{
	auto pPoco = dynamic_cast<const Poco::Exception*>(&exc);
	return pPoco ? pPoco->message() : std::string(exc.what());
}


template <class Function>
auto prefixed(const std::string& prefix, Function&& function) -> decltype(function())
	/// Runs function; an executor's failure reaches the client as upstream words
	/// it: 500 RUNTIME_ERROR "<prefix><cause>". ApiExceptions pass unchanged.
{
	try
	{
		return function();
	}
	catch (ApiException&)
	{
		throw;
	}
	catch (std::exception& exc)
	{
		throw ApiException::runtimeError(prefix + messageOf(exc));
	}
}


Poco::JSON::Object::Ptr contextJson(const ContextInfo& info)
{
	Poco::JSON::Object::Ptr pObject = new Poco::JSON::Object;
	pObject->set("id", info.id);
	pObject->set("language", info.language);
	if (!info.cwd.empty()) pObject->set("cwd", info.cwd);
	return pObject;
}


} // namespace


void PingHandler::handleRequest(Poco::Net::HTTPServerRequest&, Poco::Net::HTTPServerResponse& response)
{
	Http::sendEmpty(response);
}


RegistryHandler::RegistryHandler(const RouteMatch& match, ExecutorRegistry& executors):
	JsonHandler(match),
	_executors(executors)
{
}


RunCodeHandler::RunCodeHandler(const RouteMatch& match, ExecutorRegistry& executors):
	StreamHandler(match),
	_executors(executors)
{
}


void RunCodeHandler::stream(Poco::Net::HTTPServerRequest& request, SseWriter& sink)
{
	JsonBody body = JsonBody::read(request, PARSE_PREFIX);
	ExecRequest exec;
	exec.body = body.object();
	exec.code = body.getString("code").value_or("");
	if (auto context = body.getObject("context"))
	{
		exec.contextId = context->getString("id").value_or("");
		exec.language = context->getString("language").value_or("");
	}
	if (exec.code.empty())
	{
		throw ApiException::badRequest("invalid request, validation error Key: 'RunCodeRequest.Code' "
			"Error:Field validation for 'Code' failed on the 'required' tag");
	}
	Executor& executor = executorFor(exec);
	if (&executor == _executors.find(ExecutorKey::COMMAND, exec.language.empty() ? "command" : exec.language))
	{
		// A shell command: its runner measures it and has its own flood policy.
		prefixed("error running codes ", [&] { executor.run(exec, sink); });
		return;
	}
	// Code: execd's flood policy (off by default) between the executor and the
	// stream, all of the output in a spill file; the outcome completed for a
	// client that reads it.
	const FloodGate::Limits flood = RunTable::instance().settings().flood;
	std::unique_ptr<FloodGate> pGate;
	if (flood.enabled())
	{
		pGate = std::make_unique<FloodGate>(sink, flood);
		pGate->openSpill(RunTable::instance().settings().spillDirectory,
			"code-" + Poco::UUIDGenerator::defaultGenerator().createRandom().toString(),
			executor.emitsLines() ? FloodGate::SpillFrom::EVENT_LINES : FloodGate::SpillFrom::EVENT_TEXT);
	}
	EventSink& gated = pGate ? static_cast<EventSink&>(*pGate) : sink;
	std::unique_ptr<CodeRunSink> pMeter;
	if (sink.wantsOutcome()) pMeter = std::make_unique<CodeRunSink>(gated);
	EventSink& out = pMeter ? static_cast<EventSink&>(*pMeter) : gated;
	try
	{
		prefixed("error running codes ", [&] { executor.run(exec, out); });
	}
	catch (...)
	{
		if (pGate) pGate->finish();
		throw;
	}
}


Executor& RunCodeHandler::executorFor(const ExecRequest& exec) const
{
	if (exec.language.empty() || exec.language == "command" || exec.language == "background-command")
	{
		Executor* pExecutor = _executors.find(ExecutorKey::COMMAND, exec.language.empty() ? "command" : exec.language);
		if (!pExecutor)
			throw ApiException::runtimeError("error running codes no executor is loaded for " + (exec.language.empty() ? std::string("command") : exec.language));
		return *pExecutor;
	}
	CodeExecutor* pCode = _executors.findCode(exec.language);
	if (!pCode)
		throw ApiException::runtimeError("error running codes unknown language: " + exec.language);
	if (!exec.contextId.empty())
	{
		auto context = pCode->findContext(exec.contextId);
		if (!context || context->language != exec.language)
			throw ApiException::runtimeError("error running codes context not found");
	}
	return *pCode;
}


void InterruptHandler::handle(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response)
{
	QueryParams query(request);
	const std::string id = query.get("id", "");
	// Marked first, so that a run the interrupt ends at once is seen as interrupted.
	CodeRunSink::markInterrupted(id, true);
	try
	{
		_executors.interruptOrThrow(id);
	}
	catch (...)
	{
		CodeRunSink::markInterrupted(id, false);
		throw;
	}
	Http::sendEmpty(response);
}


void CreateContextHandler::handle(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response)
{
	JsonBody body = JsonBody::read(request, PARSE_PREFIX);
	std::string language = body.getString("language").value_or("");
	std::string cwd = body.getString("cwd").value_or("");
	if (language.empty())
		throw ApiException::runtimeError("error creating code context. language is required");
	if (isCommandMode(language))
		throw ApiException::runtimeError("error creating code context. unsupported language context operation: " + language);
	CodeExecutor* pCode = _executors.findCode(language);
	if (!pCode)
		throw ApiException::runtimeError("error creating code context. unknown language: " + language);
	// The group is the context's from here on, and goes with it.
	ResourceGroup::Ptr pGroup = ResourceGroup::create(ResourceLimits::fromJson(body, "error creating code context. "));
	ContextInfo info = prefixed("error creating code context. ", [&] {
		return pGroup ? pCode->createLimitedContext(language, cwd, pGroup) : pCode->createContext(language, cwd);
	});
	if (info.language.empty()) info.language = language;
	if (info.cwd.empty()) info.cwd = cwd;
	Http::sendJson(response, Poco::Dynamic::Var(contextJson(info)));
}


void ListContextsHandler::handle(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response)
{
	QueryParams query(request);
	std::string language = query.get("language", "");
	if (isCommandMode(language))
		throw ApiException::runtimeError("unsupported language context operation: " + language);
	Poco::JSON::Array::Ptr pList = new Poco::JSON::Array;
	std::vector<CodeExecutor*> executors;
	if (language.empty())
		executors = _executors.codeExecutors();
	else if (CodeExecutor* p = _executors.findCode(language))
		executors.push_back(p);
	for (CodeExecutor* p: executors)
	{
		for (const ContextInfo& info: p->listContexts())
		{
			if (language.empty() || info.language == language)
				pList->add(contextJson(info));
		}
	}
	Http::sendJson(response, Poco::Dynamic::Var(pList));
}


void DeleteContextsHandler::handle(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response)
{
	QueryParams query(request);
	std::string language = query.get("language", "");
	if (language.empty()) throw ApiException::missingQuery("language");
	if (isCommandMode(language))
		throw ApiException::runtimeError("unsupported language context operation: " + language);
	if (CodeExecutor* p = _executors.findCode(language))
	{
		for (const ContextInfo& info: p->listContexts())
		{
			if (info.language != language) continue;
			prefixed("error deleting code context " + language + ". error deleting context " + info.id + ": ",
				[&] { return p->deleteContext(info.id); });
		}
	}
	Http::sendEmpty(response);
}


ContextHandler::ContextHandler(const RouteMatch& match, ExecutorRegistry& executors, bool remove):
	RegistryHandler(match, executors),
	_remove(remove)
{
}


void ContextHandler::handle(Poco::Net::HTTPServerRequest&, Poco::Net::HTTPServerResponse& response)
{
	const std::string& id = match().param("contextId");
	for (CodeExecutor* p: _executors.codeExecutors())
	{
		auto info = p->findContext(id);
		if (!info) continue;
		if (!_remove)
		{
			Http::sendJson(response, Poco::Dynamic::Var(contextJson(*info)));
			return;
		}
		if (prefixed("error deleting code context " + id + ". ", [&] { return p->deleteContext(id); }))
		{
			Http::sendEmpty(response);
			return;
		}
	}
	throw ApiException::notFound(ErrorCode::CONTEXT_NOT_FOUND, "context " + id + " not found");
}


std::vector<Route> coreRoutes(ExecutorRegistry& executors)
{
	ExecutorRegistry* p = &executors;
	return {
		{"GET", "/ping", [](const RouteMatch&) { return std::make_unique<PingHandler>(); }},
		{"GET", "/runs/{id}/events", [](const RouteMatch& m) { return std::make_unique<RunEventsHandler>(m); }},
		{"POST", "/code", [p](const RouteMatch& m) { return std::make_unique<RunCodeHandler>(m, *p); }},
		{"DELETE", "/code", [p](const RouteMatch& m) { return std::make_unique<InterruptHandler>(m, *p); }},
		{"POST", "/code/context", [p](const RouteMatch& m) { return std::make_unique<CreateContextHandler>(m, *p); }},
		{"GET", "/code/contexts", [p](const RouteMatch& m) { return std::make_unique<ListContextsHandler>(m, *p); }},
		{"DELETE", "/code/contexts", [p](const RouteMatch& m) { return std::make_unique<DeleteContextsHandler>(m, *p); }},
		{"GET", "/code/contexts/{contextId}", [p](const RouteMatch& m) { return std::make_unique<ContextHandler>(m, *p, false); }},
		{"DELETE", "/code/contexts/{contextId}", [p](const RouteMatch& m) { return std::make_unique<ContextHandler>(m, *p, true); }},
	};
}


} // namespace execd
