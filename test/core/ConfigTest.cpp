#include "config/CommandLine.h"
#include "execd/ApiException.h"
#include "execd/ConfigReader.h"
#include "execd/ModuleContext.h"
#include "Poco/Util/MapConfiguration.h"
#include <cppunit/extensions/HelperMacros.h>


using execd::CommandLine;
using execd::ConfigReader;
using execd::ConfigurationException;


class ConfigTest: public CppUnit::TestFixture
{
	CPPUNIT_TEST_SUITE(ConfigTest);
	CPPUNIT_TEST(testDurations);
	CPPUNIT_TEST(testMalformedDurations);
	CPPUNIT_TEST(testIntErrorsNameTheKey);
	CPPUNIT_TEST(testBoolValues);
	CPPUNIT_TEST(testMillisAcceptsDurations);
	CPPUNIT_TEST(testListSplitsOnCommasAndSpaces);
	CPPUNIT_TEST(testMissingKeysKeepDefaults);
	CPPUNIT_TEST(testEveryFlagForm);
	CPPUNIT_TEST(testFlagValuesAreNormalised);
	CPPUNIT_TEST(testBadFlags);
	CPPUNIT_TEST(testPositionalArgumentsEndTheFlags);
	CPPUNIT_TEST(testHelp);
	CPPUNIT_TEST(testInitIsABooleanFlag);
	CPPUNIT_TEST(testLogLevelIsClamped);
	CPPUNIT_TEST(testDefine);
	CPPUNIT_TEST(testEnvironmentMapping);
	CPPUNIT_TEST(testEmptyEnvironmentIsUnset);
	CPPUNIT_TEST(testBadEnvironment);
	CPPUNIT_TEST(testSecretsComeFromTheFlagTable);
	CPPUNIT_TEST(testUnreadKeysAreReported);
	CPPUNIT_TEST_SUITE_END();

public:
	void testDurations()
	{
		CPPUNIT_ASSERT_EQUAL(Poco::Int64(1000), ConfigReader::parseDurationMillis("1s"));
		CPPUNIT_ASSERT_EQUAL(Poco::Int64(500), ConfigReader::parseDurationMillis("500ms"));
		CPPUNIT_ASSERT_EQUAL(Poco::Int64(90000), ConfigReader::parseDurationMillis("1m30s"));
		CPPUNIT_ASSERT_EQUAL(Poco::Int64(5400000), ConfigReader::parseDurationMillis("1.5h"));
		CPPUNIT_ASSERT_EQUAL(Poco::Int64(0), ConfigReader::parseDurationMillis("0"));
		CPPUNIT_ASSERT_EQUAL(Poco::Int64(250), ConfigReader::parseDurationMillis("250"));
		CPPUNIT_ASSERT_EQUAL(Poco::Int64(2), ConfigReader::parseDurationMillis("2000us"));
		CPPUNIT_ASSERT_EQUAL(Poco::Int64(2), ConfigReader::parseDurationMillis("2000\xC2\xB5s"));
		CPPUNIT_ASSERT_EQUAL(Poco::Int64(-1000), ConfigReader::parseDurationMillis("-1s"));
		CPPUNIT_ASSERT_EQUAL(Poco::Int64(1), ConfigReader::parseDurationMillis("1000000ns"));
	}

	void testMalformedDurations()
	{
		for (const char* bad: {"", "s", "1x", "abc", "1s2", "--1s", "1.2.3s"})
			CPPUNIT_ASSERT_THROW_MESSAGE(bad, ConfigReader::parseDurationMillis(bad), Poco::SyntaxException);
	}

	void testIntErrorsNameTheKey()
	{
		Poco::AutoPtr<Poco::Util::MapConfiguration> pConfig(new Poco::Util::MapConfiguration);
		pConfig->setString("count", "abc");
		pConfig->setString("big", "1000");
		ConfigReader reader(*pConfig, "module.shell");
		try
		{
			reader.getInt("count", 1, 0, 10);
			CPPUNIT_FAIL("accepted abc");
		}
		catch (ConfigurationException& exc)
		{
			CPPUNIT_ASSERT_EQUAL(std::string("module.shell.count: 'abc' is not an integer"), exc.message());
		}
		try
		{
			reader.getInt("big", 1, 0, 10);
			CPPUNIT_FAIL("accepted 1000");
		}
		catch (ConfigurationException& exc)
		{
			CPPUNIT_ASSERT(exc.message().find("module.shell.big") == 0);
			CPPUNIT_ASSERT(exc.message().find("out of range") != std::string::npos);
		}
	}

