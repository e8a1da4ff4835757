#pragma once

#include "SessionManager.h"
#include "execd/Executor.h"
#include "execd/Route.h"
#include <vector>


namespace execd {
namespace shell {


std::vector<Route> sessionRoutes(SessionManager& sessions);
	/// POST /session, POST /session/{sessionId}/run, DELETE /session/{sessionId}.


class BashExecutor: public CodeExecutor
	/// The code language "bash": each context is a bash session, so state persists
	/// between runs. Also answers interrupts for /session ids.
{
public:
	explicit BashExecutor(SessionManager& sessions);

	// execd::CodeExecutor
	ContextInfo createContext(const std::string& language, const std::string& cwd) override;
	std::vector<ContextInfo> listContexts() override;
	std::optional<ContextInfo> findContext(const std::string& id) override;
	bool deleteContext(const std::string& id) override;
	void run(const ExecRequest& request, EventSink& sink) override;
	bool interrupt(const std::string& id) override;

private:
	SessionManager& _sessions;
	std::mutex _mutex;
	std::map<std::string, std::string> _contexts;   ///< context id -> cwd (contexts are sessions)
	std::string _defaultId;
};


} } // namespace execd::shell
