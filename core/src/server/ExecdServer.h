#pragma once

#include "execd/RunTable.h"
#include "http/Idempotency.h"
#include "config/CommandLine.h"
#include "config/TrackingConfiguration.h"
#include "http/HttpServer.h"
#include "Poco/Util/ServerApplication.h"
#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <string>


namespace execd {


class ExecutorRegistry;
class InitSupervisor;
class ModuleLoader;
class OrphanReaper;
class RequestDispatcher;
class Router;


struct CoreSettings
	/// The core's own keys, under "execd." (see etc/execd.properties).
{
	int logLevel = 6;
	std::string logFile;
	std::vector<std::string> logOutput{"stdout"};   ///< used when logFile is empty
	std::string accessToken;
	std::chrono::milliseconds gracefulShutdownTimeout{1000};
	std::chrono::milliseconds pingInterval{3000};
	std::size_t maxJsonBodyBytes = 32 * 1024 * 1024;
	std::string portFile;
	std::chrono::milliseconds initStopGrace{10000};   ///< --init: SIGTERM to SIGKILL
	RunTable::Settings runs;                           ///< execd.runs.*: resumable runs' journals
	Idempotency::Settings idempotency;                 ///< execd.idempotency.*
};


class ExecdServer: public Poco::Util::ServerApplication
	/// The execd daemon: configuration, logging, modules, the HTTP listener and an
	/// orderly shutdown on SIGTERM/SIGINT. With --init, the sandbox's init as well
	/// (InitSupervisor), exiting with its entrypoint's status.
{
public:
	ExecdServer(CommandLine commandLine, std::map<std::string, std::string> environmentSettings, bool clone3Active,
		std::string launcher = std::string());
		/// launcher is the file that was started when that is not this program
		/// (dist/execd's launcher, which runs execd through its bundled loader);
		/// the default drop-in modules directory is "modules" next to it.

protected:
	// Poco::Util::Application
	void initialize(Poco::Util::Application& self) override;
	int main(const std::vector<std::string>& args) override;

private:
	void loadConfiguration();
	void setUpLogging(const CoreSettings& settings);
	CoreSettings readCoreSettings();
	HttpSettings readHttpSettings();
	void warnUnknownCoreKeys();
	void logKernelSupport();
	bool loadSettings(CoreSettings& settings, HttpSettings& http);
		/// False, with the reason on stderr, when the configuration is unusable.
	std::unique_ptr<OrphanReaper> setUpReaping();
		/// Becomes a child subreaper (execd.subreaper, --init) and reaps orphans
		/// when that or being PID 1 makes them ours.
	void logStartup(const CoreSettings& settings, const HttpSettings& http);
	void registerCapabilities(const CoreSettings& settings, const HttpSettings& http);
	std::unique_ptr<HttpServer> assemble(Router& router, ExecutorRegistry& executors, ModuleLoader& modules,
		RequestDispatcher& dispatcher, const CoreSettings& settings, const HttpSettings& http);
		/// Routes, modules (loaded and started) and the bound server; throws what stops startup.
	int serve(HttpServer& server, const CoreSettings& settings, InitSupervisor* pInit);
		/// Until a termination request (or, with pInit, the entrypoint's end); the exit status.
	void shutDown(std::unique_ptr<HttpServer>& pServer, ModuleLoader& modules, Router& router,
		const CoreSettings& settings, int status);

	CommandLine _commandLine;
	std::map<std::string, std::string> _environmentSettings;
	bool _clone3Active;
	std::string _launcher;
	Poco::AutoPtr<TrackingConfiguration> _pSettings;   // config() as the core reads it: what it read is known
	std::string _configFile;
	std::atomic<bool> _ready{false};   ///< GET /ready
};


int logPriority(int level);
	/// Upstream's 0-7 levels as POCO priorities: <=2 fatal, 3 error, 4 warning,
	/// 5-6 information, 7 debug.


} // namespace execd