	void testBoolValues()
	{
		Poco::AutoPtr<Poco::Util::MapConfiguration> pConfig(new Poco::Util::MapConfiguration);
		ConfigReader reader(*pConfig, "x");
		for (const char* yes: {"true", "YES", "on", "1"})
		{
			pConfig->setString("b", yes);
			CPPUNIT_ASSERT(reader.getBool("b", false));
		}
		for (const char* no: {"false", "No", "off", "0"})
		{
			pConfig->setString("b", no);
			CPPUNIT_ASSERT(!reader.getBool("b", true));
		}
		pConfig->setString("b", "maybe");
		CPPUNIT_ASSERT_THROW(reader.getBool("b", true), ConfigurationException);
	}

	void testMillisAcceptsDurations()
	{
		Poco::AutoPtr<Poco::Util::MapConfiguration> pConfig(new Poco::Util::MapConfiguration);
		ConfigReader reader(*pConfig, "execd");
		pConfig->setString("t", "2s");
		CPPUNIT_ASSERT_EQUAL(2000L, static_cast<long>(reader.getMillis("t", std::chrono::milliseconds(1), std::chrono::milliseconds(0), std::chrono::hours(1)).count()));
		pConfig->setString("t", "1500");
		CPPUNIT_ASSERT_EQUAL(1500L, static_cast<long>(reader.getMillis("t", std::chrono::milliseconds(1), std::chrono::milliseconds(0), std::chrono::hours(1)).count()));
		pConfig->setString("t", "soon");
		try
		{
			reader.getMillis("t", std::chrono::milliseconds(1), std::chrono::milliseconds(0), std::chrono::hours(1));
			CPPUNIT_FAIL("accepted soon");
		}
		catch (ConfigurationException& exc)
		{
			CPPUNIT_ASSERT(exc.message().find("execd.t: 'soon'") == 0);
		}
	}

	void testListSplitsOnCommasAndSpaces()
	{
		Poco::AutoPtr<Poco::Util::MapConfiguration> pConfig(new Poco::Util::MapConfiguration);
		pConfig->setString("l", " jupyter, shell  files,,metrics ");
		ConfigReader reader(*pConfig, "");
		std::vector<std::string> want{"jupyter", "shell", "files", "metrics"};
		CPPUNIT_ASSERT(want == reader.getList("l", {}));
		pConfig->setString("l", "");
		CPPUNIT_ASSERT(reader.getList("l", {"x"}).empty());
	}

	void testMissingKeysKeepDefaults()
	{
		Poco::AutoPtr<Poco::Util::MapConfiguration> pConfig(new Poco::Util::MapConfiguration);
		ConfigReader reader(*pConfig, "m");
		CPPUNIT_ASSERT_EQUAL(7, reader.getInt("n", 7, 0, 10));
		CPPUNIT_ASSERT_EQUAL(std::string("d"), reader.getString("s", "d"));
		CPPUNIT_ASSERT(reader.getBool("b", true));
		CPPUNIT_ASSERT(std::vector<std::string>{"a"} == reader.getList("l", {"a"}));
	}

	void testEveryFlagForm()
	{
		for (std::vector<std::string> args: std::vector<std::vector<std::string>>{
			{"-port=1234"}, {"--port=1234"}, {"-port", "1234"}, {"--port", "1234"}})
		{
			CommandLine cl;
			cl.parse(args);
			CPPUNIT_ASSERT_EQUAL(std::string("1234"), cl.settings().at("execd.port"));
		}
		CommandLine cl;
		cl.parse({"-jupyter-host=http://127.0.0.1:54321", "--jupyter-token=abc", "--log-level=7", "-access-token", "t0k"});
		CPPUNIT_ASSERT_EQUAL(std::string("http://127.0.0.1:54321"), cl.settings().at("module.jupyter.host"));
		CPPUNIT_ASSERT_EQUAL(std::string("abc"), cl.settings().at("module.jupyter.token"));
		CPPUNIT_ASSERT_EQUAL(std::string("7"), cl.settings().at("execd.logLevel"));
		CPPUNIT_ASSERT_EQUAL(std::string("t0k"), cl.settings().at("execd.accessToken"));
	}

