#pragma once

#include "SessionManager.h"
#include "execd/Executor.h"
#include "execd/JsonHandler.h"
#include "execd/Route.h"
#include "execd/StreamHandler.h"
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>


namespace execd {
namespace shell {


std::vector<Route> sessionRoutes(SessionManager& sessions);
	/// POST /session, POST /session/{sessionId}/run, DELETE /session/{sessionId}.
	/// Every handler borrows sessions, which outlives the routes.


class CreateSessionHandler: public JsonHandler
	/// POST /session {"cwd"?} -> {"session_id"}: a new bash session; cwd is
	/// expanded and created (a path past the limits is a 400, any other failure a 500).
{
public:
	CreateSessionHandler(const RouteMatch& match, SessionManager& sessions);

protected:
	// execd::JsonHandler
	void handle(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response) override;

private:
	SessionManager& _sessions;
};


class RunInSessionHandler: public StreamHandler
	/// POST /session/{sessionId}/run {"command","cwd"?,"timeout"?}: the command's
	/// output as events. An unknown or busy session, and a timeout, are errors in
	/// upstream's words; after a timeout the session stays usable.
{
public:
	RunInSessionHandler(const RouteMatch& match, SessionManager& sessions);

protected:
	// execd::StreamHandler
	void stream(Poco::Net::HTTPServerRequest& request, SseWriter& sink) override;

private:
	SessionManager& _sessions;
};


class DeleteSessionHandler: public JsonHandler
	/// DELETE /session/{sessionId}: ends the session; an unknown id is a 404 CONTEXT_NOT_FOUND.
{
public:
	DeleteSessionHandler(const RouteMatch& match, SessionManager& sessions);

protected:
	// execd::JsonHandler
	void handle(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response) override;

private:
	SessionManager& _sessions;
};


class BashExecutor: public CodeExecutor
	/// The code language "bash": each context is a bash session, so state persists
	/// between runs. Also answers interrupts for /session ids.
{
public:
	explicit BashExecutor(SessionManager& sessions);

	// execd::CodeExecutor
	ContextInfo createContext(const std::string& language, const std::string& cwd) override;
	ContextInfo createLimitedContext(const std::string& language, const std::string& cwd, const ResourceGroup::Ptr& pGroup) override;
		/// A session whose processes run in pGroup (null: none).
	std::vector<ContextInfo> listContexts() override;
	std::optional<ContextInfo> findContext(const std::string& id) override;
	bool deleteContext(const std::string& id) override;
	void run(const ExecRequest& request, EventSink& sink) override;
	bool interrupt(const std::string& id) override;
	bool emitsLines() const override;

private:
	SessionManager& _sessions;
	std::mutex _mutex;
	std::map<std::string, std::string> _contexts;   ///< context id -> cwd (contexts are sessions)
	std::string _defaultId;
};


} } // namespace execd::shell
