#include "CommandHandlers.h"
#include "CommandRunner.h"
#include "SessionHandlers.h"
#include "execd/Metrics.h"
#include "execd/Module.h"
#include "Poco/ClassLibrary.h"


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
	///   shell                       the shell that runs commands (default: bash from PATH, else /bin/sh)
	///   killGraceMillis             SIGTERM -> SIGKILL delay on interrupt (default 3000)
	///   spoolDirectory              background output files (default $TMPDIR or /tmp)
	///   keepFinishedCommands        finished commands remembered (default 1000)
	///   keepFinishedMillis          ... and for how long (default 86400000, a day)
{
public:
	std::string name() const override
	{
		return "shell";
	}

	void configure(ModuleContext& context) override
	{
		ConfigReader config = context.settings();
		ShellSettings settings;
		settings.shell = config.getString("shell", settings.shell);
		settings.killGrace = config.getMillis("killGraceMillis", settings.killGrace, std::chrono::milliseconds(0), std::chrono::minutes(10));
		settings.spoolDirectory = config.getString("spoolDirectory", settings.spoolDirectory);
		settings.keepFinishedCommands = static_cast<std::size_t>(config.getInt("keepFinishedCommands",
			static_cast<int>(settings.keepFinishedCommands), 0, 10000000));
		settings.keepFinishedFor = config.getMillis("keepFinishedMillis", settings.keepFinishedFor, std::chrono::milliseconds(0), std::chrono::hours(24 * 365));
		_pRunner = std::make_unique<CommandRunner>(settings);
		_pForeground = std::make_unique<ForegroundExecutor>(*_pRunner);
		_pBackground = std::make_unique<BackgroundExecutor>(*_pRunner);
		_pSessions = std::make_unique<SessionManager>(_pRunner->settings().shell);
		_pBash = std::make_unique<BashExecutor>(*_pSessions);
		_pExecutors = &context.executors();
		context.logger().information("commands run with %s; background output in %s", _pRunner->settings().shell,
			_pRunner->settings().spoolDirectory);
	}

	std::vector<Route> routes() override
	{
		std::vector<Route> routes = commandRoutes(*_pRunner, *_pExecutors);
		for (Route& route: sessionRoutes(*_pSessions))
			routes.push_back(std::move(route));
		return routes;
	}

	std::vector<ExecutorBinding> executors() override
	{
		return {
			ExecutorBinding::command("command", *_pForeground),
			ExecutorBinding::command("background-command", *_pBackground),
			ExecutorBinding::code("bash", *_pBash),
		};
	}

	void start() override
	{
		CommandRunner* pRunner = _pRunner.get();
		Metrics::instance().addGauge("execd_running_commands", "Commands (foreground and background) whose process is alive.",
			[pRunner] { return static_cast<double>(pRunner->registry().running()); });
	}

	void shutdown() override
	{
		Metrics::instance().removeGauge("execd_running_commands");
		_pRunner->shutdown();
		_pSessions->terminateAll();
	}

private:
	std::unique_ptr<CommandRunner> _pRunner;
	std::unique_ptr<ForegroundExecutor> _pForeground;
	std::unique_ptr<BackgroundExecutor> _pBackground;
	std::unique_ptr<SessionManager> _pSessions;
	std::unique_ptr<BashExecutor> _pBash;
	ExecutorRegistry* _pExecutors = nullptr;
};


} } // namespace execd::shell


POCO_BEGIN_MANIFEST(execd::Module)
	POCO_EXPORT_CLASS(execd::shell::ShellModule)
POCO_END_MANIFEST
