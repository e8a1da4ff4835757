// Bash sessions and the bash code language through the real daemon.

#include "ExecdProcess.h"
#include "Poco/File.h"
#include "Poco/JSON/Object.h"
#include "Poco/JSON/Parser.h"
#include "Poco/Net/SocketAddress.h"
#include "Poco/Net/StreamSocket.h"
#include <atomic>
#include <cppunit/extensions/HelperMacros.h>
#include <fstream>
#include <future>
#include <regex>
#include <unistd.h>


using namespace execd::test;


namespace {


ExecdProcess::Options shellOptions()
{
	return ExecdProcess::modules("shell");
}


std::string newSession(int port, const std::string& body = "")
{
	HttpResult r = request(port, "POST", "/session", body);
	CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, 200, r.status);
	return object(r.body)->getValue<std::string>("session_id");
}


std::vector<Poco::JSON::Object::Ptr> runIn(int port, const std::string& session, const std::string& command, const std::string& extra = "",
	std::string* pBody = nullptr)
{
	HttpResult r = request(port, "POST", "/session/" + session + "/run", "{\"command\":" + quote(command) + extra + "}");
	CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, 200, r.status);
	if (pBody) *pBody = r.body;
	std::vector<Poco::JSON::Object::Ptr> events;
	for (const std::string& e: withoutPings(sseEvents(r.body)))
	{
		auto o = object(e);
		if (o->has("type")) events.push_back(o);   // not upstream's appended {"code","message"}
	}
	return events;
}


std::string texts(const std::vector<Poco::JSON::Object::Ptr>& events, const std::string& type)
{
	std::string out;
	for (const auto& e: events)
		if (e->getValue<std::string>("type") == type) out += "[" + e->getValue<std::string>("text") + "]";
	return out;
}


std::string terminal(const std::vector<Poco::JSON::Object::Ptr>& events)
{
	auto last = events.back();
	if (last->getValue<std::string>("type") == "execution_complete") return "complete";
	auto error = last->getObject("error");
	return error->getValue<std::string>("evalue") + "|" + error->getArray("traceback")->getElement<std::string>(0);
}


} // namespace


class IntegrationSessionTest: public CppUnit::TestFixture
{
	CPPUNIT_TEST_SUITE(IntegrationSessionTest);
	CPPUNIT_TEST(testCreateSession);
	CPPUNIT_TEST(testStatePersists);
	CPPUNIT_TEST(testStdoutStderrAndExitCodes);
	CPPUNIT_TEST(testTimeoutKillsOnlyTheRun);
	CPPUNIT_TEST(testTimeoutStopsTheWholeCommandLine);
	CPPUNIT_TEST(testWhatRanBeforeTheStopPersists);
	CPPUNIT_TEST(testStopRunsNoTrapAndKeepsSetE);
	CPPUNIT_TEST(testEarlierBackgroundJobsSurviveAStop);
	CPPUNIT_TEST(testInterruptStopsTheWholeRun);
	CPPUNIT_TEST(testDeleteDuringARunStopsEverything);
	CPPUNIT_TEST(testClientThatLeavesStopsTheRun);
	CPPUNIT_TEST(testUnstoppableRunRestartsTheShell);
	CPPUNIT_TEST(testExitEndsTheShell);
	CPPUNIT_TEST(testBusySession);
	CPPUNIT_TEST(testPerRunCwdPersists);
	CPPUNIT_TEST(testDeleteAndUnknown);
	CPPUNIT_TEST(testBadInput);
	CPPUNIT_TEST(testBashLanguageKeepsState);
	CPPUNIT_TEST(testForegroundCommandSurvivesDisconnect);
	CPPUNIT_TEST(testRedirectedShellOutputKeepsWorking);
	CPPUNIT_TEST(testNulByteIsRefused);
	CPPUNIT_TEST(testEnvsFileIsReadWhenTheSessionIsCreated);
	CPPUNIT_TEST(testTokensDoNotReachSessions);
	CPPUNIT_TEST_SUITE_END();

public:
	void testCreateSession()
	{
		ExecdProcess execd(shellOptions());
		for (std::string body: {"", "{}", "null"})
		{
			HttpResult r = request(execd.port(), "POST", "/session", body);
			CPPUNIT_ASSERT_EQUAL(200, r.status);
			CPPUNIT_ASSERT(std::regex_match(r.body, std::regex("^\\{\"session_id\":\"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\"\\}$")));
		}
		const std::string top = "/tmp/execd-session-test-" + std::to_string(::getpid());
		std::string dir = top + "/a/b";
		std::string id = newSession(execd.port(), "{\"cwd\":\"" + dir + "\"}");
		CPPUNIT_ASSERT_EQUAL("[" + dir + "]", texts(runIn(execd.port(), id, "pwd"), "stdout"));
		Poco::File(top).remove(true);
		HttpResult r = request(execd.port(), "POST", "/session", "{\"cwd\":");
		CPPUNIT_ASSERT_EQUAL(400, r.status);
		CPPUNIT_ASSERT(r.body.find("error parsing request. ") != std::string::npos);
	}

