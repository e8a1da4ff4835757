// The jupyter module with its embedded Jupyter server and a real Python kernel.

#include "ExecdProcess.h"
#include "JupyterTestSupport.h"
#include "Poco/JSON/Array.h"
#include "Poco/JSON/Object.h"
#include "Poco/JSON/Parser.h"
#include "Poco/File.h"
#include "Poco/Path.h"
#include <algorithm>
#include <atomic>
#include <cctype>
#include <cstdlib>
#include <ctime>
#include <csignal>
#include <cppunit/extensions/HelperMacros.h>
#include <dirent.h>
#include <fstream>
#include <map>
#include <future>
#include <random>
#include <regex>
#include <sstream>
#include <sys/stat.h>
#include <thread>


using namespace execd::test;


namespace {


bool serverSuite = false;   ///< IntegrationJupyterServerTest runs: daemon() is in server mode


std::string jupyterMode()
	// The mode IntegrationJupyterTest runs in: EXECD_TEST_JUPYTER_MODE, direct
	// (the default) or server (the embedded Jupyter server); make test runs both.
{
	if (serverSuite) return "server";
	const char* mode = std::getenv("EXECD_TEST_JUPYTER_MODE");
	return mode && *mode ? std::string(mode) : std::string("direct");
}


// One execd (and so one Jupyter server, in server mode) per mode for the whole
// suite: starting them takes about a second.
ExecdProcess& daemon()
{
	static std::map<std::string, std::unique_ptr<ExecdProcess>> daemons;
	const std::string mode = jupyterMode();
	ExecdProcess::Options o;
	o.testModules = false;
	o.properties = {"execd.modules.load = jupyter", "module.jupyter.kernel.cobol = nosuchspec", "module.jupyter.mode = " + mode};
	return ExecdProcess::keep(daemons[mode], o);
}


std::string context(const std::string& language = "python")
{
	HttpResult r = request(daemon().port(), "POST", "/code/context", "{\"language\":\"" + language + "\"}");
	CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, 200, r.status);
	return object(r.body)->getValue<std::string>("id");
}


std::string codeBody(const std::string& code, const std::string& id, const std::string& language = "python")
{
	std::string ctx = id.empty() ? "{\"language\":\"" + language + "\"}" : "{\"id\":\"" + id + "\",\"language\":\"" + language + "\"}";
	return "{\"code\":" + quote(code) + ",\"context\":" + ctx + "}";
}


HttpResult runIn(const std::string& language, const std::string& code, const std::string& id, const DataCallback& onData = nullptr)
{
	return request(daemon().port(), "POST", "/code", codeBody(code, id, language), {}, onData);
}


HttpResult runCode(const std::string& code, const std::string& id, const DataCallback& onData = nullptr)
{
	return runIn("python", code, id, onData);
}


std::string resultText(const HttpResult& r)
{
	auto evs = events(r);
	CPPUNIT_ASSERT_MESSAGE(r.body, types(evs).find("result") != std::string::npos);
	return firstOf(evs, "result")->getObject("results")->getValue<std::string>("text");
}


std::string serverToken(int server)
	// The embedded server's token, as root sees it: on its command line (before
	// the fix) or in its config file.
{
	std::string cmdline = procText(server, "cmdline");
	std::string token = match(cmdline, "--ServerApp.token=([0-9a-f]+)");
	if (token.empty()) token = match(fileText(match(cmdline, "--config=(\\S+)")), "c.ServerApp.token = '([0-9a-f]+)'");
	return token;
}


} // namespace


class IntegrationJupyterTest: public CppUnit::TestFixture
{
	CPPUNIT_TEST_SUITE(IntegrationJupyterTest);
	CPPUNIT_TEST(testPrintAndResult);
	CPPUNIT_TEST(testStatePersistsAndContextsAreIsolated);
	CPPUNIT_TEST(testStderr);
	CPPUNIT_TEST(testErrorWithTraceback);
	CPPUNIT_TEST(testDisplayDataIsForwarded);
	CPPUNIT_TEST(testInterrupt);
	CPPUNIT_TEST(testLargeOutputIsComplete);
	CPPUNIT_TEST(testMatplotlibImage);
	CPPUNIT_TEST(testJavaScript);
	CPPUNIT_TEST(testTypeScript);
	CPPUNIT_TEST(testTypeScriptResultsAreNeverLost);
	CPPUNIT_TEST(testInterruptAtInitStopsTheRun);
	CPPUNIT_TEST(testBusyKernelIsNotReportedAsNotResponding);
	CPPUNIT_TEST(testUnknownContext);
	CPPUNIT_TEST(testDeleteAndDeleteByLanguage);
	CPPUNIT_TEST(testUninstalledLanguageFailsFast);
	CPPUNIT_TEST(testBadInput);
	CPPUNIT_TEST(testContextCwd);
	CPPUNIT_TEST(testKernelKilledMidRun);
	CPPUNIT_TEST(testKernelKilledBetweenRuns);
	CPPUNIT_TEST_SUITE_END();

public:
	void testPrintAndResult()
	{
		HttpResult r = runCode("print('hi')\n1+1", "");
		CPPUNIT_ASSERT_EQUAL(200, r.status);
		auto evs = events(r);
		CPPUNIT_ASSERT_EQUAL(std::string("init,stdout,execution_count,result,execution_complete"), types(evs));
		CPPUNIT_ASSERT_EQUAL(std::string("hi\n"), evs[1]->getValue<std::string>("text"));
		CPPUNIT_ASSERT(evs[2]->getValue<int>("execution_count") > 0);
		CPPUNIT_ASSERT_EQUAL(std::string("2"), evs[3]->getObject("results")->getValue<std::string>("text"));
		CPPUNIT_ASSERT(!evs[3]->getObject("results")->has("text/plain"));
		// The default context shows up in the list.
		std::string id = evs[0]->getValue<std::string>("text");
		CPPUNIT_ASSERT(request(daemon().port(), "GET", "/code/contexts?language=python").body.find(id) != std::string::npos);
	}

	void testStatePersistsAndContextsAreIsolated()
	{
		std::string a = context();
		std::string b = context();
		runCode("x = 41", a);
		auto evs = events(runCode("x + 1", a));
		CPPUNIT_ASSERT_EQUAL(std::string("42"), evs[evs.size() - 2]->getObject("results")->getValue<std::string>("text"));
		evs = events(runCode("x", b));
		CPPUNIT_ASSERT(types(evs).find("error") != std::string::npos);
		CPPUNIT_ASSERT_EQUAL(a, events(runCode("1", a))[0]->getValue<std::string>("text"));
	}

