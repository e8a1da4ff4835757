// Startup, configuration, module loading failures, shutdown and clone3.

#include "ExecdProcess.h"
#include "execd/Core.h"
#include "Poco/File.h"
#include "Poco/Net/SocketAddress.h"
#include "Poco/Net/StreamSocket.h"
#include "Poco/JSON/Object.h"
#include "Poco/JSON/Parser.h"
#include <cppunit/extensions/HelperMacros.h>
#include <fstream>
#include <future>
#include <regex>
#include <sys/stat.h>
#include <unistd.h>


using namespace execd::test;


namespace {


ExecdProcess::Options withModules(const std::string& load, std::vector<std::string> extra = {})
{
	ExecdProcess::Options o;
	o.properties = {"execd.modules.load = " + load};
	o.properties.insert(o.properties.end(), extra.begin(), extra.end());
	return o;
}


std::string failure(const ExecdProcess::Options& options, int& status)
{
	std::string output;
	status = ExecdProcess::runToExit(options, output);
	return output;
}


bool contains(const std::string& haystack, const std::string& needle)
{
	return haystack.find(needle) != std::string::npos;
}


struct DropIn
	/// A drop-in modules directory (mode 0755) with copies of test modules.
{
	std::string path;

	DropIn()
	{
		char name[] = "/tmp/execd-dropin-XXXXXX";
		path = ::mkdtemp(name);
		::chmod(path.c_str(), 0755);
	}

	~DropIn()
	{
		Poco::File(path).remove(true);
	}

	void add(const std::string& as, const std::string& module = "libexecd_probe.so")
	{
		Poco::File(ExecdProcess::testModuleDir() + "/" + module).copyTo(path + "/" + as);
		::chmod((path + "/" + as).c_str(), 0755);
	}

	void write(const std::string& file, const std::string& text)
	{
		std::ofstream(path + "/" + file) << text;
	}
};


} // namespace


class IntegrationLifecycleTest: public CppUnit::TestFixture
{
	CPPUNIT_TEST_SUITE(IntegrationLifecycleTest);
	CPPUNIT_TEST(testBuiltInDefaultsLoadEveryModule);
	CPPUNIT_TEST(testMissingModuleLibrary);
	CPPUNIT_TEST(testLibraryThatWillNotLoad);
	CPPUNIT_TEST(testLibraryWithoutManifest);
	CPPUNIT_TEST(testLibraryWithoutThatModule);
	CPPUNIT_TEST(testModuleBuiltForAnotherApi);
	CPPUNIT_TEST(testMalformedModuleSetting);
	CPPUNIT_TEST(testModuleRefusingItsConfiguration);
	CPPUNIT_TEST(testRouteClashNamesBothModules);
	CPPUNIT_TEST(testExecutorClashNamesBothModules);
	CPPUNIT_TEST(testUnknownKeysWarn);
	CPPUNIT_TEST(testDisabledModuleIsSkipped);
	CPPUNIT_TEST(testDropInModuleIsLoaded);
	CPPUNIT_TEST(testDropInReplacesListedModule);
	CPPUNIT_TEST(testDropInOthersCanChangeIsRefused);
	CPPUNIT_TEST(testDropInMissingDirectoryIsNoError);
	CPPUNIT_TEST(testMalformedCoreSetting);
	CPPUNIT_TEST(testMissingConfigFile);
	CPPUNIT_TEST(testPrecedenceFlagEnvFile);
	CPPUNIT_TEST(testSingleDashFlagsAndHelp);
	CPPUNIT_TEST(testBadFlagExitsTwo);
	CPPUNIT_TEST(testArgumentsAfterTheFlagsAreIgnored);
	CPPUNIT_TEST(testTokensDoNotReachCommands);
	CPPUNIT_TEST(testPortInUse);
	CPPUNIT_TEST(testLogFile);
	CPPUNIT_TEST(testSigtermWhenIdle);
	CPPUNIT_TEST(testSigtermEndsOpenStreamWithFinalEvent);
	CPPUNIT_TEST(testSigintAlsoStops);
	CPPUNIT_TEST(testClone3CompatOn);
	CPPUNIT_TEST(testClone3CompatOff);
	CPPUNIT_TEST(testClone3CompatReexec);
	CPPUNIT_TEST(testClone3CompatInvalid);
	CPPUNIT_TEST_SUITE_END();

public:
	void testBuiltInDefaultsLoadEveryModule()
	{
		ExecdProcess::Options o;
		o.testModules = false;
		ExecdProcess execd(o);
		CPPUNIT_ASSERT_EQUAL(200, request(execd.port(), "GET", "/ping").status);
		CPPUNIT_ASSERT_EQUAL(0, execd.stop());
		CPPUNIT_ASSERT_MESSAGE(execd.output(), contains(execd.output(), "modules: jupyter, shell, files, metrics"));
	}

