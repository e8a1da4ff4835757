#include "SessionHandlers.h"
#include "CommandRequest.h"
#include "execd/Http.h"
#include "execd/Paths.h"
#include "Poco/UUIDGenerator.h"


namespace execd {
namespace shell {


namespace {


const std::string PARSE = "error parsing request. ";
const std::string INVALID = "invalid request. ";


std::string goDuration(std::chrono::milliseconds d)
{
	// As Go prints a time.Duration: 300ms, 30s, 1.5s, 1m30s, 24h0m0s.
	long long ms = d.count();
	if (ms < 1000) return std::to_string(ms) + "ms";
	long long h = ms / 3600000, m = ms / 60000 % 60, s = ms / 1000 % 60, rest = ms % 1000;
	std::string sec = std::to_string(s);
	if (rest)
	{
		char frac[8];
		std::snprintf(frac, sizeof(frac), ".%03lld", rest);
		std::string f = frac;
		while (f.back() == '0') f.pop_back();
		sec += f;
	}
	if (h) return std::to_string(h) + "h" + std::to_string(m) + "m" + sec + "s";
	if (m) return std::to_string(m) + "m" + sec + "s";
	return sec + "s";
}


void emitOutcome(const Session::Result& result, std::chrono::steady_clock::time_point start, EventSink& sink)
{
	const Poco::Int64 elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start).count();
	StreamEvent last;
	if (result.outcome == Session::Outcome::KILLED || result.outcome == Session::Outcome::TIMED_OUT)
		last = StreamEvent::failure(ErrorDetail{"CommandExecError", "-1", {"signal: killed"}, false});
	else if (result.exitCode != 0)
		last = StreamEvent::failure(ErrorDetail{"CommandExecError", std::to_string(result.exitCode), {result.error}, false});
	else
		last = StreamEvent::complete(elapsed);
	last.outcome = result.ending;
	last.outcome->wallMillis = elapsed;
	sink.emit(last);
}


} // namespace


CreateSessionHandler::CreateSessionHandler(const RouteMatch& match, SessionManager& sessions):
	JsonHandler(match),
	_sessions(sessions)
{
}


void CreateSessionHandler::handle(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response)
{
	std::string raw = JsonBody::readBody(request);
	std::string cwd;
	ResourceLimits limits;
	if (raw.find_first_not_of(" \t\r\n") != std::string::npos)
	{
		JsonBody body = JsonBody::parse(raw, PARSE);
		cwd = body.getString("cwd").value_or("");
		limits = ResourceLimits::fromJson(body, "invalid request, ");
	}
	ResourceGroup::Ptr pGroup = ResourceGroup::create(limits);
	try
	{
		if (!cwd.empty())
		{
			cwd = Environment::expand(cwd, Environment::current());
			Paths::createDirectories(cwd);
		}
		auto pSession = _sessions.create(cwd, pGroup);
		Http::sendJson(response, "{\"session_id\":\"" + pSession->id() + "\"}");
	}
	catch (ApiException&)
	{
		throw;   // a cwd past the path limits: 400
	}
	catch (Poco::Exception& exc)
	{
		throw ApiException::runtimeError("error creating session. " + exc.message());
	}
}


RunInSessionHandler::RunInSessionHandler(const RouteMatch& match, SessionManager& sessions):
	StreamHandler(match),
	_sessions(sessions)
{
}


void RunInSessionHandler::stream(Poco::Net::HTTPServerRequest& request, SseWriter& sink)
{
	SessionRunRequest run = SessionRunRequest::fromJson(JsonBody::read(request, PARSE));
	auto pSession = _sessions.find(match().param("sessionId"));
	if (!pSession)
		throw ApiException::runtimeError("error running in session. context not found");

	const auto start = std::chrono::steady_clock::now();
	const std::chrono::milliseconds limit = run.timeout;
	// The flood policy (off by default): a head and a tail on the stream, all
	// of the output in the spill file.
	std::unique_ptr<FloodGate> pGate;
	if (_sessions.flood().enabled())
	{
		pGate = std::make_unique<FloodGate>(sink, _sessions.flood());
		pGate->openSpill(_sessions.spoolDirectory(),
			pSession->id() + "-" + Poco::UUIDGenerator::defaultGenerator().createRandom().toString().substr(0, 8),
			FloodGate::SpillFrom::TEE);
	}
	EventSink& out = pGate ? static_cast<EventSink&>(*pGate) : sink;
	Session::Result result;
	try
	{
		// init goes out once the session is ours: a busy session is still an
		// ordinary JSON error.
		result = pSession->run(run.command, run.cwd, limit, out, true, [&] { out.emit(StreamEvent::init(pSession->id())); },
			pGate ? pGate->spillFd() : -1);
	}
	catch (Poco::InvalidArgumentException& exc)
	{
		if (pGate) pGate->finish();
		throw ApiException::badRequest(INVALID + exc.message());
	}
	catch (Poco::Exception& exc)
	{
		if (pGate) pGate->finish();
		throw ApiException::runtimeError("error running in session. " + exc.message());
	}
	if (result.outcome == Session::Outcome::BUSY)
		throw ApiException::runtimeError("error running in session. session is busy");
	if (pGate) pGate->closeSpill(result.teeFailed);
	if (result.outcome == Session::Outcome::TIMED_OUT)
	{
		// Upstream's wire format for a session timeout: no error event, the JSON
		// error appended to the stream. The session itself stays usable.
		if (pGate) pGate->finish();
		throw ApiException::runtimeError("error running in session. timeout after " + goDuration(limit));
	}
	emitOutcome(result, start, out);
}


DeleteSessionHandler::DeleteSessionHandler(const RouteMatch& match, SessionManager& sessions):
	JsonHandler(match),
	_sessions(sessions)
{
}


void DeleteSessionHandler::handle(Poco::Net::HTTPServerRequest&, Poco::Net::HTTPServerResponse& response)
{
	const std::string& id = match().param("sessionId");
	if (!_sessions.remove(id))
		throw ApiException::notFound(ErrorCode::CONTEXT_NOT_FOUND, "session " + id + " not found");
	Http::sendEmpty(response);
}


std::vector<Route> sessionRoutes(SessionManager& sessions)
{
	SessionManager* s = &sessions;
	return {
		{"POST", "/session", [s](const RouteMatch& m) { return std::make_unique<CreateSessionHandler>(m, *s); }},
		{"POST", "/session/{sessionId}/run", [s](const RouteMatch& m) { return std::make_unique<RunInSessionHandler>(m, *s); }},
		{"DELETE", "/session/{sessionId}", [s](const RouteMatch& m) { return std::make_unique<DeleteSessionHandler>(m, *s); }},
	};
}


BashExecutor::BashExecutor(SessionManager& sessions):
	_sessions(sessions)
{
}


ContextInfo BashExecutor::createContext(const std::string& language, const std::string& cwd)
{
	return createLimitedContext(language, cwd, nullptr);
}


ContextInfo BashExecutor::createLimitedContext(const std::string& language, const std::string& cwd, const ResourceGroup::Ptr& pGroup)
{
	std::string dir = cwd;
	if (!dir.empty())
	{
		dir = Environment::expand(dir, Environment::current());
		Paths::createDirectories(dir);
	}
	auto pSession = _sessions.create(dir, pGroup);
	std::lock_guard<std::mutex> lock(_mutex);
	_contexts[pSession->id()] = cwd;
	return ContextInfo{pSession->id(), language, cwd};
}


std::vector<ContextInfo> BashExecutor::listContexts()
{
	std::lock_guard<std::mutex> lock(_mutex);
	std::vector<ContextInfo> result;
	for (auto it = _contexts.begin(); it != _contexts.end();)
	{
		if (!_sessions.find(it->first))
		{
			it = _contexts.erase(it);   // deleted through /session
			continue;
		}
		result.push_back(ContextInfo{it->first, "bash", it->second});
		++it;
	}
	return result;
}


std::optional<ContextInfo> BashExecutor::findContext(const std::string& id)
{
	std::lock_guard<std::mutex> lock(_mutex);
	auto it = _contexts.find(id);
	if (it == _contexts.end() || !_sessions.find(id)) return std::nullopt;
	return ContextInfo{id, "bash", it->second};
}


bool BashExecutor::deleteContext(const std::string& id)
{
	{
		std::lock_guard<std::mutex> lock(_mutex);
		if (!_contexts.erase(id)) return false;
		if (_defaultId == id) _defaultId.clear();
	}
	_sessions.remove(id);
	return true;
}


bool BashExecutor::emitsLines() const
{
	return true;
}


void BashExecutor::run(const ExecRequest& request, EventSink& sink)
{
	std::string id = request.contextId;
	if (id.empty())
	{
		std::lock_guard<std::mutex> lock(_mutex);
		if (_defaultId.empty() || !_sessions.find(_defaultId))
		{
			auto pSession = _sessions.create("");
			_defaultId = pSession->id();
			_contexts[_defaultId] = "";
		}
		id = _defaultId;
	}
	auto pSession = _sessions.find(id);
	if (!pSession) throw ApiException::runtimeError("error running codes context not found");
	const auto start = std::chrono::steady_clock::now();
	// As a kernel does: a run is not cut short because its client went away.
	Session::Result result = pSession->run(request.code, "", std::chrono::hours(24), sink, false,
		[&] { sink.emit(StreamEvent::init(id)); }, -1);
	if (result.outcome == Session::Outcome::BUSY)
		throw ApiException::runtimeError("error running codes session is busy");
	emitOutcome(result, start, sink);
}


bool BashExecutor::interrupt(const std::string& id)
{
	auto pSession = _sessions.find(id);
	if (!pSession) return false;
	bool context = false;
	{
		std::lock_guard<std::mutex> lock(_mutex);
		context = _contexts.count(id) > 0;
	}
	if (!context)
	{
		// A /session: as upstream, an interrupt ends it (kill and forget).
		_sessions.remove(id);
		return true;
	}
	// A bash code context: like a kernel interrupt, the run stops, the context stays.
	if (!pSession->interrupt())
		throw Poco::IllegalStateException("context " + id + " is not running");
	return true;
}


} } // namespace execd::shell