	void testStderr()
	{
		auto evs = events(runCode("import sys; print('oops', file=sys.stderr)", ""));
		CPPUNIT_ASSERT_EQUAL(std::string("init,stderr,execution_complete"), types(evs));
		CPPUNIT_ASSERT_EQUAL(std::string("oops\n"), evs[1]->getValue<std::string>("text"));
	}

	void testErrorWithTraceback()
	{
		auto evs = events(runCode("1/0", ""));
		CPPUNIT_ASSERT_EQUAL(std::string("init,status,error,execution_complete"), types(evs));
		CPPUNIT_ASSERT_EQUAL(std::string("error"), evs[1]->getValue<std::string>("text"));
		auto error = evs[2]->getObject("error");
		CPPUNIT_ASSERT_EQUAL(std::string("ZeroDivisionError"), error->getValue<std::string>("ename"));
		CPPUNIT_ASSERT_EQUAL(std::string("division by zero"), error->getValue<std::string>("evalue"));
		CPPUNIT_ASSERT(error->getArray("traceback")->size() > 0);
	}

	void testDisplayDataIsForwarded()
	{
		auto evs = events(runCode("from IPython.display import display, HTML\ndisplay(HTML('<b>bold</b>'))", ""));
		CPPUNIT_ASSERT_EQUAL(std::string("init,result,execution_complete"), types(evs));
		CPPUNIT_ASSERT_EQUAL(std::string("<b>bold</b>"), evs[1]->getObject("results")->getValue<std::string>("text/html"));
	}

	void testInterrupt()
	{
		std::string id = context();
		std::promise<void> started;
		std::atomic<bool> seen{false};
		auto running = std::async(std::launch::async, [&] {
			return runCode("import time\nprint('sleeping', flush=True)\ntime.sleep(30)", id, [&](const std::string& soFar) {
				if (!seen && soFar.find("sleeping") != std::string::npos)
				{
					seen = true;
					started.set_value();
				}
			});
		});
		CPPUNIT_ASSERT(started.get_future().wait_for(std::chrono::seconds(10)) == std::future_status::ready);
		auto start = std::chrono::steady_clock::now();
		HttpResult r = request(daemon().port(), "DELETE", "/code?id=" + id);
		CPPUNIT_ASSERT_EQUAL(200, r.status);
		CPPUNIT_ASSERT_EQUAL(std::string("0"), r.header("Content-Length"));
		auto evs = events(running.get());
		CPPUNIT_ASSERT(std::chrono::steady_clock::now() - start < std::chrono::seconds(3));
		CPPUNIT_ASSERT(types(evs).find("error,execution_complete") != std::string::npos);
		for (const auto& e: evs)
			if (e->getValue<std::string>("type") == "error")
				CPPUNIT_ASSERT_EQUAL(std::string("KeyboardInterrupt"), e->getObject("error")->getValue<std::string>("ename"));
		CPPUNIT_ASSERT_EQUAL(std::string("ok\n"), stdoutText(events(runCode("print('ok')", id))));
	}

	void testLargeOutputIsComplete()
	{
		// 4 MB in about a second: more than jupyter-server's default IOPub rate
		// limit lets through; the embedded server runs without it.
		auto evs = events(runCode("for i in range(20000):\n    print('%05d' % i + 'x' * 194)", ""));
		std::string out = stdoutText(evs);
		CPPUNIT_ASSERT_EQUAL(std::size_t(20000 * 200), out.size());
		CPPUNIT_ASSERT_EQUAL(std::string("19999"), out.substr(out.size() - 200, 5));
		CPPUNIT_ASSERT(out.find("rate exceeded") == std::string::npos);
		CPPUNIT_ASSERT(types(evs).find("error") == std::string::npos);
	}

	void testMatplotlibImage()
	{
		// A figure returned as the last value: execute_result with text and PNG.
		auto evs = events(runCode("import matplotlib.pyplot as plt\nfig, ax = plt.subplots()\nax.plot([1, 2, 3])\nfig", ""));
		auto results = firstOf(evs, "result")->getObject("results");
		CPPUNIT_ASSERT_EQUAL(std::string("iVBORw0KGgo"), results->getValue<std::string>("image/png").substr(0, 11));
		CPPUNIT_ASSERT_EQUAL(std::string("<Figure"), results->getValue<std::string>("text").substr(0, 7));
		CPPUNIT_ASSERT(types(evs).find("execution_count,result") != std::string::npos);
		// plt.show(): display_data, forwarded as a result too.
		evs = events(runCode("plt.plot([3, 2, 1])\nplt.show()", ""));
		CPPUNIT_ASSERT_EQUAL(std::string("init,result,execution_complete"), types(evs));
		CPPUNIT_ASSERT_EQUAL(std::string("iVBORw0KGgo"), evs[1]->getObject("results")->getValue<std::string>("image/png").substr(0, 11));
	}