	void testMissingModuleLibrary()
	{
		int status = 0;
		std::string out = failure(withModules("probe, ghost"), status);
		CPPUNIT_ASSERT_EQUAL(1, status);
		CPPUNIT_ASSERT_MESSAGE(out, contains(out, "module 'ghost': library " + ExecdProcess::testModuleDir() + "/libexecd_ghost.so does not exist"));
	}

	void testLibraryThatWillNotLoad()
	{
		std::string path = "/tmp/libexecd_garbage_" + std::to_string(::getpid()) + ".so";
		std::ofstream(path) << "this is not an ELF file\n";
		int status = 0;
		std::string out = failure(withModules("garbage", {"module.garbage.library = " + path}), status);
		Poco::File(path).remove();
		CPPUNIT_ASSERT_EQUAL(1, status);
		CPPUNIT_ASSERT_MESSAGE(out, contains(out, "module 'garbage': cannot load " + path));
	}

	void testLibraryWithoutManifest()
	{
		int status = 0;
		std::string out = failure(withModules("nomanifest"), status);
		CPPUNIT_ASSERT_EQUAL(1, status);
		CPPUNIT_ASSERT_MESSAGE(out, contains(out, "module 'nomanifest': cannot load") && contains(out, "No manifest"));
	}

	void testLibraryWithoutThatModule()
	{
		int status = 0;
		std::string out = failure(withModules("other", {"module.other.library = libexecd_broken.so"}), status);
		CPPUNIT_ASSERT_EQUAL(1, status);
		CPPUNIT_ASSERT_MESSAGE(out, contains(out, "provides no module of that name (it provides: broken)"));
	}

	void testModuleBuiltForAnotherApi()
	{
		int status = 0;
		std::string out = failure(withModules("oldapi"), status);
		CPPUNIT_ASSERT_EQUAL(1, status);
		const std::string expected = "was built for module API version " + std::to_string(execd::MODULE_API_VERSION - 1)
			+ ", this execd has version " + std::to_string(execd::MODULE_API_VERSION) + "; rebuild it";
		CPPUNIT_ASSERT_MESSAGE(out, contains(out, expected));
	}

	void testMalformedModuleSetting()
	{
		int status = 0;
		std::string out = failure(withModules("broken", {"module.broken.count = lots"}), status);
		CPPUNIT_ASSERT_EQUAL(1, status);
		CPPUNIT_ASSERT_MESSAGE(out, contains(out, "module.broken.count: 'lots' is not an integer"));
	}

	void testModuleRefusingItsConfiguration()
	{
		int status = 0;
		std::string out = failure(withModules("broken", {"module.broken.fail = true"}), status);
		CPPUNIT_ASSERT_EQUAL(1, status);
		CPPUNIT_ASSERT_MESSAGE(out, contains(out, "module 'broken': Runtime exception: asked to fail"));
	}

	void testRouteClashNamesBothModules()
	{
		int status = 0;
		std::string out = failure(withModules("probe, clash", {"module.clash.routeClash = true"}), status);
		CPPUNIT_ASSERT_EQUAL(1, status);
		CPPUNIT_ASSERT_MESSAGE(out, contains(out, "route GET /test/clone3 is registered by both module 'probe' and module 'clash'"));
	}

	void testExecutorClashNamesBothModules()
	{
		int status = 0;
		std::string out = failure(withModules("probe, clash", {"module.clash.executorClash = true"}), status);
		CPPUNIT_ASSERT_EQUAL(1, status);
		CPPUNIT_ASSERT_MESSAGE(out, contains(out, "executor code:sleepy is registered by both module 'probe' and module 'clash'"));
	}