	void testStatePersists()
	{
		ExecdProcess execd(shellOptions());
		std::string id = newSession(execd.port());
		auto events = runIn(execd.port(), id, "plain=1; export exported=2; greet() { echo \"hi $1\"; }; alias say='echo said'; cd /usr; set -o pipefail");
		CPPUNIT_ASSERT_EQUAL(std::string("complete"), terminal(events));
		CPPUNIT_ASSERT_EQUAL(id, events[0]->getValue<std::string>("text"));
		events = runIn(execd.port(), id, "echo $plain $exported; greet you; say; pwd; shopt -o -q pipefail && echo pipefail-on");
		CPPUNIT_ASSERT_EQUAL(std::string("[1 2][hi you][said][/usr][pipefail-on]"), texts(events, "stdout"));
	}

	void testStdoutStderrAndExitCodes()
	{
		ExecdProcess execd(shellOptions());
		std::string id = newSession(execd.port());
		auto events = runIn(execd.port(), id, "echo out; echo err >&2; printf 'no newline'");
		CPPUNIT_ASSERT_EQUAL(std::string("[out][no newline]"), texts(events, "stdout"));
		CPPUNIT_ASSERT_EQUAL(std::string("[err]"), texts(events, "stderr"));
		CPPUNIT_ASSERT_EQUAL(std::string("complete"), terminal(events));
		events = runIn(execd.port(), id, "echo hi; false");
		CPPUNIT_ASSERT_EQUAL(std::string("1|exit status 1"), terminal(events));
		events = runIn(execd.port(), id, "(exit 42)");
		CPPUNIT_ASSERT_EQUAL(std::string("42|exit status 42"), terminal(events));
		events = runIn(execd.port(), id, "if then");   // a syntax error is an ordinary failure
		CPPUNIT_ASSERT_EQUAL(std::string("2|exit status 2"), terminal(events));
		events = runIn(execd.port(), id, "cat; echo read-nothing");   // stdin is /dev/null
		CPPUNIT_ASSERT_EQUAL(std::string("[read-nothing]"), texts(events, "stdout"));
	}

	void testTimeoutKillsOnlyTheRun()
	{
		ExecdProcess execd(shellOptions());
		std::string id = newSession(execd.port());
		runIn(execd.port(), id, "kept=yes");
		auto start = std::chrono::steady_clock::now();
		std::string body;
		auto events = runIn(execd.port(), id, "echo start; sleep 30", ",\"timeout\":300", &body);
		CPPUNIT_ASSERT(std::chrono::steady_clock::now() - start < std::chrono::seconds(3));
		CPPUNIT_ASSERT_EQUAL(std::string("[start]"), texts(events, "stdout"));
		// Upstream's wire format: no terminal event, the JSON error appended.
		for (const auto& e: events)
			CPPUNIT_ASSERT(e->getValue<std::string>("type") != "error" && e->getValue<std::string>("type") != "execution_complete");
		const std::string tail = "{\"code\":\"RUNTIME_ERROR\",\"message\":\"error running in session. timeout after 300ms\"}";
		CPPUNIT_ASSERT_EQUAL(tail, body.substr(body.size() - tail.size()));
		CPPUNIT_ASSERT_EQUAL(std::string("[yes]"), texts(runIn(execd.port(), id, "echo $kept"), "stdout"));
	}