	static void interruptBusyLoop(const std::string& language, const std::string& id, std::vector<Poco::JSON::Object::Ptr>& evs)
	{
		std::promise<void> started;
		std::atomic<bool> seen{false};
		auto running = std::async(std::launch::async, [&] {
			return runIn(language, "console.log('spinning'); const t0 = Date.now(); while (Date.now() - t0 < 30000) {}", id, [&](const std::string& soFar) {
				if (!seen && soFar.find("spinning") != std::string::npos)
				{
					seen = true;
					started.set_value();
				}
			});
		});
		CPPUNIT_ASSERT(started.get_future().wait_for(std::chrono::seconds(10)) == std::future_status::ready);
		auto start = std::chrono::steady_clock::now();
		CPPUNIT_ASSERT_EQUAL(200, request(daemon().port(), "DELETE", "/code?id=" + id).status);
		evs = events(running.get());
		auto took = std::chrono::steady_clock::now() - start;
		CPPUNIT_ASSERT_MESSAGE(std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(took).count()) + " ms", took < std::chrono::seconds(4));
		CPPUNIT_ASSERT_MESSAGE(types(evs), types(evs).find("status,error,execution_complete") != std::string::npos);
	}

	void testJavaScript()
	{
		// ijavascript: protocol-clean results and errors.
		std::string id = context("javascript");
		auto evs = events(runIn("javascript", "console.log('hi'); let x = 40 + 2; x", id));
		CPPUNIT_ASSERT_EQUAL(std::string("init,stdout,execution_count,result,execution_complete"), types(evs));
		CPPUNIT_ASSERT_EQUAL(std::string("hi\n"), evs[1]->getValue<std::string>("text"));
		CPPUNIT_ASSERT_EQUAL(1, evs[2]->getValue<int>("execution_count"));
		CPPUNIT_ASSERT_EQUAL(std::string("42"), evs[3]->getObject("results")->getValue<std::string>("text"));
		CPPUNIT_ASSERT_EQUAL(std::string("'str'"), resultText(runIn("javascript", "'str'", id)));
		// It replies before its error message arrives: still one error event.
		evs = events(runIn("javascript", "throw new RangeError('boom')", id));
		CPPUNIT_ASSERT_EQUAL(std::string("init,status,error,execution_complete"), types(evs));
		auto error = evs[2]->getObject("error");
		CPPUNIT_ASSERT_EQUAL(std::string("RangeError"), error->getValue<std::string>("ename"));
		CPPUNIT_ASSERT_EQUAL(std::string("boom"), error->getValue<std::string>("evalue"));
		CPPUNIT_ASSERT(error->getArray("traceback")->size() > 0);
		CPPUNIT_ASSERT_EQUAL(std::string("43"), resultText(runIn("javascript", "x + 1", id)));
		// The default JavaScript context is another one.
		CPPUNIT_ASSERT(runIn("javascript", "typeof x", "").body.find("'undefined'") != std::string::npos);
		// ijavascript restarts its session on an interrupt and never answers the
		// running request: the run still ends, and the context works again.
		interruptBusyLoop("javascript", id, evs);
		CPPUNIT_ASSERT_EQUAL(std::string("Interrupted"), firstOf(evs, "error")->getObject("error")->getValue<std::string>("ename"));
		CPPUNIT_ASSERT_EQUAL(std::string("2"), resultText(runIn("javascript", "1 + 1", id)));
	}

	void testTypeScript()
	{
		// tslab: the last value arrives as stdout and errors as stderr text; the
		// hooks make them the same events as Python's.
		std::string id = context("typescript");
		auto evs = events(runIn("typescript", "console.log('hi'); const n: number = 40 + 2; n", id));
		CPPUNIT_ASSERT_EQUAL(std::string("init,stdout,execution_count,result,execution_complete"), types(evs));
		CPPUNIT_ASSERT_EQUAL(std::string("hi\n"), evs[1]->getValue<std::string>("text"));
		CPPUNIT_ASSERT_EQUAL(1, evs[2]->getValue<int>("execution_count"));
		CPPUNIT_ASSERT_EQUAL(std::string("42"), evs[3]->getObject("results")->getValue<std::string>("text"));
		// Output of the cell's own console.log stays stdout, even as the last statement.
		evs = events(runIn("typescript", "console.error('warn'); console.log('last')", id));
		CPPUNIT_ASSERT_EQUAL(std::string("init,stderr,stdout,execution_complete"), types(evs));
		// A type error: a CompileError with tslab's diagnostic.
		evs = events(runIn("typescript", "const s: number = 'a'", id));
		CPPUNIT_ASSERT_EQUAL(std::string("init,status,error,execution_complete"), types(evs));
		auto error = evs[2]->getObject("error");
		CPPUNIT_ASSERT_EQUAL(std::string("CompileError"), error->getValue<std::string>("ename"));
		CPPUNIT_ASSERT(error->getValue<std::string>("evalue").find("not assignable to type 'number'") != std::string::npos);
		// Right after an error tslab aborts requests for 200 ms: this one still runs.
		CPPUNIT_ASSERT_EQUAL(std::string("43"), resultText(runIn("typescript", "n + 1", id)));
		evs = events(runIn("typescript", "throw new TypeError('bad')", id));
		CPPUNIT_ASSERT_EQUAL(std::string("init,status,error,execution_complete"), types(evs));
		error = evs[2]->getObject("error");
		CPPUNIT_ASSERT_EQUAL(std::string("TypeError"), error->getValue<std::string>("ename"));
		CPPUNIT_ASSERT_EQUAL(std::string("bad"), error->getValue<std::string>("evalue"));
		CPPUNIT_ASSERT(error->getArray("traceback")->size() > 0);
		evs = events(runIn("typescript", "await new Promise(r => setTimeout(r, 10)); interface P { x: number }; const p: P = {x: 1}; p", id));
		CPPUNIT_ASSERT_EQUAL(std::string("{ x: 1 }"), firstOf(evs, "result")->getObject("results")->getValue<std::string>("text"));
		// An interrupt stops a busy loop and keeps the context's state.
		interruptBusyLoop("typescript", id, evs);
		CPPUNIT_ASSERT(firstOf(evs, "error")->getObject("error")->getValue<std::string>("evalue").find("SIGINT") != std::string::npos);
		CPPUNIT_ASSERT_EQUAL(std::string("84"), resultText(runIn("typescript", "n * 2", id)));
	}

	void testTypeScriptResultsAreNeverLost()
	{
		// tslab's value comes as output on iopub, sometimes after the reply.
		std::string id = context("typescript");
		for (int i = 0; i < 50; ++i)
		{
			const std::string v = "v" + std::to_string(i);
			auto evs = events(runIn("typescript", "console.log(\"a\"); const " + v + " = 40 + 2; " + v, id));
			CPPUNIT_ASSERT_EQUAL_MESSAGE("run " + std::to_string(i), std::string("init,stdout,execution_count,result,execution_complete"), types(evs));
			CPPUNIT_ASSERT_EQUAL(std::string("42"), firstOf(evs, "result")->getObject("results")->getValue<std::string>("text"));
		}
	}

	void testInterruptAtInitStopsTheRun()
	{
		// An interrupt sent the instant init arrives may reach the kernel before
		// the cell does: execd repeats it once the kernel runs the cell.
		std::string id = context();
		const std::string loop = "import time\nfor i in range(100):\n    print(i, flush=True)\n    time.sleep(0.1)";
		for (int i = 0; i < 20; ++i)
		{
			const std::string label = "round " + std::to_string(i);
			auto running = startRequest(daemon().port(), "POST", "/code", codeBody(loop, id), "\"type\":\"init\"");
			auto start = std::chrono::steady_clock::now();
			CPPUNIT_ASSERT_EQUAL(200, request(daemon().port(), "DELETE", "/code?id=" + id).status);
			CPPUNIT_ASSERT_MESSAGE(label, running.wait_for(std::chrono::seconds(3)) == std::future_status::ready);
			auto evs = events(running.get());
			CPPUNIT_ASSERT_MESSAGE(label + ": " + types(evs), types(evs).find("error,execution_complete") != std::string::npos);
			CPPUNIT_ASSERT(std::chrono::steady_clock::now() - start < std::chrono::seconds(3));
			auto next = std::async(std::launch::async, [&] { return runCode("1+1", id); });
			CPPUNIT_ASSERT_MESSAGE(label, next.wait_for(std::chrono::seconds(3)) == std::future_status::ready);
			CPPUNIT_ASSERT_EQUAL_MESSAGE(label, std::string("2"), resultText(next.get()));
		}
	}

	void testBusyKernelIsNotReportedAsNotResponding()
	{
		// A cell that ignores interrupts keeps the kernel busy after its run ended
		// for the client; the next run waits for it instead of failing after 10 s.
		std::string id = context();
		auto stubborn = startRequest(daemon().port(), "POST", "/code",
			codeBody("import signal, time\nsignal.signal(signal.SIGINT, lambda *args: None)\nprint('go', flush=True)\ntime.sleep(14)", id), "go");
		CPPUNIT_ASSERT_EQUAL(200, request(daemon().port(), "DELETE", "/code?id=" + id).status);
		auto evs = events(stubborn.get());
		CPPUNIT_ASSERT_EQUAL(std::string("Interrupted"), firstOf(evs, "error")->getObject("error")->getValue<std::string>("ename"));
		auto r = runCode("1+1", id);
		CPPUNIT_ASSERT_MESSAGE(r.body, r.body.find("KernelNotResponding") == std::string::npos);
		CPPUNIT_ASSERT_EQUAL(std::string("2"), resultText(r));
	}

	void testUnknownContext()
	{
		HttpResult r = request(daemon().port(), "GET", "/code/contexts/nope");
		CPPUNIT_ASSERT_EQUAL(404, r.status);
		CPPUNIT_ASSERT_EQUAL(std::string("{\"code\":\"CONTEXT_NOT_FOUND\",\"message\":\"context nope not found\"}"), r.body);
		r = runCode("1", "nope");
		CPPUNIT_ASSERT_EQUAL(500, r.status);
		CPPUNIT_ASSERT_EQUAL(std::string("{\"code\":\"RUNTIME_ERROR\",\"message\":\"error running codes context not found\"}"), r.body);
	}

	void testDeleteAndDeleteByLanguage()
	{
		std::string id = context();
		CPPUNIT_ASSERT_EQUAL(200, request(daemon().port(), "GET", "/code/contexts/" + id).status);
		HttpResult r = request(daemon().port(), "DELETE", "/code/contexts/" + id);
		CPPUNIT_ASSERT_EQUAL(200, r.status);
		CPPUNIT_ASSERT_EQUAL(404, request(daemon().port(), "GET", "/code/contexts/" + id).status);
		context();
		context();
		CPPUNIT_ASSERT_EQUAL(200, request(daemon().port(), "DELETE", "/code/contexts?language=python").status);
		CPPUNIT_ASSERT_EQUAL(std::string("[]"), request(daemon().port(), "GET", "/code/contexts?language=python").body);
		// The default context comes back on the next run without an id.
		CPPUNIT_ASSERT_EQUAL(std::string("back\n"), stdoutText(events(runCode("print('back')", ""))));
	}

	void testUninstalledLanguageFailsFast()
	{
		auto start = std::chrono::steady_clock::now();
		HttpResult r = request(daemon().port(), "POST", "/code/context", "{\"language\":\"ruby\"}");
		CPPUNIT_ASSERT_EQUAL(500, r.status);
		CPPUNIT_ASSERT(r.body.find("unknown language: ruby") != std::string::npos);
		// Mapped to a kernelspec that is not installed: still a fast, clear error.
		r = request(daemon().port(), "POST", "/code", "{\"code\":\"1\",\"context\":{\"language\":\"cobol\"}}");
		CPPUNIT_ASSERT_EQUAL(500, r.status);
		CPPUNIT_ASSERT_MESSAGE(r.body, r.body.find("\"code\":\"RUNTIME_ERROR\"") != std::string::npos);
		CPPUNIT_ASSERT_MESSAGE(r.body, r.body.find("'nosuchspec' kernel is not available") != std::string::npos);
		r = request(daemon().port(), "POST", "/code/context", "{\"language\":\"cobol\"}");
		CPPUNIT_ASSERT_EQUAL(500, r.status);
		CPPUNIT_ASSERT_EQUAL(std::string("[]"), request(daemon().port(), "GET", "/code/contexts?language=cobol").body);
		CPPUNIT_ASSERT(std::chrono::steady_clock::now() - start < std::chrono::seconds(5));
	}

	void testBadInput()
	{
		HttpResult r = request(daemon().port(), "POST", "/code", "{\"context\":{\"language\":\"python\"}}");
		CPPUNIT_ASSERT_EQUAL(400, r.status);
		CPPUNIT_ASSERT(r.body.find("'RunCodeRequest.Code'") != std::string::npos);
		r = request(daemon().port(), "POST", "/code/context", "{\"language\":1}");
		CPPUNIT_ASSERT_EQUAL(400, r.status);
	}

	void testContextCwd()
	{
		// A context's kernel runs in its cwd, any absolute directory (created if
		// missing), whatever root the Jupyter server serves.
		char dir[] = "/tmp/execd-cwd-XXXXXX";
		CPPUNIT_ASSERT(::mkdtemp(dir));
		std::string base(dir);
		const std::vector<std::pair<std::string, std::string>> cases{{base + "/new/sub", base + "/new/sub"},
			{base + "/new/../other/", base + "/other"}, {"/", "/"}, {"/etc", "/etc"}};
		for (const auto& c: cases)
		{
			HttpResult r = request(daemon().port(), "POST", "/code/context", "{\"language\":\"python\",\"cwd\":" + quote(c.first) + "}");
			CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, 200, r.status);
			std::string id = object(r.body)->getValue<std::string>("id");
			CPPUNIT_ASSERT_EQUAL_MESSAGE(c.first, c.second + "\n", stdoutText(events(runCode("import os; print(os.getcwd())", id))));
			request(daemon().port(), "DELETE", "/code/contexts/" + id);
		}
		Poco::File(base).remove(true);
	}

	void testKernelKilledBetweenRuns()
	{
		// The next run says the state is lost, and runs in the new kernel.
		std::string id = context();
		const int pid = std::stoi(stdoutText(events(runCode("import os\nx = 1\nprint(os.getpid())", id))));
		::kill(pid, SIGKILL);
		std::this_thread::sleep_for(std::chrono::milliseconds(300));
		HttpResult r = runCode("print('x' in globals())", id);
		auto evs = events(r);
		std::string err;
		for (const auto& e: evs)
			if (e->getValue<std::string>("type") == "stderr") err += e->getValue<std::string>("text");
		CPPUNIT_ASSERT_MESSAGE(r.body, err.find("[execd] since the last run, the kernel died") != std::string::npos);
		CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, std::string("False\n"), stdoutText(evs));
	}

	void testKernelKilledMidRun()
	{
		std::string id = context();
		std::promise<int> kernelPid;
		std::atomic<bool> seen{false};
		auto running = std::async(std::launch::async, [&] {
			return runCode("import os, time\nprint('pid', os.getpid(), flush=True)\ntime.sleep(30)", id, [&](const std::string& soFar) {
				std::smatch m;
				if (!seen && std::regex_search(soFar, m, std::regex("pid (\\d+)")))
				{
					seen = true;
					kernelPid.set_value(std::stoi(m[1].str()));
				}
			});
		});
		auto f = kernelPid.get_future();
		CPPUNIT_ASSERT(f.wait_for(std::chrono::seconds(10)) == std::future_status::ready);
		auto start = std::chrono::steady_clock::now();
		::kill(f.get(), SIGKILL);
		HttpResult r = running.get();
		auto took = std::chrono::steady_clock::now() - start;
		CPPUNIT_ASSERT_MESSAGE(std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(took).count()) + " ms", took < std::chrono::seconds(2));
		auto evs = events(r);
		CPPUNIT_ASSERT_MESSAGE(types(evs), types(evs).find("error,execution_complete") != std::string::npos);
		// The kernel was restarted: the context works again (its state is gone).
		std::string out;
		std::string last;
		auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
		while (out != "again\n" && std::chrono::steady_clock::now() < deadline)
		{
			HttpResult again = runCode("print('again')", id);
			last = again.raw;
			out = stdoutText(events(again));
		}
		CPPUNIT_ASSERT_EQUAL_MESSAGE(last, std::string("again\n"), out);
	}
};