	void testUnknownKeysWarn()
	{
		ExecdProcess execd(withModules("probe", {"module.probe.greting = typo", "execd.prot = 1", "module.nothere.x = 1"}));
		execd.stop();
		std::string out = execd.output();
		CPPUNIT_ASSERT_MESSAGE(out, contains(out, "unknown setting module.probe.greting"));
		CPPUNIT_ASSERT_MESSAGE(out, contains(out, "unknown setting execd.prot"));
		CPPUNIT_ASSERT_MESSAGE(out, contains(out, "module.nothere.* is configured, but module 'nothere' is not in execd.modules.load"));
	}

	void testDisabledModuleIsSkipped()
	{
		ExecdProcess execd(withModules("probe, ghost", {"module.ghost.enabled = false"}));
		CPPUNIT_ASSERT_EQUAL(200, request(execd.port(), "GET", "/ping").status);
	}

	void testDropInModuleIsLoaded()
	{
		DropIn dropIn;
		dropIn.add("libexecd_probe.so");
		dropIn.write("README", "not a module\n");
		dropIn.add("libexecd_Not-A-Name.so");
		ExecdProcess::Options o;
		o.testModules = false;
		o.properties = {"execd.modules.load = files", "execd.modules.dropIn = " + dropIn.path, "module.probe.greeting = dropped in"};
		ExecdProcess execd(o);
		HttpResult r = request(execd.port(), "GET", "/test/config");
		CPPUNIT_ASSERT_EQUAL(200, r.status);
		CPPUNIT_ASSERT_EQUAL(std::string("dropped in"), object(r.body)->getValue<std::string>("greeting"));
		CPPUNIT_ASSERT_EQUAL(0, execd.stop());
		CPPUNIT_ASSERT_MESSAGE(execd.output(), contains(execd.output(), "loaded module 'probe' from " + dropIn.path + "/libexecd_probe.so"));
		CPPUNIT_ASSERT_MESSAGE(execd.output(), contains(execd.output(), "ignoring " + dropIn.path + "/libexecd_Not-A-Name.so"));
		CPPUNIT_ASSERT_MESSAGE(execd.output(), !contains(execd.output(), "unknown setting module.probe"));
	}

	void testDropInReplacesListedModule()
	{
		// A listed module found in the drop-in directory comes from there; an
		// explicit module.<name>.library still wins.
		DropIn dropIn;
		dropIn.add("libexecd_probe.so");
		ExecdProcess execd(withModules("probe", {"execd.modules.dropIn = " + dropIn.path}));
		CPPUNIT_ASSERT_EQUAL(200, request(execd.port(), "GET", "/test/config").status);
		CPPUNIT_ASSERT_EQUAL(0, execd.stop());
		CPPUNIT_ASSERT_MESSAGE(execd.output(), contains(execd.output(), "loaded module 'probe' from " + dropIn.path + "/libexecd_probe.so"));

		ExecdProcess pinned(withModules("probe", {"execd.modules.dropIn = " + dropIn.path,
			"module.probe.library = " + ExecdProcess::testModuleDir() + "/libexecd_probe.so"}));
		CPPUNIT_ASSERT_EQUAL(0, pinned.stop());
		CPPUNIT_ASSERT_MESSAGE(pinned.output(), contains(pinned.output(), "loaded module 'probe' from " + ExecdProcess::testModuleDir() + "/libexecd_probe.so"));
	}