	void testTimeoutStopsTheWholeCommandLine()
	{
		ExecdProcess execd(shellOptions());
		std::string id = newSession(execd.port());
		runIn(execd.port(), id, "export KEPT=1; cd /usr");
		const std::string late = "/tmp/execd-session-late-" + std::to_string(::getpid());
		::unlink(late.c_str());
		const std::vector<std::string> commands = {
			"echo start; sleep 5; echo not-reached",
			"echo start\nsleep 5\necho not-reached\necho not-reached-either",
			"echo start; for i in 1 2 3 4 5 6; do sleep 1; echo not-reached-$i; done; echo not-reached",
			"echo start; ( sleep 5; echo not-reached-sub ); echo not-reached",
			"echo start; (sleep 2; touch " + late + ") & sleep 5; echo not-reached",
			"echo start; spin() { while :; do :; done; }; spin; echo not-reached",
			"echo start; x=$(sleep 5; echo inner); echo not-reached $x",
			"echo start; sleep 5 | cat; echo not-reached",
		};
		for (const std::string& command: commands)
		{
			auto start = std::chrono::steady_clock::now();
			std::string body;
			auto events = runIn(execd.port(), id, command, ",\"timeout\":1000", &body);
			CPPUNIT_ASSERT_MESSAGE(command, std::chrono::steady_clock::now() - start < std::chrono::milliseconds(2500));
			CPPUNIT_ASSERT_EQUAL_MESSAGE(command, std::string("[start]"), texts(events, "stdout"));
			CPPUNIT_ASSERT_MESSAGE(command, body.find("not-reached") == std::string::npos);
			CPPUNIT_ASSERT_MESSAGE(body, body.find("inner") == std::string::npos);
			const std::string tail = "{\"code\":\"RUNTIME_ERROR\",\"message\":\"error running in session. timeout after 1s\"}";
			CPPUNIT_ASSERT_EQUAL_MESSAGE(command, tail, body.substr(body.size() - tail.size()));
			// The same bash, with its state: no restart notice.
			events = runIn(execd.port(), id, "echo $KEPT $PWD; jobs -r | wc -l");
			CPPUNIT_ASSERT_EQUAL_MESSAGE(command, std::string("[1 /usr][0]"), texts(events, "stdout"));
			CPPUNIT_ASSERT_EQUAL_MESSAGE(command, std::string(""), texts(events, "stderr"));
		}
		// The background job of the stopped run was killed with it.
		::sleep(2);
		CPPUNIT_ASSERT(::access(late.c_str(), F_OK) != 0);
	}

	void testWhatRanBeforeTheStopPersists()
	{
		ExecdProcess execd(shellOptions());
		std::string id = newSession(execd.port());
		runIn(execd.port(), id, "declare -A map=([a]=1); v=before; sleep 5; v=after; cd /", ",\"timeout\":500");
		auto events = runIn(execd.port(), id, "x=changed; cd /var; declare -A m=([k]=2); sleep 5; x=not-reached; cd /", ",\"timeout\":500");
		events = runIn(execd.port(), id, "echo $v $x $PWD ${map[a]} ${m[k]}");
		CPPUNIT_ASSERT_EQUAL(std::string("[before changed /var 1 2]"), texts(events, "stdout"));
	}

	void testStopRunsNoTrapAndKeepsSetE()
	{
		ExecdProcess execd(shellOptions());
		std::string id = newSession(execd.port());
		std::string body;
		runIn(execd.port(), id, "set -E; trap 'echo ERR-ran' ERR; trap 'echo RETURN-ran' RETURN; trap 'echo INT-ran' INT TERM; "
			"f() { g; echo not-reached-f; }; g() { sleep 5; echo not-reached-g; }; f; echo not-reached", ",\"timeout\":500", &body);
		CPPUNIT_ASSERT_MESSAGE(body, body.find("-ran") == std::string::npos);
		CPPUNIT_ASSERT(body.find("not-reached") == std::string::npos);
		// The same bash, with the user's traps and options as they were.
		auto events = runIn(execd.port(), id, "[[ $- == *E* ]] && echo errtrace; shopt -q extdebug || echo no-extdebug; trap -p ERR RETURN INT");
		CPPUNIT_ASSERT_EQUAL(std::string("[errtrace][no-extdebug][trap -- 'echo ERR-ran' ERR][trap -- 'echo RETURN-ran' RETURN][trap -- 'echo INT-ran' SIGINT]"),
			texts(events, "stdout"));
		CPPUNIT_ASSERT_EQUAL(std::string(""), texts(events, "stderr"));
		// With set -e and an ERR trap, bash survives a stop and keeps set -e.
		runIn(execd.port(), id, "set -e; sleep 5; echo not-reached", ",\"timeout\":500", &body);
		CPPUNIT_ASSERT(body.find("-ran") == std::string::npos);
		events = runIn(execd.port(), id, "trap - ERR; [[ $- == *e* ]] && echo errexit");
		CPPUNIT_ASSERT_EQUAL(std::string("[errexit]"), texts(events, "stdout"));
		// Without an ERR trap, set -e ends bash when the killed command fails, as any
		// failing command under set -e does: the next run starts a new bash.
		runIn(execd.port(), id, "sleep 5", ",\"timeout\":500");
		CPPUNIT_ASSERT(texts(runIn(execd.port(), id, "true"), "stderr").find("earlier state is lost") != std::string::npos);
	}