	void testInitIsABooleanFlag()
	{
		CommandLine cl;
		cl.parse({"--init", "--port", "1", "--", "sh", "-c", "exit 3"});
		CPPUNIT_ASSERT(cl.init());
		CPPUNIT_ASSERT_EQUAL(std::string("1"), cl.settings().at("execd.port"));
		CPPUNIT_ASSERT(std::vector<std::string>({"sh", "-c", "exit 3"}) == cl.positional());
		for (const char* yes: {"-init=true", "-init=1", "--init=T", "-init=TRUE"})
		{
			CommandLine c;
			c.parse({yes});
			CPPUNIT_ASSERT_MESSAGE(yes, c.init());
		}
		CommandLine off;
		off.parse({"-init=false", "tail"});   // as in Go, a bool flag takes no separate value
		CPPUNIT_ASSERT(!off.init());
		CPPUNIT_ASSERT(std::vector<std::string>({"tail"}) == off.positional());
		CommandLine bad;
		CPPUNIT_ASSERT_THROW(bad.parse({"--init=maybe"}), CommandLine::Error);
		CPPUNIT_ASSERT(!CommandLine().init());
	}

	void testFlagValuesAreNormalised()
	{
		CommandLine cl;
		cl.parse({"--graceful-shutdown-timeout=1m30s", "--jupyter-idle-poll-interval", "250ms", "--config", "/etc/x.properties"});
		CPPUNIT_ASSERT_EQUAL(std::string("90000"), cl.settings().at("execd.gracefulShutdownTimeoutMillis"));
		CPPUNIT_ASSERT_EQUAL(std::string("250"), cl.settings().at("module.jupyter.idlePollIntervalMillis"));
		CPPUNIT_ASSERT_EQUAL(std::string("/etc/x.properties"), cl.configFile());
	}

	void testBadFlags()
	{
		for (std::vector<std::string> args: std::vector<std::vector<std::string>>{
			{"--nope=1"}, {"--port"}, {"--port=abc"}, {"--port=70000"}, {"--log-level=high"},
			{"--graceful-shutdown-timeout=soon"}, {"--define=novalue"}, {"--bogus", "tail"}})
		{
			CommandLine cl;
			CPPUNIT_ASSERT_THROW_MESSAGE(args[0], cl.parse(args), CommandLine::Error);
		}
		CommandLine cl;
		try
		{
			cl.parse({"-bogus"});
		}
		catch (CommandLine::Error& error)
		{
			CPPUNIT_ASSERT_EQUAL(std::string("flag provided but not defined: -bogus"), error.message);
		}
	}

	void testPositionalArgumentsEndTheFlags()
	{
		// OpenSandbox's image build: "execd tail -f /dev/null". Go's flag package
		// stops at "tail", so "-f" is not a flag.
		CommandLine cl;
		cl.parse({"tail", "-f", "/dev/null"});
		CPPUNIT_ASSERT_EQUAL(std::size_t(3), cl.positional().size());
		CPPUNIT_ASSERT_EQUAL(std::string("-f"), cl.positional()[1]);
		CPPUNIT_ASSERT(cl.settings().empty());
		CommandLine withFlags;
		withFlags.parse({"--port", "1234", "stray", "--bogus"});
		CPPUNIT_ASSERT_EQUAL(std::string("1234"), withFlags.settings().at("execd.port"));
		CPPUNIT_ASSERT_EQUAL(std::size_t(2), withFlags.positional().size());
		CommandLine dashes;
		dashes.parse({"-port=1", "--", "-port=2"});
		CPPUNIT_ASSERT_EQUAL(std::string("1"), dashes.settings().at("execd.port"));
		CPPUNIT_ASSERT_EQUAL(std::string("-port=2"), dashes.positional().at(0));
		CommandLine dash;
		dash.parse({"-", "x"});
		CPPUNIT_ASSERT_EQUAL(std::size_t(2), dash.positional().size());
	}

	void testHelp()
	{
		for (const char* h: {"-h", "--help", "-help"})
		{
			CommandLine cl;
			cl.parse({h});
			CPPUNIT_ASSERT(cl.help());
		}
		std::string usage = CommandLine::usage("execd");
		for (const char* flag: {"--port", "--log-level", "--access-token", "--jupyter-host", "--jupyter-token",
			"--graceful-shutdown-timeout", "--jupyter-idle-poll-interval", "--config"})
			CPPUNIT_ASSERT_MESSAGE(flag, usage.find(flag) != std::string::npos);
	}

	void testLogLevelIsClamped()
	{
		CommandLine high;
		high.parse({"--log-level=9"});
		CPPUNIT_ASSERT_EQUAL(std::string("7"), high.settings().at("execd.logLevel"));
		CommandLine low;
		low.parse({"-log-level", "-1"});
		CPPUNIT_ASSERT_EQUAL(std::string("0"), low.settings().at("execd.logLevel"));
	}