	void testDropInOthersCanChangeIsRefused()
	{
		// execd runs a drop-in's code as root: a directory or a library that
		// another user owns or may write stops startup, naming it.
		DropIn dropIn;
		dropIn.add("libexecd_probe.so");
		ExecdProcess::Options o = withModules("files", {"execd.modules.dropIn = " + dropIn.path});
		o.testModules = false;
		int status = 0;

		CPPUNIT_ASSERT_EQUAL(0, ::chmod(dropIn.path.c_str(), 0777));
		std::string out = failure(o, status);
		CPPUNIT_ASSERT_EQUAL(1, status);
		CPPUNIT_ASSERT_MESSAGE(out, contains(out, "execd.modules.dropIn: " + dropIn.path + " is writable by group or others"));
		CPPUNIT_ASSERT_EQUAL(0, ::chmod(dropIn.path.c_str(), 0755));

		std::string library = dropIn.path + "/libexecd_probe.so";
		CPPUNIT_ASSERT_EQUAL(0, ::chmod(library.c_str(), 0664));
		out = failure(o, status);
		CPPUNIT_ASSERT_EQUAL(1, status);
		CPPUNIT_ASSERT_MESSAGE(out, contains(out, library + " is writable by group or others"));
		CPPUNIT_ASSERT_EQUAL(0, ::chmod(library.c_str(), 0644));

		// Any file there (a module's own libraries sit next to it), not only modules.
		dropIn.write("libhelper.so.1", "x");
		CPPUNIT_ASSERT_EQUAL(0, ::chmod((dropIn.path + "/libhelper.so.1").c_str(), 0666));
		out = failure(o, status);
		CPPUNIT_ASSERT_EQUAL(1, status);
		CPPUNIT_ASSERT_MESSAGE(out, contains(out, dropIn.path + "/libhelper.so.1 is writable by group or others"));
		::unlink((dropIn.path + "/libhelper.so.1").c_str());

		// A link could point anywhere, to what others can change.
		CPPUNIT_ASSERT_EQUAL(0, ::symlink(library.c_str(), (dropIn.path + "/libexecd_linked.so").c_str()));
		out = failure(o, status);
		CPPUNIT_ASSERT_EQUAL(1, status);
		CPPUNIT_ASSERT_MESSAGE(out, contains(out, dropIn.path + "/libexecd_linked.so is a symbolic link"));
		::unlink((dropIn.path + "/libexecd_linked.so").c_str());

		// A directory above that others may write (and not sticky, as /tmp is).
		DropIn outer;
		std::string inner = outer.path + "/modules";
		CPPUNIT_ASSERT_EQUAL(0, ::mkdir(inner.c_str(), 0755));
		Poco::File(library).copyTo(inner + "/libexecd_probe.so");
		CPPUNIT_ASSERT_EQUAL(0, ::chmod(outer.path.c_str(), 0777));
		ExecdProcess::Options nested = withModules("files", {"execd.modules.dropIn = " + inner});
		nested.testModules = false;
		out = failure(nested, status);
		CPPUNIT_ASSERT_EQUAL(1, status);
		CPPUNIT_ASSERT_MESSAGE(out, contains(out, "execd.modules.dropIn: " + outer.path + " is writable by group or others"));
		CPPUNIT_ASSERT_EQUAL(0, ::chmod(outer.path.c_str(), 01777));
		ExecdProcess sticky(nested);
		CPPUNIT_ASSERT_EQUAL(200, request(sticky.port(), "GET", "/test/config").status);

		if (::geteuid() == 0)
		{
			CPPUNIT_ASSERT_EQUAL(0, ::chown(library.c_str(), 65534, 65534));
			out = failure(o, status);
			CPPUNIT_ASSERT_EQUAL(1, status);
			CPPUNIT_ASSERT_MESSAGE(out, contains(out, library + " belongs to uid 65534"));
		}
	}

	void testDropInMissingDirectoryIsNoError()
	{
		ExecdProcess execd(withModules("probe", {"execd.modules.dropIn = /nonexistent/modules"}));
		CPPUNIT_ASSERT_EQUAL(200, request(execd.port(), "GET", "/test/config").status);
	}

	void testMalformedCoreSetting()
	{
		int status = 0;
		std::string out = failure(withModules("probe", {"execd.http.maxThreads = many"}), status);
		CPPUNIT_ASSERT_EQUAL(1, status);
		CPPUNIT_ASSERT_MESSAGE(out, contains(out, "execd.http.maxThreads: 'many' is not an integer"));
		out = failure(withModules("probe", {"execd.gracefulShutdownTimeoutMillis = later"}), status);
		CPPUNIT_ASSERT_EQUAL(1, status);
		CPPUNIT_ASSERT_MESSAGE(out, contains(out, "execd.gracefulShutdownTimeoutMillis: 'later'"));
	}