	void testEarlierBackgroundJobsSurviveAStop()
	{
		ExecdProcess execd(shellOptions());
		std::string id = newSession(execd.port());
		auto events = runIn(execd.port(), id, "sleep 60 & echo $!");
		const std::string pid = texts(events, "stdout");
		CPPUNIT_ASSERT(pid.size() > 2);
		const std::string proc = "/proc/" + pid.substr(1, pid.size() - 2);
		runIn(execd.port(), id, "sleep 60 & sleep 5", ",\"timeout\":500");
		CPPUNIT_ASSERT(::access(proc.c_str(), F_OK) == 0);
		events = runIn(execd.port(), id, "jobs -r | wc -l; kill %1");
		CPPUNIT_ASSERT_EQUAL(std::string("[1]"), texts(events, "stdout"));
	}

	void testInterruptStopsTheWholeRun()
	{
		ExecdProcess execd(shellOptions());
		HttpResult r = request(execd.port(), "POST", "/code/context", "{\"language\":\"bash\"}");
		std::string id = object(r.body)->getValue<std::string>("id");
		auto body = [&](const std::string& code)
		{
			return "{\"code\":" + quote(code) + ",\"context\":{\"id\":\"" + id + "\",\"language\":\"bash\"}}";
		};
		request(execd.port(), "POST", "/code", body("kept=yes"));
		for (const std::string& code: {std::string("echo go; sleep 5; echo not-reached"),
				std::string("echo go; for i in 1 2 3 4 5; do sleep 1; echo not-reached-$i; done\necho not-reached")})
		{
			auto running = startRequest(execd.port(), "POST", "/code", body(code), "\"text\":\"go\"");
			auto start = std::chrono::steady_clock::now();
			CPPUNIT_ASSERT_EQUAL(200, request(execd.port(), "DELETE", "/code?id=" + id).status);
			std::string stream = running.get().body;
			CPPUNIT_ASSERT(std::chrono::steady_clock::now() - start < std::chrono::seconds(2));
			CPPUNIT_ASSERT(stream.find("signal: killed") != std::string::npos);
			CPPUNIT_ASSERT_MESSAGE(stream, stream.find("not-reached") == std::string::npos);
			r = request(execd.port(), "POST", "/code", body("echo kept=$kept"));
			CPPUNIT_ASSERT_MESSAGE(r.body, r.body.find("\"text\":\"kept=yes\"") != std::string::npos);
		}
	}

	void testDeleteDuringARunStopsEverything()
	{
		ExecdProcess execd(shellOptions());
		const std::string late = "/tmp/execd-session-deleted-" + std::to_string(::getpid());
		::unlink(late.c_str());
		for (const std::string& route: {std::string("/session/"), std::string("/command?id=")})
		{
			std::string id = newSession(execd.port());
			auto running = startRequest(execd.port(), "POST", "/session/" + id + "/run",
				"{\"command\":" + quote("echo go; (sleep 1; touch " + late + ") & sleep 5; touch " + late) + "}", "\"text\":\"go\"");
			auto start = std::chrono::steady_clock::now();
			CPPUNIT_ASSERT_EQUAL(200, request(execd.port(), "DELETE", route + id).status);
			std::string body = running.get().body;
			CPPUNIT_ASSERT(std::chrono::steady_clock::now() - start < std::chrono::seconds(2));
			CPPUNIT_ASSERT_MESSAGE(body, body.find("signal: killed") != std::string::npos);
			CPPUNIT_ASSERT_EQUAL(404, request(execd.port(), "DELETE", "/session/" + id).status);
		}
		::sleep(2);
		CPPUNIT_ASSERT(::access(late.c_str(), F_OK) != 0);
	}

