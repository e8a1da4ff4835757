#include "server/ExecdServer.h"
#include "server/CapabilitiesHandler.h"
#include "execd/Capabilities.h"
#include "execd/EnvFile.h"
#include "execd/OutputSplitter.h"
#include "execd/Paths.h"
#include "config/TrackingConfiguration.h"
#include "http/HttpServer.h"
#include "http/RequestHead.h"
#include "modules/CodeHandlers.h"
#include "modules/ModuleLoader.h"
#include "execd/RunEventsHandler.h"
#include "process/InitSupervisor.h"
#include "process/OrphanReaper.h"
#include "process/ProcessTree.h"
#include "server/BufferedLogChannel.h"
#include "server/LogFormatter.h"
#include "server/ReadyHandler.h"
#include "execd/ApiException.h"
#include "execd/ConfigReader.h"
#include "execd/Http.h"
#include "execd/Metrics.h"
#include "execd/Process.h"
#include "execd/ResourceLimits.h"
#include "execd/RunUsage.h"
#include "execd/SseWriter.h"
#include "execd/StreamRegistry.h"
#include "Poco/AutoPtr.h"
#include "Poco/ConsoleChannel.h"
#include "Poco/File.h"
#include "Poco/FileChannel.h"
#include "Poco/FileStream.h"
#include "Poco/FormattingChannel.h"
#include "Poco/Path.h"
#include "Poco/SplitterChannel.h"
#include "Poco/Util/MapConfiguration.h"
#include "Poco/Util/PropertyFileConfiguration.h"
#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <iostream>
#include <malloc.h>
#include <set>
#include <thread>
#include <unistd.h>
#include <sys/prctl.h>