	void testMissingConfigFile()
	{
		ExecdProcess::Options o = withModules("probe");
		o.args = {"--config", "/nonexistent/execd.properties"};
		int status = 0;
		std::string out = failure(o, status);
		CPPUNIT_ASSERT_EQUAL(1, status);
		CPPUNIT_ASSERT_MESSAGE(out, contains(out, "/nonexistent/execd.properties does not exist"));
	}

	void testPrecedenceFlagEnvFile()
	{
		auto accepted = [](ExecdProcess& execd, const std::string& token)
		{
			return request(execd.port(), "GET", "/ping", "", {{"X-EXECD-ACCESS-TOKEN", token}}).status == 200;
		};
		{
			ExecdProcess::Options o = withModules("probe", {"execd.accessToken = file"});
			o.env = {{"EXECD_ACCESS_TOKEN", "env"}};
			o.args = {"--access-token=flag"};
			ExecdProcess execd(o);
			CPPUNIT_ASSERT(accepted(execd, "flag") && !accepted(execd, "env") && !accepted(execd, "file"));
		}
		{
			ExecdProcess::Options o = withModules("probe", {"execd.accessToken = file"});
			o.env = {{"EXECD_ACCESS_TOKEN", "env"}};
			ExecdProcess execd(o);
			CPPUNIT_ASSERT(accepted(execd, "env") && !accepted(execd, "file"));
		}
		{
			ExecdProcess::Options o = withModules("probe", {"execd.accessToken = file"});
			o.env = {{"EXECD_ACCESS_TOKEN", ""}};   // empty = unset
			ExecdProcess execd(o);
			CPPUNIT_ASSERT(accepted(execd, "file"));
		}
		{
			ExecdProcess::Options o = withModules("probe", {"module.probe.greeting = from-file"});
			o.args = {"-D", "module.probe.greeting=from-flag"};
			ExecdProcess execd(o);
			CPPUNIT_ASSERT(contains(request(execd.port(), "GET", "/test/config").body, "from-flag"));
		}
	}

	void testSingleDashFlagsAndHelp()
	{
		ExecdProcess::Options o = withModules("probe");
		o.args = {"-log-level=7", "-graceful-shutdown-timeout=500ms", "-jupyter-host=http://127.0.0.1:1", "-jupyter-token", "x"};
		ExecdProcess execd(o);
		CPPUNIT_ASSERT_EQUAL(200, request(execd.port(), "GET", "/ping").status);

		ExecdProcess::Options h;
		h.args = {"--help"};
		int status = 0;
		std::string out = failure(h, status);
		CPPUNIT_ASSERT_EQUAL(0, status);
		CPPUNIT_ASSERT(contains(out, "Usage:") && contains(out, "--graceful-shutdown-timeout"));
	}

	void testBadFlagExitsTwo()
	{
		ExecdProcess::Options o;
		o.args = {"--no-such-flag"};
		int status = 0;
		std::string out = failure(o, status);
		CPPUNIT_ASSERT_EQUAL(2, status);
		CPPUNIT_ASSERT(contains(out, "flag provided but not defined: -no-such-flag"));
		o.args = {"--log-level=loud"};
		out = failure(o, status);
		CPPUNIT_ASSERT_EQUAL(2, status);
		o.args = {};
		o.env = {{"JUPYTER_HOST", "127.0.0.1:8888"}};
		out = failure(o, status);
		CPPUNIT_ASSERT_EQUAL(2, status);
		CPPUNIT_ASSERT(contains(out, "JUPYTER_HOST"));
	}

	void testArgumentsAfterTheFlagsAreIgnored()
	{
		// As OpenSandbox's image build starts it: "./execd tail -f /dev/null".
		ExecdProcess::Options o = ExecdProcess::probe();
		o.args = {"tail", "-f", "/dev/null"};
		ExecdProcess execd(o);
		CPPUNIT_ASSERT_EQUAL(200, request(execd.port(), "GET", "/ping").status);
		execd.stop();
		std::string out = execd.output();
		CPPUNIT_ASSERT_MESSAGE(out, contains(out, "execd: ignoring arguments after the flags: tail -f /dev/null\n"));
		// An unknown flag before them still stops startup.
		o.args = {"--bogus", "tail"};
		int status = 0;
		out = failure(o, status);
		CPPUNIT_ASSERT_EQUAL(2, status);
	}