	void testClientThatLeavesStopsTheRun()
	{
		ExecdProcess execd(shellOptions());
		std::string id = newSession(execd.port());
		runIn(execd.port(), id, "kept=yes");
		const std::string late = "/tmp/execd-session-left-" + std::to_string(::getpid());
		::unlink(late.c_str());
		{
			Poco::Net::StreamSocket s;
			s.connect(Poco::Net::SocketAddress("127.0.0.1", static_cast<Poco::UInt16>(execd.port())));
			std::string body = "{\"command\":" + quote("echo go; sleep 3; touch " + late) + "}";
			std::string req = "POST /session/" + id + "/run HTTP/1.1\r\nHost: x\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
			s.sendBytes(req.data(), static_cast<int>(req.size()));
			char buffer[4096];
			std::string got;
			while (got.find("\"text\":\"go\"") == std::string::npos)
			{
				int n = s.receiveBytes(buffer, sizeof(buffer));
				if (n <= 0) break;
				got.append(buffer, static_cast<std::size_t>(n));
			}
		}   // the client goes away
		// The run is stopped within about a second (busy until then); the session
		// is the same bash.
		HttpResult r;
		for (int attempt = 0; attempt < 50; ++attempt)
		{
			r = request(execd.port(), "POST", "/session/" + id + "/run", "{\"command\":\"echo kept=$kept\"}");
			if (r.status != 500) break;
			::usleep(50000);
		}
		CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, 200, r.status);
		CPPUNIT_ASSERT(r.body.find("\"text\":\"kept=yes\"") != std::string::npos);
		::sleep(3);
		CPPUNIT_ASSERT(::access(late.c_str(), F_OK) != 0);
	}

	void testUnstoppableRunRestartsTheShell()
	{
		// A command that takes SIGUSR2 away from execd cannot be stopped inside
		// bash: bash is ended after a second, and the next run says so.
		ExecdProcess execd(shellOptions());
		std::string id = newSession(execd.port());
		runIn(execd.port(), id, "kept=yes");
		std::string body;
		auto start = std::chrono::steady_clock::now();
		runIn(execd.port(), id, "trap '' USR2; sleep 5; echo after-the-deadline; sleep 5", ",\"timeout\":500", &body);
		CPPUNIT_ASSERT(std::chrono::steady_clock::now() - start < std::chrono::milliseconds(2500));
		CPPUNIT_ASSERT(body.find("error running in session. timeout after 500ms") != std::string::npos);
		CPPUNIT_ASSERT(body.find("after-the-deadline") == std::string::npos);
		auto events = runIn(execd.port(), id, "echo kept=$kept");
		CPPUNIT_ASSERT_EQUAL(std::string("[kept=]"), texts(events, "stdout"));
		CPPUNIT_ASSERT(texts(events, "stderr").find("earlier state is lost") != std::string::npos);
	}

	void testExitEndsTheShell()
	{
		ExecdProcess execd(shellOptions());
		std::string id = newSession(execd.port());
		auto events = runIn(execd.port(), id, "echo bye; exit 4");
		CPPUNIT_ASSERT_EQUAL(std::string("[bye]"), texts(events, "stdout"));
		CPPUNIT_ASSERT_EQUAL(std::string("4|exit status 4"), terminal(events));
		CPPUNIT_ASSERT_EQUAL(std::string("complete"), terminal(runIn(execd.port(), id, "true")));
	}

	void testBusySession()
	{
		ExecdProcess execd(shellOptions());
		std::string id = newSession(execd.port());
		std::promise<void> started;
		std::atomic<bool> seen{false};
		auto first = std::async(std::launch::async, [&] {
			return request(execd.port(), "POST", "/session/" + id + "/run", "{\"command\":\"echo running; sleep 2\"}", {},
				[&](const std::string& soFar) {
					if (!seen && soFar.find("running") != std::string::npos)
					{
						seen = true;
						started.set_value();
					}
				});
		});
		CPPUNIT_ASSERT(started.get_future().wait_for(std::chrono::seconds(5)) == std::future_status::ready);
		HttpResult busy = request(execd.port(), "POST", "/session/" + id + "/run", "{\"command\":\"echo second\"}");
		CPPUNIT_ASSERT_EQUAL(500, busy.status);
		CPPUNIT_ASSERT_EQUAL(std::string("{\"code\":\"RUNTIME_ERROR\",\"message\":\"error running in session. session is busy\"}"), busy.body);
		// An interrupt of a /session ends it, as upstream's does (kill and forget).
		CPPUNIT_ASSERT_EQUAL(200, request(execd.port(), "DELETE", "/command?id=" + id).status);
		HttpResult r = first.get();
		CPPUNIT_ASSERT(r.body.find("signal: killed") != std::string::npos);
		CPPUNIT_ASSERT_EQUAL(404, request(execd.port(), "DELETE", "/session/" + id).status);
	}

	void testPerRunCwdPersists()
	{
		ExecdProcess execd(shellOptions());
		std::string id = newSession(execd.port());
		CPPUNIT_ASSERT_EQUAL(std::string("[/var]"), texts(runIn(execd.port(), id, "pwd", ",\"cwd\":\"/var\""), "stdout"));
		CPPUNIT_ASSERT_EQUAL(std::string("[/var]"), texts(runIn(execd.port(), id, "pwd"), "stdout"));
		HttpResult r = request(execd.port(), "POST", "/session/" + id + "/run", "{\"command\":\"pwd\",\"cwd\":\"/nonexistent-x\"}");
		CPPUNIT_ASSERT_EQUAL(400, r.status);
		CPPUNIT_ASSERT_EQUAL(std::string("{\"code\":\"INVALID_REQUEST_BODY\",\"message\":\"invalid request. working directory does not exist: /nonexistent-x\"}"), r.body);
	}

	void testDeleteAndUnknown()
	{
		ExecdProcess execd(shellOptions());
		std::string id = newSession(execd.port());
		HttpResult r = request(execd.port(), "DELETE", "/session/" + id);
		CPPUNIT_ASSERT_EQUAL(200, r.status);
		CPPUNIT_ASSERT_EQUAL(std::string("0"), r.header("Content-Length"));
		r = request(execd.port(), "DELETE", "/session/" + id);
		CPPUNIT_ASSERT_EQUAL(404, r.status);
		CPPUNIT_ASSERT_EQUAL("{\"code\":\"CONTEXT_NOT_FOUND\",\"message\":\"session " + id + " not found\"}", r.body);
		r = request(execd.port(), "POST", "/session/" + id + "/run", "{\"command\":\"ls\"}");
		CPPUNIT_ASSERT_EQUAL(500, r.status);
		CPPUNIT_ASSERT_EQUAL(std::string("{\"code\":\"RUNTIME_ERROR\",\"message\":\"error running in session. context not found\"}"), r.body);
	}

	void testBadInput()
	{
		ExecdProcess execd(shellOptions());
		std::string id = newSession(execd.port());
		std::string path = "/session/" + id + "/run";
		HttpResult r = request(execd.port(), "POST", path, "{}");
		CPPUNIT_ASSERT_EQUAL(400, r.status);
		CPPUNIT_ASSERT_EQUAL(std::string("{\"code\":\"INVALID_REQUEST_BODY\",\"message\":\"invalid request. Key: 'RunInSessionRequest.Command' Error:Field validation for 'Command' failed on the 'required' tag\"}"), r.body);
		r = request(execd.port(), "POST", path, "{\"command\":\"ls\",\"timeout\":-1}");
		CPPUNIT_ASSERT_EQUAL(400, r.status);
		r = request(execd.port(), "POST", path, "{\"command\":\"ls\",\"timeout\":\"1\"}");
		CPPUNIT_ASSERT_EQUAL(400, r.status);
		r = request(execd.port(), "POST", path, "{\"command\":");
		CPPUNIT_ASSERT_EQUAL(400, r.status);
		CPPUNIT_ASSERT(r.body.find("error parsing request. ") != std::string::npos);
		CPPUNIT_ASSERT_EQUAL(std::string("complete"), terminal(runIn(execd.port(), id, "true")));
	}

	void testBashLanguageKeepsState()
	{
		ExecdProcess execd(shellOptions());
		HttpResult r = request(execd.port(), "POST", "/code/context", "{\"language\":\"bash\"}");
		CPPUNIT_ASSERT_EQUAL(200, r.status);
		std::string id = object(r.body)->getValue<std::string>("id");
		auto run = [&](const std::string& code)
		{
			return request(execd.port(), "POST", "/code", "{\"code\":" + quote(code) + ",\"context\":{\"id\":\"" + id + "\",\"language\":\"bash\"}}");
		};
		run("n=41; inc() { echo $((n + 1)); }");
		r = run("inc");
		CPPUNIT_ASSERT(r.body.find("\"type\":\"init\",\"text\":\"" + id + "\"") != std::string::npos);
		CPPUNIT_ASSERT(r.body.find("\"type\":\"stdout\",\"text\":\"42\"") != std::string::npos);
		CPPUNIT_ASSERT(r.body.find("execution_complete") != std::string::npos);
		r = request(execd.port(), "GET", "/code/contexts?language=bash");
		CPPUNIT_ASSERT_EQUAL("[{\"id\":\"" + id + "\",\"language\":\"bash\"}]", r.body);
		// An interrupt stops the run and keeps the context, as a kernel's does.
		r = request(execd.port(), "DELETE", "/code?id=" + id);
		CPPUNIT_ASSERT_EQUAL(500, r.status);
		CPPUNIT_ASSERT(r.body.find("is not running") != std::string::npos);
		std::promise<void> started;
		std::atomic<bool> seen{false};
		auto running = std::async(std::launch::async, [&] {
			return request(execd.port(), "POST", "/code", "{\"code\":\"echo go; sleep 30\",\"context\":{\"id\":\"" + id + "\",\"language\":\"bash\"}}", {},
				[&](const std::string& soFar) {
					if (!seen && soFar.find("\"text\":\"go\"") != std::string::npos)
					{
						seen = true;
						started.set_value();
					}
				});
		});
		CPPUNIT_ASSERT(started.get_future().wait_for(std::chrono::seconds(5)) == std::future_status::ready);
		CPPUNIT_ASSERT_EQUAL(200, request(execd.port(), "DELETE", "/code?id=" + id).status);
		CPPUNIT_ASSERT(running.get().body.find("signal: killed") != std::string::npos);
		r = run("inc");
		CPPUNIT_ASSERT(r.body.find("\"text\":\"42\"") != std::string::npos);
		CPPUNIT_ASSERT_EQUAL(200, request(execd.port(), "DELETE", "/code/contexts/" + id).status);
		CPPUNIT_ASSERT_EQUAL(std::string("[]"), request(execd.port(), "GET", "/code/contexts?language=bash").body);
		// The default context, created on first use.
		r = request(execd.port(), "POST", "/code", "{\"code\":\"echo default\",\"context\":{\"language\":\"bash\"}}");
		CPPUNIT_ASSERT(r.body.find("\"text\":\"default\"") != std::string::npos);
	}

	void testForegroundCommandSurvivesDisconnect()
	{
		ExecdProcess execd(shellOptions());
		std::string marker = "/tmp/execd-disconnect-" + std::to_string(::getpid());
		std::string id;
		{
			Poco::Net::StreamSocket s;
			s.connect(Poco::Net::SocketAddress("127.0.0.1", static_cast<Poco::UInt16>(execd.port())));
			std::string body = "{\"command\":\"sleep 1; touch " + marker + "\"}";
			std::string req = "POST /command HTTP/1.1\r\nHost: x\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
			s.sendBytes(req.data(), static_cast<int>(req.size()));
			char buffer[4096];
			std::string got;
			while (got.find("\"type\":\"init\"") == std::string::npos)
			{
				int n = s.receiveBytes(buffer, sizeof(buffer));
				if (n <= 0) break;
				got.append(buffer, static_cast<std::size_t>(n));
			}
			std::smatch m;
			CPPUNIT_ASSERT(std::regex_search(got, m, std::regex("\"text\":\"([0-9a-f]{32})\"")));
			id = m[1].str();
		}   // the client goes away
		auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
		Poco::JSON::Object::Ptr status;
		do
		{
			status = object(request(execd.port(), "GET", "/command/status/" + id).body);
		}
		while (status->getValue<bool>("running") && std::chrono::steady_clock::now() < deadline);
		CPPUNIT_ASSERT_EQUAL(0, status->getValue<int>("exit_code"));
		CPPUNIT_ASSERT(::access(marker.c_str(), F_OK) == 0);
		::unlink(marker.c_str());
	}

	void testRedirectedShellOutputKeepsWorking()
	{
		ExecdProcess execd(shellOptions());
		std::string id = newSession(execd.port());
		auto start = std::chrono::steady_clock::now();
		auto events = runIn(execd.port(), id, "exec >/dev/null; echo hidden; false", ",\"timeout\":5000");
		CPPUNIT_ASSERT(std::chrono::steady_clock::now() - start < std::chrono::seconds(3));
		CPPUNIT_ASSERT_EQUAL(std::string(""), texts(events, "stdout"));
		CPPUNIT_ASSERT_EQUAL(std::string("1|exit status 1"), terminal(events));
		CPPUNIT_ASSERT_EQUAL(std::string("complete"), terminal(runIn(execd.port(), id, "true", ",\"timeout\":5000")));
	}

	void testNulByteIsRefused()
	{
		ExecdProcess execd(shellOptions());
		std::string id = newSession(execd.port());
		HttpResult r = request(execd.port(), "POST", "/session/" + id + "/run", "{\"command\":\"echo a\\u0000b\"}");
		CPPUNIT_ASSERT_EQUAL(400, r.status);
		CPPUNIT_ASSERT(r.body.find("NUL") != std::string::npos);
		CPPUNIT_ASSERT_EQUAL(std::string("complete"), terminal(runIn(execd.port(), id, "true")));
	}

	void testEnvsFileIsReadWhenTheSessionIsCreated()
	{
		// A session's bash starts with the file as it is then (upstream's snapshot
		// at creation); later changes reach new sessions. The session's own
		// exports win over it, as a request's envs do for /command.
		std::string path = "/tmp/execd-session-envs-" + std::to_string(::getpid());
		std::ofstream(path) << "SESSION_VALUE=\"first\\tvalue\"\nexport SPAN='a\nb'\nEXPANDED=${HOME}/x\nJUPYTER_TOKEN=from-file\n";
		ExecdProcess::Options o = shellOptions();
		o.env = {{"EXECD_ENVS", path}};
		ExecdProcess execd(o);
		const std::string print = "echo \"$SESSION_VALUE|$SPAN|$EXPANDED|${JUPYTER_TOKEN-unset}|${EXECD_ENVS-unset}\"";
		const std::string home = std::getenv("HOME");
		std::string first = newSession(execd.port());
		const std::string before = "[first\tvalue|a][b|" + home + "/x|unset|unset]";
		CPPUNIT_ASSERT_EQUAL(before, texts(runIn(execd.port(), first, print), "stdout"));
		std::ofstream(path, std::ios::trunc) << "SESSION_VALUE=second\n";
		CPPUNIT_ASSERT_EQUAL(before, texts(runIn(execd.port(), first, print), "stdout"));
		std::string second = newSession(execd.port());
		CPPUNIT_ASSERT_EQUAL(std::string("[second|||unset|unset]"), texts(runIn(execd.port(), second, print), "stdout"));
		runIn(execd.port(), second, "export SESSION_VALUE=mine");
		CPPUNIT_ASSERT_EQUAL(std::string("[mine]"), texts(runIn(execd.port(), second, "echo $SESSION_VALUE"), "stdout"));
		// The bash code language is a session too.
		HttpResult r = request(execd.port(), "POST", "/code", "{\"code\":\"echo $SESSION_VALUE\",\"context\":{\"language\":\"bash\"}}");
		CPPUNIT_ASSERT_MESSAGE(r.body, r.body.find("\"text\":\"second\"") != std::string::npos);
		::unlink(path.c_str());
	}

	void testTokensDoNotReachSessions()
	{
		// Nor execd's own /proc/<pid>/environ and cmdline: bash's parent is execd.
		ExecdProcess::Options o = shellOptions();
		Tokens::addTo(o);
		ExecdProcess execd(o);
		const std::map<std::string, std::string> auth = Tokens::header();
		HttpResult r = request(execd.port(), "POST", "/session", "", auth);
		CPPUNIT_ASSERT_EQUAL(200, r.status);
		std::string id = object(r.body)->getValue<std::string>("session_id");
		r = request(execd.port(), "POST", "/session/" + id + "/run",
			"{\"command\":" + quote("env; tr '\\0' '\\n' < /proc/$PPID/environ; tr '\\0' ' ' < /proc/$PPID/cmdline") + "}", auth);
		CPPUNIT_ASSERT_EQUAL(200, r.status);
		CPPUNIT_ASSERT_MESSAGE(r.body, r.body.find("PATH=") != std::string::npos);
		CPPUNIT_ASSERT_MESSAGE(r.body, r.body.find("--access-token") != std::string::npos);
		CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, std::string(), Tokens::leaked(r.body));
	}
};


CPPUNIT_TEST_SUITE_REGISTRATION(IntegrationSessionTest);