	void testDefine()
	{
		CommandLine cl;
		cl.parse({"-D", "module.shell.x=1=2", "--define=execd.http.maxThreads=64"});
		CPPUNIT_ASSERT_EQUAL(std::string("1=2"), cl.settings().at("module.shell.x"));
		CPPUNIT_ASSERT_EQUAL(std::string("64"), cl.settings().at("execd.http.maxThreads"));
	}

	void testEnvironmentMapping()
	{
		auto s = CommandLine::fromEnvironment({
			{"EXECD_ACCESS_TOKEN", "tok"}, {"JUPYTER_HOST", "https://j:1"}, {"JUPYTER_TOKEN", "jt"},
			{"EXECD_API_GRACE_SHUTDOWN", "500ms"}, {"EXECD_JUPYTER_IDLE_POLL_INTERVAL", "2s"},
			{"EXECD_LOG_FILE", "/tmp/x.log"}, {"OPENSANDBOX_LOG_OUTPUT", "stderr,/tmp/y.log"}, {"UNRELATED", "1"}});
		CPPUNIT_ASSERT_EQUAL(std::size_t(7), s.size());
		CPPUNIT_ASSERT_EQUAL(std::string("stderr,/tmp/y.log"), s["execd.logOutput"]);
		CPPUNIT_ASSERT_EQUAL(std::string("tok"), s["execd.accessToken"]);
		CPPUNIT_ASSERT_EQUAL(std::string("https://j:1"), s["module.jupyter.host"]);
		CPPUNIT_ASSERT_EQUAL(std::string("jt"), s["module.jupyter.token"]);
		CPPUNIT_ASSERT_EQUAL(std::string("500"), s["execd.gracefulShutdownTimeoutMillis"]);
		CPPUNIT_ASSERT_EQUAL(std::string("2000"), s["module.jupyter.idlePollIntervalMillis"]);
		CPPUNIT_ASSERT_EQUAL(std::string("/tmp/x.log"), s["execd.logFile"]);
	}

	void testEmptyEnvironmentIsUnset()
	{
		auto s = CommandLine::fromEnvironment({{"EXECD_ACCESS_TOKEN", ""}, {"JUPYTER_HOST", ""}, {"EXECD_API_GRACE_SHUTDOWN", ""}});
		CPPUNIT_ASSERT(s.empty());
	}

	void testSecretsComeFromTheFlagTable()
	{
		// One table says which flags and variables are secret; main() scrubs
		// exactly those from /proc, and -D keys that name a token.
		using execd::CommandLine;
		CPPUNIT_ASSERT(CommandLine::secretFlags() == std::vector<std::string>({"access-token", "jupyter-token"}));
		CPPUNIT_ASSERT(CommandLine::secretVariables() == std::vector<std::string>({"EXECD_ACCESS_TOKEN", "JUPYTER_TOKEN"}));
		for (const char* key: {"execd.accessToken", "module.jupyter.token", "module.custom.apiToken", "module.x.token"})
			CPPUNIT_ASSERT_MESSAGE(key, CommandLine::isSecretKey(key));
		for (const char* key: {"execd.port", "module.jupyter.host", "execd.logFile"})
			CPPUNIT_ASSERT_MESSAGE(key, !CommandLine::isSecretKey(key));
	}

	void testBadEnvironment()
	{
		CPPUNIT_ASSERT_THROW(CommandLine::fromEnvironment({{"JUPYTER_HOST", "127.0.0.1:8888"}}), CommandLine::Error);
		CPPUNIT_ASSERT_THROW(CommandLine::fromEnvironment({{"EXECD_API_GRACE_SHUTDOWN", "forever"}}), CommandLine::Error);
	}

	void testUnreadKeysAreReported()
	{
		Poco::AutoPtr<Poco::Util::MapConfiguration> pConfig(new Poco::Util::MapConfiguration);
		pConfig->setString("module.m.known", "1");
		pConfig->setString("module.m.typo", "2");
		pConfig->setString("module.m.nested.key", "3");
		pConfig->setString("module.m.library", "libx.so");
		pConfig->setString("module.m.enabled", "true");
		execd::ExecutorRegistry registry;
		Poco::AutoPtr<Poco::Util::AbstractConfiguration> pView(pConfig->createView("module.m"));
		execd::ModuleContext context("m", pView, registry);
		CPPUNIT_ASSERT_EQUAL(1, context.settings().getInt("known", 0, 0, 9));
		std::set<std::string> want{"typo", "nested.key"};
		CPPUNIT_ASSERT(want == context.unreadKeys());
	}
};


CPPUNIT_TEST_SUITE_REGISTRATION(ConfigTest);