	void testTokensDoNotReachCommands()
	{
		ExecdProcess::Options o = withModules("shell");
		o.testModules = false;   // the real shell module
		o.env = {{"EXECD_ACCESS_TOKEN", "access-secret-41"}, {"JUPYTER_TOKEN", "jupyter-secret-97"}};
		ExecdProcess execd(o);
		HttpResult r = request(execd.port(), "POST", "/command", "{\"command\":\"env\"}",
			{{"X-EXECD-ACCESS-TOKEN", "access-secret-41"}});
		CPPUNIT_ASSERT_EQUAL(200, r.status);
		CPPUNIT_ASSERT_MESSAGE(r.body, r.body.find("PATH=") != std::string::npos);
		CPPUNIT_ASSERT_MESSAGE(r.body, r.body.find("access-secret-41") == std::string::npos);
		CPPUNIT_ASSERT_MESSAGE(r.body, r.body.find("jupyter-secret-97") == std::string::npos);
	}

	void testPortInUse()
	{
		ExecdProcess first(withModules("probe"));
		ExecdProcess::Options o = withModules("probe");
		o.args = {"--port", std::to_string(first.port())};
		int status = 0;
		std::string out = failure(o, status);
		CPPUNIT_ASSERT_EQUAL(1, status);
		CPPUNIT_ASSERT_MESSAGE(out, contains(out, "startup failed"));
	}

	void testLogFile()
	{
		std::string path = "/tmp/execd-logfile-" + std::to_string(::getpid()) + ".log";
		ExecdProcess::Options o = withModules("probe");
		o.env = {{"EXECD_LOG_FILE", path}};
		{
			ExecdProcess execd(o);
			request(execd.port(), "GET", "/ping");
			CPPUNIT_ASSERT_EQUAL(0, execd.stop());
		}
		std::ifstream in(path);
		std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
		Poco::File(path).remove();
		CPPUNIT_ASSERT_MESSAGE(text, contains(text, "GET /ping 200") && contains(text, "stopped"));

		// OPENSANDBOX_LOG_OUTPUT: several destinations at once.
		std::string second = path + ".2";
		o.env = {{"OPENSANDBOX_LOG_OUTPUT", path + "," + second}};
		{
			ExecdProcess execd(o);
			request(execd.port(), "GET", "/ping");
			CPPUNIT_ASSERT_EQUAL(0, execd.stop());
		}
		for (const std::string& p: {path, second})
		{
			std::ifstream log(p);
			std::string content((std::istreambuf_iterator<char>(log)), std::istreambuf_iterator<char>());
			Poco::File(p).remove();
			CPPUNIT_ASSERT_MESSAGE(p, contains(content, "GET /ping 200"));
		}

		o.env = {{"EXECD_LOG_FILE", "/nonexistent-dir/x.log"}};
		int status = 0;
		std::string out = failure(o, status);
		CPPUNIT_ASSERT_EQUAL(1, status);
		CPPUNIT_ASSERT_MESSAGE(out, contains(out, "/nonexistent-dir/x.log"));
	}

	void testSigtermWhenIdle()
	{
		ExecdProcess execd(withModules("probe"));
		auto start = std::chrono::steady_clock::now();
		CPPUNIT_ASSERT_EQUAL(0, execd.stop(std::chrono::seconds(3)));
		CPPUNIT_ASSERT(std::chrono::steady_clock::now() - start < std::chrono::seconds(2));
	}

