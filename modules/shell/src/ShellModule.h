#pragma once

#include "CommandRunner.h"
#include "SessionHandlers.h"
#include "execd/Module.h"
#include <memory>


namespace execd {
namespace shell {


class ShellModule: public Module
	/// Shell commands: POST /command (foreground and background), their status,
	/// logs and interrupts, and the command modes of POST /code; sessions
	/// (/session) and the code language "bash", both live bash processes (or, in
	/// an image without bash, sh runs that keep exported variables and the
	/// directory: ShSession).
	///
	/// Settings (module.shell.*):
	///   shell                       the shell that runs commands (default: bash from PATH, else sh)
	///   killGraceMillis             SIGTERM -> SIGKILL delay on interrupt (default 3000)
	///   spoolDirectory              background output files (default $TMPDIR or /tmp)
	///   keepFinishedCommands        finished commands remembered (default 1000)
	///   keepFinishedMillis          ... and for how long (default 86400000, a day)
{
public:
	// Module
	std::string name() const override;
	void configure(ModuleContext& context) override;
	std::vector<Route> routes() override;
	std::vector<ExecutorBinding> executors() override;
	void start() override;
	void shutdown() override;

private:
	std::unique_ptr<CommandRunner> _pRunner;
	std::unique_ptr<ForegroundExecutor> _pForeground;
	std::unique_ptr<BackgroundExecutor> _pBackground;
	std::unique_ptr<SessionManager> _pSessions;
	std::unique_ptr<BashExecutor> _pBash;
	ExecutorRegistry* _pExecutors = nullptr;
};


} } // namespace execd::shell
