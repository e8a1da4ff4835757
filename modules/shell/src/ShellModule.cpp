#include "ShellModule.h"
#include "execd/Capabilities.h"
#include "CommandHandlers.h"
#include "execd/Metrics.h"
#include "execd/RunTable.h"
#include "Poco/ClassLibrary.h"


namespace execd {
namespace shell {


std::string ShellModule::name() const
{
	return "shell";
}


void ShellModule::configure(ModuleContext& context)
{
	ConfigReader config = context.settings();
	ShellSettings settings;
	settings.shell = config.getString("shell", settings.shell);
	settings.killGrace = config.getMillis("killGraceMillis", settings.killGrace, std::chrono::milliseconds(0), std::chrono::minutes(10));
	settings.spoolDirectory = config.getString("spoolDirectory", settings.spoolDirectory);
	settings.keepFinishedCommands = static_cast<std::size_t>(config.getInt("keepFinishedCommands",
		static_cast<int>(settings.keepFinishedCommands), 0, 10000000));
	settings.keepFinishedFor = config.getMillis("keepFinishedMillis", settings.keepFinishedFor, std::chrono::milliseconds(0), std::chrono::hours(24 * 365));
	settings.stdinStall = config.getMillis("stdinTimeoutMillis", settings.stdinStall, std::chrono::milliseconds(1), std::chrono::hours(1));
	// The flood policy of the shell's runs: execd's own (execd.runs.*) unless
	// set here.
	const FloodGate::Limits policy = RunTable::instance().settings().flood;
	settings.flood.maxBytes = static_cast<std::uint64_t>(config.getInt64("maxStreamBytes",
		static_cast<Poco::Int64>(policy.maxBytes), 0, Poco::Int64(1) << 50));
	settings.flood.maxEventsPerSecond = static_cast<std::uint32_t>(config.getInt("maxEventsPerSecond",
		static_cast<int>(policy.maxEventsPerSecond), 0, 100000000));
	settings.flood.tailBytes = static_cast<std::size_t>(config.getInt64("floodTailBytes",
		static_cast<Poco::Int64>(policy.tailBytes), 0, Poco::Int64(1) << 30));
	Capabilities& c = Capabilities::instance();
	c.setLimit("module.shell.maxStreamBytes", static_cast<Poco::UInt64>(settings.flood.maxBytes));
	c.setLimit("module.shell.maxEventsPerSecond", static_cast<Poco::UInt64>(settings.flood.maxEventsPerSecond));
	c.setLimit("module.shell.floodTailBytes", static_cast<Poco::UInt64>(settings.flood.tailBytes));
	c.setLimit("module.shell.keepFinishedCommands", static_cast<Poco::UInt64>(settings.keepFinishedCommands));
	c.setLimit("output.discardPipeBytes", static_cast<Poco::UInt64>(OutputPump::DISCARD_PIPE_BYTES));
	if (settings.flood.enabled()) c.setFeature("flood_policy", true);
	c.setLimit("module.shell.stdinTimeoutMillis", static_cast<Poco::UInt64>(settings.stdinStall.count()));
	c.setLimit("command.stdinChunkBytes", static_cast<Poco::UInt64>(CommandInput::CHUNK_BYTES));
	c.setLimit("command.followerQueueBytes", static_cast<Poco::UInt64>(CommandTap::QUEUE_BYTES));
	c.setLimit("command.followerQueueEvents", static_cast<Poco::UInt64>(CommandTap::QUEUE_EVENTS));
	c.setLimit("command.tagMaxBytes", static_cast<Poco::UInt64>(CommandRequest::MAX_TAG_BYTES));
	c.setLimit("command.listMaxLimit", static_cast<Poco::UInt64>(CommandListHandler::MAX_LIMIT));
	c.setFeature("command_stdin", true);
	c.setFeature("command_signal", true);
	c.setFeature("command_list", true);
	c.setFeature("command_events", true);
	_pRunner = std::make_unique<CommandRunner>(settings);
	_pForeground = std::make_unique<ForegroundExecutor>(*_pRunner);
	_pBackground = std::make_unique<BackgroundExecutor>(*_pRunner);
	_pSessions = std::make_unique<SessionManager>(_pRunner->settings().shell, _pRunner->settings().flood, _pRunner->settings().spoolDirectory);
	_pBash = std::make_unique<BashExecutor>(*_pSessions);
	_pExecutors = &context.executors();
	context.logger().information("commands run with %s; background output in %s", _pRunner->settings().shell,
		_pRunner->settings().spoolDirectory);
}


std::vector<Route> ShellModule::routes()
{
	std::vector<Route> routes = commandRoutes(*_pRunner, *_pExecutors);
	for (Route& route: sessionRoutes(*_pSessions))
		routes.push_back(std::move(route));
	return routes;
}


std::vector<ExecutorBinding> ShellModule::executors()
{
	return {
		ExecutorBinding::command("command", *_pForeground),
		ExecutorBinding::command("background-command", *_pBackground),
		ExecutorBinding::code("bash", *_pBash),
	};
}


void ShellModule::start()
{
	CommandRunner* pRunner = _pRunner.get();
	Metrics::instance().addGauge("execd_running_commands", "Commands (foreground and background) whose process is alive.",
		[pRunner] { return static_cast<double>(pRunner->registry().running()); });
}


void ShellModule::shutdown()
{
	Metrics::instance().removeGauge("execd_running_commands");
	_pRunner->shutdown();
	_pSessions->terminateAll();
}


} } // namespace execd::shell


POCO_BEGIN_MANIFEST(execd::Module)
	POCO_EXPORT_CLASS(execd::shell::ShellModule)
POCO_END_MANIFEST