	void testSigtermEndsOpenStreamWithFinalEvent()
	{
		ExecdProcess::Options o = withModules("probe");
		o.args = {"--graceful-shutdown-timeout", "1s"};
		ExecdProcess execd(o);
		// Idle keep-alive connections must not hold shutdown up either.
		Poco::Net::StreamSocket idle;
		idle.connect(Poco::Net::SocketAddress("127.0.0.1", static_cast<Poco::UInt16>(execd.port())));
		auto stream = std::async(std::launch::async, [&] {
			return request(execd.port(), "POST", "/code", "{\"code\":\"60000\",\"context\":{\"language\":\"sleepy\"}}");
		});
		auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
		while (request(execd.port(), "GET", "/code/contexts").body == "[]" && std::chrono::steady_clock::now() < deadline)
		{
		}
		auto start = std::chrono::steady_clock::now();
		int status = execd.stop(std::chrono::seconds(5));
		auto took = std::chrono::steady_clock::now() - start;
		CPPUNIT_ASSERT_EQUAL(0, status);
		CPPUNIT_ASSERT_MESSAGE(std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(took).count()) + " ms",
			took < std::chrono::seconds(2));
		HttpResult r = stream.get();
		std::vector<std::string> events = withoutPings(sseEvents(r.body));
		CPPUNIT_ASSERT_MESSAGE(r.body, events.size() >= 4);
		CPPUNIT_ASSERT(contains(r.body, "\"ename\":\"Shutdown\""));
		CPPUNIT_ASSERT(contains(events.back(), "\"type\":\"execution_complete\""));
		CPPUNIT_ASSERT(r.rawBody.size() >= 5 && r.rawBody.compare(r.rawBody.size() - 5, 5, "0\r\n\r\n") == 0);
	}

	void testSigintAlsoStops()
	{
		ExecdProcess execd(withModules("probe"));
		CPPUNIT_ASSERT_EQUAL(0, execd.stop(std::chrono::seconds(3), 2));
	}

	void testClone3CompatOn()
	{
		for (const char* value: {"1", "true", " ON ", "yes"})
		{
			ExecdProcess::Options o = withModules("probe");
			o.env = {{"EXECD_CLONE3_COMPAT", value}};
			ExecdProcess execd(o);
			HttpResult r = request(execd.port(), "GET", "/test/clone3");
			CPPUNIT_ASSERT_MESSAGE(value + r.body, contains(r.body, "\"enosys\":true"));
			execd.stop();
			CPPUNIT_ASSERT(contains(execd.output(), "clone3 compatibility is active"));
		}
	}

	void testClone3CompatOff()
	{
		for (const char* value: {"", "0", "false", "off", "no"})
		{
			ExecdProcess::Options o = withModules("probe");
			o.env = {{"EXECD_CLONE3_COMPAT", value}};
			ExecdProcess execd(o);
			HttpResult r = request(execd.port(), "GET", "/test/clone3");
			CPPUNIT_ASSERT_MESSAGE(value + r.body, contains(r.body, "\"enosys\":false"));
		}
	}

	void testClone3CompatReexec()
	{
		ExecdProcess::Options o = withModules("probe");
		o.env = {{"EXECD_CLONE3_COMPAT", "reexec"}};
		ExecdProcess execd(o);
		HttpResult r = request(execd.port(), "GET", "/test/clone3");
		CPPUNIT_ASSERT_MESSAGE(r.body, contains(r.body, "\"enosys\":true"));
		std::ifstream in("/proc/" + std::to_string(execd.pid()) + "/environ");
		std::string env((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
		CPPUNIT_ASSERT(contains(env, std::string("_EXECD_CLONE3_COMPAT_APPLIED=1")));
		std::ifstream status("/proc/" + std::to_string(execd.pid()) + "/status");
		std::string text((std::istreambuf_iterator<char>(status)), std::istreambuf_iterator<char>());
		CPPUNIT_ASSERT(std::regex_search(text, std::regex("NoNewPrivs:\\s+1")));
	}

	void testClone3CompatInvalid()
	{
		ExecdProcess::Options o = withModules("probe");
		o.env = {{"EXECD_CLONE3_COMPAT", "sometimes"}};
		int status = 0;
		std::string out = failure(o, status);
		CPPUNIT_ASSERT_EQUAL(1, status);
		CPPUNIT_ASSERT_EQUAL(std::string("execd: invalid EXECD_CLONE3_COMPAT=\"sometimes\" (use 1, true, or reexec)\n"), out);
	}
};


CPPUNIT_TEST_SUITE_REGISTRATION(IntegrationLifecycleTest);