CPPUNIT_TEST_SUITE_REGISTRATION(IntegrationJupyterTest);


class IntegrationJupyterServerTest: public CppUnit::TestFixture
	/// What only the Jupyter server mode has: an external server, an image without
	/// one, a broken one, one that dies.
{
	CPPUNIT_TEST_SUITE(IntegrationJupyterServerTest);
	CPPUNIT_TEST(testExternalServerWithJsonFrames);
	CPPUNIT_TEST(testImageWithoutJupyterFailsAtOnceAndLooksAgain);
	CPPUNIT_TEST(testBrokenJupyterFailsFast);
	CPPUNIT_TEST(testServerKilledMidRun);
	CPPUNIT_TEST_SUITE_END();

public:
	void setUp() override
	{
		serverSuite = true;
	}

	void tearDown() override
	{
		serverSuite = false;
	}

	void testExternalServerWithJsonFrames()
	{
		// A second execd uses the first one's Jupyter server as an external server
		// (--jupyter-host/--jupyter-token) and JSON text frames instead of the v1
		// subprotocol, as with a server older than 1.21.
		runCode("1", "");
		std::vector<int> servers = childrenNamed(daemon().pid(), "jupyter-server");
		CPPUNIT_ASSERT_EQUAL(std::size_t(1), servers.size());
		std::ifstream in("/proc/" + std::to_string(servers[0]) + "/cmdline");
		std::string cmdline((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
		std::smatch port;
		CPPUNIT_ASSERT(std::regex_search(cmdline, port, std::regex("--port=(\\d+)")));
		std::string token = serverToken(servers[0]);
		CPPUNIT_ASSERT(!token.empty());
		ExecdProcess::Options o;
		o.testModules = false;
		o.properties = {"execd.modules.load = jupyter", "module.jupyter.rawMessages = false", "module.jupyter.prewarm = false"};
		o.args = {"--jupyter-host=http://127.0.0.1:" + port[1].str(), "--jupyter-token=" + token};
		ExecdProcess other(o);
		auto code = [&](const std::string& text)
		{
			return events(request(other.port(), "POST", "/code", "{\"code\":" + quote(text) + ",\"context\":{\"language\":\"python\"}}"));
		};
		auto evs = code("v = 20\nprint('hi')\nv * 2");
		CPPUNIT_ASSERT_EQUAL(std::string("init,stdout,execution_count,result,execution_complete"), types(evs));
		CPPUNIT_ASSERT_EQUAL(std::string("40"), evs[3]->getObject("results")->getValue<std::string>("text"));
		evs = code("1/0");
		CPPUNIT_ASSERT_EQUAL(std::string("init,status,error,execution_complete"), types(evs));
		CPPUNIT_ASSERT_EQUAL(std::string("ZeroDivisionError"), evs[2]->getObject("error")->getValue<std::string>("ename"));
		CPPUNIT_ASSERT_EQUAL(std::string("21\n"), stdoutText(code("print(v + 1)")));
		// Its contexts are its own: the first execd does not list them.
		CPPUNIT_ASSERT(request(daemon().port(), "GET", "/code/contexts").body.find(evs[0]->getValue<std::string>("text")) == std::string::npos);
	}


	void testImageWithoutJupyterFailsAtOnceAndLooksAgain()
	{
		// Most sandbox images have no Jupyter: the module stays idle (one look,
		// no retry timer, no pre-warm warning), a code request fails at once with
		// the reason, and a server installed later is started by the next request.
		struct Scratch
		{
			std::string dir;
			Scratch()
			{
				char name[] = "/tmp/execd-nojupyter-XXXXXX";
				dir = ::mkdtemp(name);
			}
			~Scratch()
			{
				Poco::File(dir).remove(true);
			}
		} scratch;
		const std::string command = scratch.dir + "/jupyter-server";
		auto starts = [&](const std::string& log)
		{
			std::size_t n = 0;
			for (std::size_t at = log.find("starting " + command); at != std::string::npos; at = log.find("starting " + command, at + 1))
				++n;
			return n;
		};
		ExecdProcess::Options o;
		o.testModules = false;
		o.properties = {"execd.modules.load = jupyter", "module.jupyter.mode = server", "module.jupyter.serverCommand = " + command, "execd.logLevel = 7"};
		ExecdProcess execd(o);
		std::this_thread::sleep_for(std::chrono::milliseconds(1500));   // a 200 ms backoff would have tried 3 times
		CPPUNIT_ASSERT_EQUAL_MESSAGE(execd.output(), std::size_t(1), starts(execd.output()));
		for (int i = 0; i < 2; ++i)
		{
			auto start = std::chrono::steady_clock::now();
			HttpResult r = request(execd.port(), "POST", "/code", "{\"code\":\"1+1\",\"context\":{\"language\":\"python\"}}");
			CPPUNIT_ASSERT_EQUAL(500, r.status);
			CPPUNIT_ASSERT_MESSAGE(r.body, r.body.find("no Jupyter server in this image (cannot start " + command + ": No such file or directory)") != std::string::npos);
			CPPUNIT_ASSERT(std::chrono::steady_clock::now() - start < std::chrono::seconds(1));
		}
		CPPUNIT_ASSERT_EQUAL_MESSAGE(execd.output(), std::size_t(1), starts(execd.output()));
		CPPUNIT_ASSERT_EQUAL(0, ::symlink("/usr/bin/jupyter-server", command.c_str()));
		HttpResult r = request(execd.port(), "POST", "/code", "{\"code\":\"6*7\",\"context\":{\"language\":\"python\"}}");
		CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, 200, r.status);
		CPPUNIT_ASSERT_MESSAGE(r.body, r.body.find("\"results\":{\"text\":\"42\"}") != std::string::npos);
		CPPUNIT_ASSERT_EQUAL(0, execd.stop());
		const std::string& log = execd.output();
		std::size_t said = 0;
		for (std::size_t at = log.find("no Jupyter server in this image"); at != std::string::npos; at = log.find("no Jupyter server in this image", at + 1))
			++said;
		CPPUNIT_ASSERT_EQUAL_MESSAGE(log, std::size_t(1), said);
		CPPUNIT_ASSERT_MESSAGE(log, log.find("could not pre-warm") == std::string::npos);
		CPPUNIT_ASSERT_MESSAGE(log, log.find(" Error ") == std::string::npos);
	}


	void testBrokenJupyterFailsFast()
	{
		// Installed but broken (a half-installed package): the request fails with
		// the reason after the first failed start, not after the 30 s wait.
		char dir[] = "/tmp/execd-brokenjupyter-XXXXXX";
		CPPUNIT_ASSERT(::mkdtemp(dir));
		const std::string command = std::string(dir) + "/jupyter-server";
		std::ofstream(command) << "#!/bin/sh\necho broken >&2\nexit 1\n";
		::chmod(command.c_str(), 0755);
		ExecdProcess::Options o;
		o.testModules = false;
		o.properties = {"execd.modules.load = jupyter", "module.jupyter.mode = server", "module.jupyter.serverCommand = " + command, "module.jupyter.prewarm = false"};
		ExecdProcess execd(o);
		auto start = std::chrono::steady_clock::now();
		HttpResult r = request(execd.port(), "POST", "/code", "{\"code\":\"1+1\",\"context\":{\"language\":\"python\"}}");
		auto took = std::chrono::steady_clock::now() - start;
		Poco::File(dir).remove(true);
		CPPUNIT_ASSERT_EQUAL(500, r.status);
		CPPUNIT_ASSERT_MESSAGE(r.body, r.body.find("the Jupyter server exited during startup") != std::string::npos);
		CPPUNIT_ASSERT(took < std::chrono::seconds(12));
	}


	void testServerKilledMidRun()
	{
		runCode("1", "");
		std::string explicitContext = context();
		runCode("y = 1", explicitContext);
		std::promise<void> started;
		std::atomic<bool> seen{false};
		auto running = std::async(std::launch::async, [&] {
			return runCode("import time\nprint('sleeping', flush=True)\ntime.sleep(30)", "", [&](const std::string& soFar) {
				if (!seen && soFar.find("sleeping") != std::string::npos)
				{
					seen = true;
					started.set_value();
				}
			});
		});
		CPPUNIT_ASSERT(started.get_future().wait_for(std::chrono::seconds(10)) == std::future_status::ready);
		std::vector<int> servers = childrenNamed(daemon().pid(), "jupyter-server");
		CPPUNIT_ASSERT_EQUAL(std::size_t(1), servers.size());
		auto start = std::chrono::steady_clock::now();
		::kill(servers[0], SIGKILL);
		HttpResult r = running.get();
		CPPUNIT_ASSERT(std::chrono::steady_clock::now() - start < std::chrono::seconds(2));
		CPPUNIT_ASSERT(types(events(r)).find("error,execution_complete") != std::string::npos);
		// The server comes back, and the default context with it.
		std::string out;
		auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(40);
		while (out != "back\n" && std::chrono::steady_clock::now() < deadline)
			out = stdoutText(events(runCode("print('back')", "")));
		CPPUNIT_ASSERT_EQUAL(std::string("back\n"), out);
		// An explicit context gets a new kernel, and says so once.
		HttpResult again = runCode("print('same id')", explicitContext);
		auto evs = events(again);
		CPPUNIT_ASSERT_EQUAL(explicitContext, evs[0]->getValue<std::string>("text"));
		CPPUNIT_ASSERT_EQUAL(std::string("same id\n"), stdoutText(evs));
		CPPUNIT_ASSERT(again.body.find("new kernel") != std::string::npos);
		CPPUNIT_ASSERT(runCode("print(1)", explicitContext).body.find("new kernel") == std::string::npos);
	}
};


CPPUNIT_TEST_SUITE_REGISTRATION(IntegrationJupyterServerTest);


namespace {


const std::string ACCESS_TOKEN = []
	// Random, so that no copy of this source gives it away.
	{
		std::random_device random;
		std::string token;
		for (int i = 0; i < 40; ++i) token += "0123456789abcdef"[random() % 16];
		return token;
	}();


const std::string ENV_ACCESS_TOKEN = "env-access-" + ACCESS_TOKEN.substr(0, 12);
const std::string ENV_JUPYTER_TOKEN = "env-jupyter-" + ACCESS_TOKEN.substr(12, 12);


ExecdProcess& guardedDaemon()
	// With an access token, and the shell module for commands of another uid.
	// Both token variables are set as well, to values execd must not pass on
	// (the flag's token is the one in force; JUPYTER_TOKEN is for an external
	// server's, unused with the embedded one).
{
	static std::unique_ptr<ExecdProcess> pExecd;
	ExecdProcess::Options o;
	o.testModules = false;
	o.properties = {"execd.modules.load = jupyter, shell", "module.jupyter.mode = server"};
	o.args = {"--access-token", ACCESS_TOKEN};
	o.env = {{"EXECD_ACCESS_TOKEN", ENV_ACCESS_TOKEN}, {"JUPYTER_TOKEN", ENV_JUPYTER_TOKEN}};
	return ExecdProcess::keep(pExecd, o);
}


HttpResult guarded(const std::string& method, const std::string& target, const std::string& body = "")
{
	return request(guardedDaemon().port(), method, target, body, {{"X-EXECD-ACCESS-TOKEN", ACCESS_TOKEN}});
}


std::string guardedRun(const std::string& code, const std::string& id)
{
	std::string ctx = id.empty() ? "{\"language\":\"python\"}" : "{\"id\":\"" + id + "\",\"language\":\"python\"}";
	return stdoutText(events(guarded("POST", "/code", "{\"code\":" + quote(code) + ",\"context\":" + ctx + "}")));
}


int theServer()
{
	std::vector<int> servers = childrenNamed(guardedDaemon().pid(), "jupyter-server");
	CPPUNIT_ASSERT_EQUAL(std::size_t(1), servers.size());
	return servers[0];
}


std::vector<std::pair<std::string, std::string>> secretsOf(int server)
	// Every secret of execd's and its Jupyter server's, read as root: the access
	// token, the server's token, the kernels' HMAC keys and the cookie secret.
{
	std::vector<std::pair<std::string, std::string>> secrets{{"the access token", ACCESS_TOKEN},
		{"EXECD_ACCESS_TOKEN", ENV_ACCESS_TOKEN}, {"JUPYTER_TOKEN", ENV_JUPYTER_TOKEN}};
	std::string token = serverToken(server);
	CPPUNIT_ASSERT_MESSAGE("the test cannot find the Jupyter token", !token.empty());
	secrets.emplace_back("the Jupyter token", token);
	std::vector<int> kernels = childrenNamed(server, "kernel-");
	CPPUNIT_ASSERT(!kernels.empty());
	for (int kernel: kernels)
	{
		std::string key = match(fileText(match(procText(kernel, "cmdline"), "(\\S+/kernel-[0-9a-f-]+\\.json)")), "\"key\": \"([^\"]+)\"");
		CPPUNIT_ASSERT_MESSAGE("the test cannot read a connection file", !key.empty());
		secrets.emplace_back("the HMAC key of kernel " + std::to_string(kernel), key);
	}
	std::string runtime = match(procText(server, "environ"), "JUPYTER_RUNTIME_DIR=(\\S+)");
	std::string cookie = fileText(runtime + "/jupyter_cookie_secret");
	while (!cookie.empty() && std::isspace(static_cast<unsigned char>(cookie.back()))) cookie.pop_back();
	CPPUNIT_ASSERT_MESSAGE("the test cannot read the cookie secret", cookie.size() > 16);
	secrets.emplace_back("the cookie secret", cookie);
	return secrets;
}


} // namespace


class IntegrationJupyterSecurityTest: public CppUnit::TestFixture
	/// Hardening of the embedded Jupyter server (issue #13, items 8 and 13).
{
	CPPUNIT_TEST_SUITE(IntegrationJupyterSecurityTest);
	CPPUNIT_TEST(testOtherUidFindsNoSecretAndCannotWrite);
	CPPUNIT_TEST(testServerAnswersOnlyWithItsToken);
	CPPUNIT_TEST(testNoSecretInKernelsOrLogs);
	CPPUNIT_TEST(testTokensDoNotReachKernels);
	CPPUNIT_TEST(testKernelsDieWithTheServer);
	CPPUNIT_TEST_SUITE_END();

public:
	void testOtherUidFindsNoSecretAndCannotWrite()
	{
		std::string id = object(guarded("POST", "/code/context", "{\"language\":\"python\"}").body)->getValue<std::string>("id");
		CPPUNIT_ASSERT_EQUAL(std::string("2\n"), guardedRun("print(1 + 1)", id));
		int server = theServer();
		auto secrets = secretsOf(server);
		std::string port = match(procText(server, "cmdline"), "--port=(\\d+)");

		const std::string nonce = std::to_string(::getpid()) + "x" + std::to_string(std::time(nullptr));
		const std::string out = probeAsNobody(guardedDaemon().port(), {{"X-EXECD-ACCESS-TOKEN", ACCESS_TOKEN}}, port, nonce);
		auto linesWith = [&out](const std::string& word)
		{
			std::istringstream in(out);
			std::string result;
			for (std::string line; std::getline(in, line);)
				if (line.compare(0, word.size(), word) == 0) result += line + "\n";
			return result;
		};
		bool wrote = false;
		for (const std::string& target: {"/root/execd-probe-" + nonce + ".txt", "/etc/execd-probe-" + nonce + ".txt"})
		{
			if (Poco::File(target).exists())
			{
				wrote = true;
				Poco::File(target).remove();
			}
		}
		CPPUNIT_ASSERT_MESSAGE(linesWith("PUT"), !wrote);
		for (const auto& secret: secrets)
		{
			std::size_t at = out.find(secret.second);
			CPPUNIT_ASSERT_MESSAGE(secret.first + " is readable by uid 65534: "
				+ (at == std::string::npos ? std::string() : out.substr(out.rfind('\n', at) + 1, 300)), at == std::string::npos);
		}
		CPPUNIT_ASSERT_MESSAGE(linesWith("READABLE"), linesWith("READABLE").empty());
		CPPUNIT_ASSERT_EQUAL(std::string("3\n"), guardedRun("print(1 + 2)", id));
	}

	void testServerAnswersOnlyWithItsToken()
	{
		// Even root with the token reaches only the kernel, session and status APIs.
		guardedRun("1", "");
		int server = theServer();
		const int port = std::stoi(match(procText(server, "cmdline"), "--port=(\\d+)"));
		const std::string token = serverToken(server);
		auto status = [&](const std::string& method, const std::string& target, const std::string& auth)
		{
			std::map<std::string, std::string> headers;
			if (!auth.empty()) headers["Authorization"] = "token " + auth;
			return request(port, method, target, method == "PUT" ? "{\"type\":\"file\",\"format\":\"text\",\"content\":\"x\"}" : "", headers).status;
		};
		CPPUNIT_ASSERT_EQUAL(403, status("GET", "/api/status", ""));
		CPPUNIT_ASSERT_EQUAL(403, status("GET", "/api/sessions", "wrong"));
		CPPUNIT_ASSERT_EQUAL(200, status("GET", "/api/status", token));
		CPPUNIT_ASSERT_EQUAL(200, status("GET", "/api/sessions", token));
		CPPUNIT_ASSERT_EQUAL(404, status("GET", "/api/contents/etc", token));
		CPPUNIT_ASSERT_EQUAL(404, status("PUT", "/api/contents/tmp/execd-contents-probe.txt", token));
		CPPUNIT_ASSERT_EQUAL(404, status("GET", "/files/etc/hostname", token));
		CPPUNIT_ASSERT(!Poco::File("/tmp/execd-contents-probe.txt").exists());
		// Its files are root's alone.
		std::string config = match(procText(server, "cmdline"), "--config=(\\S+)");
		struct stat info{};
		CPPUNIT_ASSERT_EQUAL(0, ::stat(config.c_str(), &info));
		CPPUNIT_ASSERT_EQUAL(0600, static_cast<int>(info.st_mode & 07777));
		CPPUNIT_ASSERT_EQUAL(0, ::stat(Poco::Path(config).parent().toString().c_str(), &info));
		CPPUNIT_ASSERT_EQUAL(0700, static_cast<int>(info.st_mode & 07777));
	}

	void testNoSecretInKernelsOrLogs()
	{
		// A kernel runs user code: its environment and command line hold no
		// secret, and neither does execd's log.
		std::string seen = guardedRun("import os\nprint(repr(dict(os.environ)))\n"
			"print(open('/proc/self/cmdline').read())", "");
		CPPUNIT_ASSERT(seen.find("JUPYTER_RUNTIME_DIR") != std::string::npos);
		std::string log = guardedDaemon().output();
		CPPUNIT_ASSERT(log.find("Jupyter server ready") != std::string::npos);
		for (const auto& secret: secretsOf(theServer()))
		{
			CPPUNIT_ASSERT_MESSAGE(secret.first + " is in a kernel's environment", seen.find(secret.second) == std::string::npos);
			CPPUNIT_ASSERT_MESSAGE(secret.first + " is in execd's log", log.find(secret.second) == std::string::npos);
		}
	}

	void testTokensDoNotReachKernels()
	{
		// User code finds neither token variable, nor the tokens in its own
		// /proc/<pid>/environ and cmdline, nor in those of its parent (the
		// Jupyter server) and of execd.
		std::string seen = guardedRun("import os\n"
			"print(os.environ.get('JUPYTER_TOKEN'), os.environ.get('EXECD_ACCESS_TOKEN'))\n"
			"for pid in ('self', str(os.getppid()), '" + std::to_string(guardedDaemon().pid()) + "'):\n"
			"    for name in ('environ', 'cmdline'):\n"
			"        print(pid, name, open('/proc/%s/%s' % (pid, name), 'rb').read())\n", "");
		CPPUNIT_ASSERT_MESSAGE(seen, seen.compare(0, 10, "None None\n") == 0);
		CPPUNIT_ASSERT_MESSAGE(seen, seen.find("JUPYTER_RUNTIME_DIR") != std::string::npos);   // /proc was read
		CPPUNIT_ASSERT_MESSAGE(seen, seen.find("--access-token") != std::string::npos);
		for (const std::string& secret: {ACCESS_TOKEN, ENV_ACCESS_TOKEN, ENV_JUPYTER_TOKEN})
			CPPUNIT_ASSERT_MESSAGE(seen, seen.find(secret) == std::string::npos);
	}

	void testKernelsDieWithTheServer()
	{
		// jupyter_client starts kernels in sessions of their own: killing the
		// server's process group leaves them, adopted by execd, the subreaper.
		std::string id = object(guarded("POST", "/code/context", "{\"language\":\"python\"}").body)->getValue<std::string>("id");
		std::string out = guardedRun("import os, subprocess\n"
			"p = subprocess.Popen(['sleep', '1000'], start_new_session=True)\nprint(os.getpid(), p.pid)", id);
		std::vector<int> pids{std::atoi(out.c_str()), std::atoi(out.substr(out.find(' ') + 1).c_str())};
		int server = theServer();
		for (int kernel: childrenNamed(server, "kernel-")) pids.push_back(kernel);
		CPPUNIT_ASSERT(pids.size() >= 4);   // the default context's kernel, ours, twice, and its child
		::kill(server, SIGKILL);
		auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(3);
		auto allGone = [&] { return std::all_of(pids.begin(), pids.end(), gone); };
		while (!allGone() && std::chrono::steady_clock::now() < deadline)
			std::this_thread::sleep_for(std::chrono::milliseconds(50));
		std::string left;
		for (int pid: pids)
			if (!gone(pid)) left += " " + std::to_string(pid) + ":" + procText(pid, "cmdline");
		CPPUNIT_ASSERT_MESSAGE("still running:" + left, left.empty());
		// The server comes back, and the context with a new kernel.
		deadline = std::chrono::steady_clock::now() + std::chrono::seconds(40);
		out.clear();
		while (out.find("back") == std::string::npos && std::chrono::steady_clock::now() < deadline)
			out = guardedRun("print('back')", id);
		CPPUNIT_ASSERT_EQUAL(std::string("back\n"), out);
	}
};


CPPUNIT_TEST_SUITE_REGISTRATION(IntegrationJupyterSecurityTest);
