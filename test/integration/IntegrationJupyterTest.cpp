// The jupyter module with its embedded Jupyter server and a real Python kernel.

#include "ExecdProcess.h"
#include "Poco/JSON/Array.h"
#include "Poco/JSON/Object.h"
#include "Poco/JSON/Parser.h"
#include <atomic>
#include <csignal>
#include <cppunit/extensions/HelperMacros.h>
#include <dirent.h>
#include <fstream>
#include <future>
#include <regex>
#include <sstream>


using namespace execd::test;


namespace {


// One execd (and so one Jupyter server) for the whole suite: starting them takes
// about a second.
ExecdProcess& daemon()
{
	static std::unique_ptr<ExecdProcess> pExecd;
	ExecdProcess::Options o;
	o.testModules = false;
	o.properties = {"execd.modules.load = jupyter", "module.jupyter.kernel.cobol = nosuchspec"};
	return ExecdProcess::keep(pExecd, o);
}


std::string context(const std::string& language = "python")
{
	HttpResult r = request(daemon().port(), "POST", "/code/context", "{\"language\":\"" + language + "\"}");
	CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, 200, r.status);
	return object(r.body)->getValue<std::string>("id");
}


HttpResult runIn(const std::string& language, const std::string& code, const std::string& id, const DataCallback& onData = nullptr)
{
	std::string ctx = id.empty() ? "{\"language\":\"" + language + "\"}" : "{\"id\":\"" + id + "\",\"language\":\"" + language + "\"}";
	return request(daemon().port(), "POST", "/code", "{\"code\":" + quote(code) + ",\"context\":" + ctx + "}", {}, onData);
}


HttpResult runCode(const std::string& code, const std::string& id, const DataCallback& onData = nullptr)
{
	return runIn("python", code, id, onData);
}


std::vector<Poco::JSON::Object::Ptr> events(const HttpResult& r)
{
	std::vector<Poco::JSON::Object::Ptr> result;
	for (const std::string& e: withoutPings(sseEvents(r.body)))
	{
		auto o = object(e);
		if (o->has("type")) result.push_back(o);
	}
	return result;
}


std::string types(const std::vector<Poco::JSON::Object::Ptr>& evs)
{
	std::string out;
	for (const auto& e: evs) out += (out.empty() ? "" : ",") + e->getValue<std::string>("type");
	return out;
}


Poco::JSON::Object::Ptr firstOf(const std::vector<Poco::JSON::Object::Ptr>& evs, const std::string& type)
{
	for (const auto& e: evs)
		if (e->getValue<std::string>("type") == type) return e;
	CPPUNIT_FAIL("no " + type + " event");
	return nullptr;
}


std::string resultText(const HttpResult& r)
{
	auto evs = events(r);
	CPPUNIT_ASSERT_MESSAGE(r.body, types(evs).find("result") != std::string::npos);
	return firstOf(evs, "result")->getObject("results")->getValue<std::string>("text");
}


std::string stdoutText(const std::vector<Poco::JSON::Object::Ptr>& evs)
{
	std::string out;
	for (const auto& e: evs)
		if (e->getValue<std::string>("type") == "stdout") out += e->getValue<std::string>("text");
	return out;
}


std::vector<int> childrenNamed(int parent, const std::string& needle)
{
	std::vector<int> pids;
	DIR* dir = ::opendir("/proc");
	while (struct dirent* entry = ::readdir(dir))
	{
		int pid = std::atoi(entry->d_name);
		if (pid <= 0) continue;
		std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
		std::string line;
		std::getline(stat, line);
		std::size_t close = line.rfind(')');
		if (close == std::string::npos) continue;
		std::istringstream rest(line.substr(close + 2));
		char state;
		int ppid;
		rest >> state >> ppid;
		std::ifstream cmd("/proc/" + std::to_string(pid) + "/cmdline");
		std::string cmdline((std::istreambuf_iterator<char>(cmd)), std::istreambuf_iterator<char>());
		if (ppid == parent && cmdline.find(needle) != std::string::npos) pids.push_back(pid);
	}
	::closedir(dir);
	return pids;
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
	CPPUNIT_TEST(testExternalServerWithJsonFrames);
	CPPUNIT_TEST(testMatplotlibImage);
	CPPUNIT_TEST(testJavaScript);
	CPPUNIT_TEST(testTypeScript);
	CPPUNIT_TEST(testUnknownContext);
	CPPUNIT_TEST(testDeleteAndDeleteByLanguage);
	CPPUNIT_TEST(testUninstalledLanguageFailsFast);
	CPPUNIT_TEST(testBadInput);
	CPPUNIT_TEST(testKernelKilledMidRun);
	CPPUNIT_TEST(testServerKilledMidRun);
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
		std::smatch port, token;
		CPPUNIT_ASSERT(std::regex_search(cmdline, port, std::regex("--port=(\\d+)")));
		CPPUNIT_ASSERT(std::regex_search(cmdline, token, std::regex("--ServerApp.token=([0-9a-f]+)")));
		ExecdProcess::Options o;
		o.testModules = false;
		o.properties = {"execd.modules.load = jupyter", "module.jupyter.rawMessages = false", "module.jupyter.prewarm = false"};
		o.args = {"--jupyter-host=http://127.0.0.1:" + port[1].str(), "--jupyter-token=" + token[1].str()};
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


CPPUNIT_TEST_SUITE_REGISTRATION(IntegrationJupyterTest);