namespace execd {


namespace {


class Housekeeper
	/// Periodic chores on one thread: hands idle HTTP threads, expired run
	/// journals and the memory of finished requests back to the system.
{
public:
	explicit Housekeeper(HttpServer& server):
		_server(server),
		_thread([this] { run(); })
	{
	}

	~Housekeeper()
	{
		{
			std::lock_guard<std::mutex> lock(_mutex);
			_stop = true;
		}
		_cv.notify_all();
		_thread.join();
	}

private:
	void run()
	{
		std::unique_lock<std::mutex> lock(_mutex);
		while (!_cv.wait_for(lock, std::chrono::seconds(5), [this] { return _stop; }))
		{
			_server.collectIdleThreads();
			RunTable::instance().collect();
			::malloc_trim(0);   // give the memory of finished requests back
		}
	}

	HttpServer& _server;
	std::mutex _mutex;
	std::condition_variable _cv;
	bool _stop = false;
	std::thread _thread;
};


class ShutdownWatchdog
	/// Guarantees the exit deadline: if an orderly shutdown has not finished in
	/// time (a handler stuck outside the network, say), the process ends anyway,
	/// after killing what it started.
{
public:
	ShutdownWatchdog(std::chrono::milliseconds deadline, int exitCode):
		_thread([this, deadline, exitCode] { run(deadline, exitCode); })
	{
	}

	~ShutdownWatchdog()
	{
		{
			std::lock_guard<std::mutex> lock(_mutex);
			_done = true;
		}
		_cv.notify_all();
		_thread.join();
	}

private:
	void run(std::chrono::milliseconds deadline, int exitCode)
	{
		std::unique_lock<std::mutex> lock(_mutex);
		if (_cv.wait_for(lock, deadline, [this] { return _done; })) return;
		// No logging here: the log destination may be what is stuck.
		static const char message[] = "execd: shutdown did not finish in time; exiting now\n";
		ssize_t ignored = ::write(2, message, sizeof(message) - 1);
		(void) ignored;
		ProcessTree::killDescendants(::getpid());
		::_exit(exitCode);
	}

	std::mutex _mutex;
	std::condition_variable _cv;
	bool _done = false;
	std::thread _thread;
};


} // namespace


int logPriority(int level)
{
	if (level <= 2) return Poco::Message::PRIO_FATAL;
	if (level == 3) return Poco::Message::PRIO_ERROR;
	if (level == 4) return Poco::Message::PRIO_WARNING;
	if (level <= 6) return Poco::Message::PRIO_INFORMATION;
	return Poco::Message::PRIO_DEBUG;
}


ExecdServer::ExecdServer(CommandLine commandLine, std::map<std::string, std::string> environmentSettings, bool clone3Active,
		std::string launcher):
	_commandLine(std::move(commandLine)),
	_environmentSettings(std::move(environmentSettings)),
	_clone3Active(clone3Active),
	_launcher(std::move(launcher))
{
	setUnixOptions(true);
}


void ExecdServer::initialize(Poco::Util::Application& self)
{
	Poco::Util::ServerApplication::initialize(self);
}


void ExecdServer::loadConfiguration()
{
	// Lower numbers win in a LayeredConfiguration: flags, then environment, then file.
	Poco::AutoPtr<Poco::Util::MapConfiguration> pFlags(new Poco::Util::MapConfiguration);
	for (const auto& kv: _commandLine.settings())
		pFlags->setString(kv.first, kv.second);
	config().add(pFlags, -300, false);

	Poco::AutoPtr<Poco::Util::MapConfiguration> pEnvironment(new Poco::Util::MapConfiguration);
	for (const auto& kv: _environmentSettings)
		pEnvironment->setString(kv.first, kv.second);
	config().add(pEnvironment, -200, false);

	_configFile = _commandLine.configFile();
	if (_configFile.empty())
	{
		const char* env = std::getenv("EXECD_CONFIG");
		if (env && *env) _configFile = env;
	}
	if (_configFile.empty())
	{
		Poco::Path candidate(config().getString("application.dir"));
		candidate.makeDirectory();
		candidate.popDirectory();
		candidate.pushDirectory("etc");
		candidate.setFileName("execd.properties");
		if (Poco::File(candidate).exists()) _configFile = candidate.toString();
	}
	if (!_configFile.empty())
	{
		if (!Poco::File(_configFile).exists())
			throw Poco::FileNotFoundException("configuration file " + _configFile + " does not exist");
		try
		{
			config().add(new Poco::Util::PropertyFileConfiguration(_configFile), 0, false);
		}
		catch (Poco::Exception& exc)
		{
			throw ConfigurationException("cannot read configuration file " + _configFile + ": " + exc.displayText());
		}
	}
}


CoreSettings ExecdServer::readCoreSettings()
{
	ConfigReader reader(*_pSettings, "");
	CoreSettings s;
	s.logLevel = reader.getInt("execd.logLevel", s.logLevel, 0, 7);
	s.logFile = reader.getString("execd.logFile", s.logFile);
	s.logOutput = reader.getList("execd.logOutput", s.logOutput);
	if (s.logOutput.empty()) s.logOutput = {"stdout"};
	s.accessToken = reader.getString("execd.accessToken", s.accessToken);
	s.gracefulShutdownTimeout = reader.getMillis("execd.gracefulShutdownTimeoutMillis", s.gracefulShutdownTimeout,
		std::chrono::milliseconds(0), std::chrono::hours(24));
	s.pingInterval = reader.getMillis("execd.sse.pingIntervalMillis", s.pingInterval,
		std::chrono::milliseconds(10), std::chrono::hours(1));
	s.maxJsonBodyBytes = static_cast<std::size_t>(reader.getInt64("execd.http.maxJsonBodyBytes",
		static_cast<Poco::Int64>(s.maxJsonBodyBytes), 1024, Poco::Int64(1) << 40));
	s.portFile = reader.getString("execd.portFile", s.portFile);
	s.initStopGrace = reader.getMillis("execd.init.stopGraceMillis", s.initStopGrace,
		std::chrono::milliseconds(0), std::chrono::hours(1));
	s.runs.journalBytes = static_cast<std::size_t>(reader.getInt64("execd.runs.journalBytes",
		static_cast<Poco::Int64>(s.runs.journalBytes), 64 * 1024, Poco::Int64(1) << 40));
	s.runs.ttl = reader.getMillis("execd.runs.ttlMillis", s.runs.ttl, std::chrono::milliseconds(0), std::chrono::hours(24 * 7));
	s.runs.maxRuns = static_cast<std::size_t>(reader.getInt("execd.runs.maxRuns", static_cast<int>(s.runs.maxRuns), 1, 1000000));
	s.runs.spillDirectory = reader.getString("execd.runs.spillDirectory", s.runs.spillDirectory);
	s.runs.totalBytes = static_cast<std::uint64_t>(reader.getInt64("execd.runs.totalBytes",
		static_cast<Poco::Int64>(s.runs.totalBytes), 0, Poco::Int64(1) << 50));
	s.runs.flood.maxBytes = static_cast<std::uint64_t>(reader.getInt64("execd.runs.maxStreamBytes", 0, 0, Poco::Int64(1) << 50));
	s.runs.flood.maxEventsPerSecond = static_cast<std::uint32_t>(reader.getInt("execd.runs.maxEventsPerSecond", 0, 0, 100000000));
	s.runs.flood.tailBytes = static_cast<std::size_t>(reader.getInt64("execd.runs.floodTailBytes",
		static_cast<Poco::Int64>(s.runs.flood.tailBytes), 0, Poco::Int64(1) << 30));
	s.idempotency.maxKeys = static_cast<std::size_t>(reader.getInt("execd.idempotency.maxKeys", static_cast<int>(s.idempotency.maxKeys), 1, 10000000));
	s.idempotency.ttl = reader.getMillis("execd.idempotency.ttlMillis", s.idempotency.ttl, std::chrono::milliseconds(0), std::chrono::hours(24 * 7));
	return s;
}


HttpSettings ExecdServer::readHttpSettings()
{
	HttpSettings http;
	ConfigReader reader(*_pSettings, "");
	http.bindAddress = reader.getString("execd.bindAddress", http.bindAddress);
	http.port = reader.getInt("execd.port", http.port, 0, 65535);
	http.maxThreads = reader.getInt("execd.http.maxThreads", http.maxThreads, 4, 100000);
	http.maxQueued = reader.getInt("execd.http.maxQueued", http.maxQueued, 1, 1000000);
	http.backlog = reader.getInt("execd.http.backlog", http.backlog, 1, 65535);
	http.keepAliveTimeout = reader.getMillis("execd.http.keepAliveTimeoutMillis", http.keepAliveTimeout,
		std::chrono::milliseconds(100), std::chrono::hours(24));
	http.requestTimeout = reader.getMillis("execd.http.requestTimeoutMillis", http.requestTimeout,
		std::chrono::milliseconds(100), std::chrono::hours(24));
	http.threadIdleTime = reader.getMillis("execd.http.threadIdleMillis", http.threadIdleTime,
		std::chrono::milliseconds(1000), std::chrono::hours(1));
	http.sendTimeout = reader.getMillis("execd.http.sendTimeoutMillis", http.sendTimeout,
		std::chrono::milliseconds(100), std::chrono::hours(24));
	http.threadStackBytes = reader.getInt("execd.http.threadStackBytes", http.threadStackBytes, 64 * 1024, 64 * 1024 * 1024);
	http.maxConnections = reader.getInt("execd.http.maxConnections", http.maxConnections, 16, 10000000);
	http.maxConnectionsPerPeer = reader.getInt("execd.http.maxConnectionsPerPeer", http.maxConnectionsPerPeer, 1, 10000000);
	http.maxHeadBytes = static_cast<std::size_t>(reader.getInt("execd.http.maxHeadBytes",
		static_cast<int>(http.maxHeadBytes), 1024, 1024 * 1024));
	return http;
}


void ExecdServer::warnUnknownCoreKeys()
{
	// Every "execd." key that nothing read (through _pSettings) is a typo, as
	// for the modules' own sections.
	const std::set<std::string> read = _pSettings->readKeys();
	std::vector<std::string> pending{"execd"};
	while (!pending.empty())
	{
		std::string prefix = pending.back();
		pending.pop_back();
		Poco::Util::AbstractConfiguration::Keys keys;
		config().keys(prefix, keys);
		for (const std::string& k: keys)
		{
			std::string full = prefix + "." + k;
			pending.push_back(full);
			if (config().has(full) && !read.count(full)) logger().warning("unknown setting %s", full);
		}
	}
}


void ExecdServer::logKernelSupport()
{
	// Once, at start-up: which of the calls newer than Linux 4.18 execd found,
	// and what it does instead of the missing ones.
	const Process::KernelSupport& kernel = Process::kernelSupport();
	if (kernel.pidfd() && kernel.closeRange())
	{
		logger().information("kernel: pidfd_open and close_range available");
		return;
	}
	std::string text = "kernel:";
	if (kernel.pidfd())
		text += " pidfd_open available;";
	else
		text += std::string(" no pidfd_open (") + std::strerror(kernel.pidfdError) + "): a thread per running child waits for its exit;";
	if (kernel.closeRange())
		text += " close_range available";
	else
		text += std::string(" no close_range (") + std::strerror(kernel.closeRangeError) + "): children close inherited descriptors one by one";
	logger().information(text);
}


void ExecdServer::setUpLogging(const CoreSettings& settings)
{
	// An unwritable log file stops startup here, with its path in the message.
	// EXECD_LOG_FILE wins; otherwise every destination of OPENSANDBOX_LOG_OUTPUT.
	Poco::AutoPtr<Poco::Channel> pSink;
	if (!settings.logFile.empty())
	{
		pSink = new BufferedLogChannel(settings.logFile);
	}
	else if (settings.logOutput.size() == 1)
	{
		pSink = new BufferedLogChannel(settings.logOutput.front());
	}
	else
	{
		Poco::AutoPtr<Poco::SplitterChannel> pSplitter(new Poco::SplitterChannel);
		for (const std::string& output: settings.logOutput)
			pSplitter->addChannel(new BufferedLogChannel(output));
		pSink = pSplitter;
	}
	Poco::AutoPtr<Poco::Formatter> pFormatter(new LogFormatter);
	Poco::AutoPtr<Poco::FormattingChannel> pChannel(new Poco::FormattingChannel(pFormatter, pSink));
	Poco::Logger::setChannel("", pChannel);
	Poco::Logger::setLevel("", logPriority(settings.logLevel));
}


int ExecdServer::main(const std::vector<std::string>&)
{
	CoreSettings settings;
	HttpSettings http;
	if (!loadSettings(settings, http)) return 1;
	std::unique_ptr<OrphanReaper> pReaper = setUpReaping();
	logStartup(settings, http);

	// Declaration order is teardown order in reverse: the server (and its
	// threads) goes before the dispatcher, the modules and the router it uses.
	Router router;
	ExecutorRegistry executors;
	ModuleLoader modules(router, executors);
	Idempotency idempotency(settings.idempotency);
	RequestDispatcher dispatcher(router, settings.accessToken);
	dispatcher.setIdempotency(&idempotency, settings.maxJsonBodyBytes);
	std::unique_ptr<HttpServer> pServer;
	try
	{
		pServer = assemble(router, executors, modules, dispatcher, settings, http);
	}
	catch (Poco::Exception& exc)
	{
		logger().fatal("startup failed: %s", exc.message());
		std::cerr << "execd: " << exc.message() << std::endl;
		return 1;
	}
	catch (std::exception& exc)
	{
		logger().fatal("startup failed: %s", std::string(exc.what()));
		std::cerr << "execd: " << exc.what() << std::endl;
		return 1;
	}
	logger().information("listening on %s:%hu with %z routes; modules: %s", http.bindAddress, pServer->port(), router.size(),
		[&modules] { std::string s; for (const auto& n: modules.names()) s += (s.empty() ? "" : ", ") + n; return s.empty() ? std::string("none") : s; }());
	// With --init the entrypoint's supervisor outlives the shutdown: its
	// process goes with the rest, after the grace period.
	std::unique_ptr<InitSupervisor> pInit;
	if (_commandLine.init()) pInit = std::make_unique<InitSupervisor>(_commandLine.positional(), _ready, settings.initStopGrace);
	int status = serve(*pServer, settings, pInit.get());
	shutDown(pServer, modules, router, settings, status);
	return status;
}


bool ExecdServer::loadSettings(CoreSettings& settings, HttpSettings& http)
{
	try
	{
		loadConfiguration();
		_pSettings = new TrackingConfiguration(Poco::AutoPtr<Poco::Util::AbstractConfiguration>(&config(), true), nullptr);
		settings = readCoreSettings();
		setUpLogging(settings);
		setLogger(Poco::Logger::get("execd"));
		http = readHttpSettings();
		return true;
	}
	catch (Poco::Exception& exc)
	{
		std::cerr << "execd: " << exc.message() << std::endl;
		return false;
	}
}


std::unique_ptr<OrphanReaper> ExecdServer::setUpReaping()
{
	// With --init, orphans are ours to reap whatever execd.subreaper says.
	const bool initMode = _commandLine.init();
	bool subreaper = initMode || ConfigReader(*_pSettings, "").getBool("execd.subreaper", true);
	if (subreaper && ::getpid() != 1 && ::prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0)
	{
		if (initMode) std::cerr << "execd: cannot become a child subreaper: " << std::strerror(errno) << std::endl;
		subreaper = false;
	}
	if (!OrphanReaper::needed()) return nullptr;
	return std::make_unique<OrphanReaper>();
}


void ExecdServer::logStartup(const CoreSettings& settings, const HttpSettings& http)
{
	logger().information("execd %s starting (pid %d)%s", std::string(EXECD_VERSION), static_cast<int>(::getpid()),
		std::string(_configFile.empty() ? ", built-in defaults" : ", configuration " + _configFile));
	if (_clone3Active)
		logger().warning("clone3 compatibility is active: clone3(2) fails with ENOSYS in execd and every child");
	logKernelSupport();
	JsonBody::setDefaultLimit(settings.maxJsonBodyBytes);
	JsonBody::setReadTimeout(http.requestTimeout);
	SseWriter::setStallTimeout(http.sendTimeout);
	RunTable::instance().configure(settings.runs);
	registerCapabilities(settings, http);
}


void ExecdServer::registerCapabilities(const CoreSettings& settings, const HttpSettings& http)
{
	// The core's rows of the README's Limits table; the modules add theirs.
	Capabilities& c = Capabilities::instance();
	ResourceGroup::publish();
	c.setLimit("execd.http.maxConnections", http.maxConnections);
	c.setLimit("execd.http.maxConnectionsPerPeer", http.maxConnectionsPerPeer);
	c.setLimit("execd.http.maxQueued", http.maxQueued);
	c.setLimit("execd.http.maxThreads", http.maxThreads);
	c.setLimit("execd.http.maxHeadBytes", static_cast<Poco::UInt64>(http.maxHeadBytes));
	c.setLimit("execd.http.keepAliveTimeoutMillis", static_cast<Poco::Int64>(http.keepAliveTimeout.count()));
	c.setLimit("execd.http.requestTimeoutMillis", static_cast<Poco::Int64>(http.requestTimeout.count()));
	c.setLimit("execd.http.sendTimeoutMillis", static_cast<Poco::Int64>(http.sendTimeout.count()));
	c.setLimit("execd.http.maxJsonBodyBytes", static_cast<Poco::UInt64>(settings.maxJsonBodyBytes));
	c.setLimit("json.maxDepth", JsonBody::MAX_DEPTH);
	// POCO 1.11's own bounds of a request head (private in HTTPRequest and
	// MessageHeader), and execd's on Content-Length (RequestHead).
	c.setLimit("http.methodMaxBytes", 32);
	c.setLimit("http.targetMaxBytes", 16384);
	c.setLimit("http.versionMaxBytes", 8);
	c.setLimit("http.headerFieldsMax", 100);
	c.setLimit("http.headerNameMaxBytes", 256);
	c.setLimit("http.headerValueMaxBytes", 8192);
	c.setLimit("http.contentLengthMaxDigits", static_cast<Poco::UInt64>(RequestHead::MAX_CONTENT_LENGTH_DIGITS));
	c.setLimit("path.maxBytes", static_cast<Poco::UInt64>(Paths::MAX_PATH_BYTES));
	c.setLimit("path.maxComponents", static_cast<Poco::UInt64>(Paths::MAX_PATH_COMPONENTS));
	c.setLimit("envFile.maxFileBytes", static_cast<Poco::UInt64>(EnvFile::MAX_FILE_BYTES));
	c.setLimit("envFile.maxEntryBytes", static_cast<Poco::UInt64>(EnvFile::MAX_ENTRY_BYTES));
	c.setLimit("envFile.maxTotalBytes", static_cast<Poco::UInt64>(EnvFile::MAX_TOTAL_BYTES));
	c.setLimit("execd.runs.journalBytes", static_cast<Poco::UInt64>(settings.runs.journalBytes));
	c.setLimit("execd.runs.ttlMillis", static_cast<Poco::Int64>(settings.runs.ttl.count()));
	c.setLimit("execd.runs.maxRuns", static_cast<Poco::UInt64>(settings.runs.maxRuns));
	c.setLimit("execd.runs.totalBytes", static_cast<Poco::UInt64>(settings.runs.totalBytes));
	c.setLimit("execd.runs.maxStreamBytes", static_cast<Poco::UInt64>(settings.runs.flood.maxBytes));
	c.setLimit("execd.runs.maxEventsPerSecond", static_cast<Poco::UInt64>(settings.runs.flood.maxEventsPerSecond));
	c.setLimit("execd.runs.floodTailBytes", static_cast<Poco::UInt64>(settings.runs.flood.tailBytes));
	c.setFeature("flood_policy", settings.runs.flood.enabled());
	c.setLimit("output.eventTextMaxBytes", static_cast<Poco::UInt64>(OutputSplitter::DEFAULT_PIECE));
	c.setLimit("runs.journalMemoryBytes", static_cast<Poco::UInt64>(RunJournal::MEMORY_BLOCKS * RunJournal::BLOCK_BYTES));
	c.setLimit("runs.finishedJournalMemoryBytes", static_cast<Poco::UInt64>(RunJournal::SMALL_BYTES));
	c.setLimit("runs.eventsReadBytes", static_cast<Poco::UInt64>(RunEventsHandler::BATCH_BYTES));
	c.setFeature("resumable_streams", true);
	c.setFeature("exit_details", true);
	c.setFeature("idempotency_keys", true);
	c.setLimit("execd.idempotency.maxKeys", static_cast<Poco::UInt64>(settings.idempotency.maxKeys));
	c.setLimit("execd.idempotency.ttlMillis", static_cast<Poco::Int64>(settings.idempotency.ttl.count()));
	c.setLimit("idempotency.maxKeyBytes", static_cast<Poco::UInt64>(settings.idempotency.maxKeyBytes));
	c.setLimit("idempotency.maxStoredBodyBytes", static_cast<Poco::UInt64>(settings.idempotency.maxStoredBodyBytes));
	c.setLimit("idempotency.waitForFirstMillis", static_cast<Poco::Int64>(settings.idempotency.waitForFirst.count()));
}


std::unique_ptr<HttpServer> ExecdServer::assemble(Router& router, ExecutorRegistry& executors, ModuleLoader& modules,
	RequestDispatcher& dispatcher, const CoreSettings& settings, const HttpSettings& http)
{
	for (const Route& route: coreRoutes(executors))
		router.add(route, "core");
	router.add(readyRoute(_ready), "core");
	dispatcher.allowWithoutToken("/ready");
	Poco::Path dropIn(_launcher.empty() ? config().getString("application.path") : _launcher);
	dropIn.setFileName("");
	dropIn.pushDirectory("modules");
	modules.load(*_pSettings, dropIn.toString());
	warnUnknownCoreKeys();   // now that the modules read execd.modules.*
	router.add(capabilitiesRoute(modules.names(), executors), "core");
	modules.start();
	auto pServer = std::make_unique<HttpServer>(http, dispatcher);
	if (!settings.portFile.empty())
	{
		std::string tmp = settings.portFile + ".tmp";
		{
			Poco::FileOutputStream out(tmp);
			out << pServer->port() << "\n";
		}
		Poco::File(tmp).renameTo(settings.portFile);
	}
	return pServer;
}


int ExecdServer::serve(HttpServer& server, const CoreSettings& settings, InitSupervisor* pInit)
{
	StreamRegistry::instance().start(settings.pingInterval);
	Metrics::instance().addGauge("execd_active_streams", "Open SSE streams (code, command and session runs).",
		[] { return static_cast<double>(StreamRegistry::instance().active()); });
	HttpServer* pHttp = &server;
	Metrics::instance().addGauge("execd_http_open_connections", "Open client connections, busy or between requests.",
		[pHttp] { return static_cast<double>(pHttp->openConnections()); });
	// Classic startup: user workloads may run as soon as we answer. With
	// --init, once the entrypoint was launched.
	if (!pInit) _ready = true;
	server.start();
	Housekeeper housekeeper(server);
	if (pInit) return pInit->run();
	waitForTerminationRequest();
	return Poco::Util::Application::EXIT_OK;
}


void ExecdServer::shutDown(std::unique_ptr<HttpServer>& pServer, ModuleLoader& modules, Router& router,
	const CoreSettings& settings, int status)
{
	// Orderly shutdown: stop accepting, let modules end their work (open streams
	// get their final events), wait for streams up to the grace period, then cut
	// what is left. The watchdog holds us to grace + 1 s whatever happens.
	logger().information("shutting down");
	ShutdownWatchdog watchdog(settings.gracefulShutdownTimeout + std::chrono::milliseconds(900), _commandLine.init() ? status : 1);
	auto deadline = std::chrono::steady_clock::now() + settings.gracefulShutdownTimeout;
	Metrics::instance().removeGauge("execd_http_open_connections");
	pServer->stopAccepting();
	RunUsage::setDaemonStopping();
	modules.shutdown();
	auto remaining = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
	if (!pServer->waitIdle(std::max(remaining, std::chrono::milliseconds(0))))
		logger().warning("%z connection(s) still open after the grace period; closing them", pServer->openConnections());
	pServer->abortAll();
	pServer->joinAll();
	StreamRegistry::instance().stop();
	int killed = ProcessTree::killDescendants(::getpid());
	if (killed > 0)
		logger().warning("killed %d leftover child process(es)", killed);
	pServer.reset();
	router.clear();
	modules.unload();
	logger().information("stopped");
	Poco::Logger::root().getChannel()->close();   // flush the log before exit
}


} // namespace execd
