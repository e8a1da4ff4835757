// execd's own command routes through the real daemon: stdin to a running
// command, any signal, listing and following commands.

#include "ExecdProcess.h"
#include "Poco/DigestEngine.h"
#include "Poco/JSON/Array.h"
#include "Poco/JSON/Object.h"
#include "Poco/SHA2Engine.h"
#include <cppunit/extensions/HelperMacros.h>
#include <fstream>
#include <future>
#include <set>
#include <sstream>
#include <thread>
#include <unistd.h>


using namespace execd::test;


namespace {


ExecdProcess::Options shellOptions()
{
	return ExecdProcess::modules("shell");
}


std::vector<std::string> jsonEvents(const std::string& body)
	// The events' JSON, without pings and without the "id: N" line of a journalled stream.
{
	std::vector<std::string> out;
	for (std::string e: withoutPings(sseEvents(body)))
	{
		while (e.compare(0, 4, "id: ") == 0 && e.find('\n') != std::string::npos) e.erase(0, e.find('\n') + 1);
		if (!e.empty() && e[0] == '{') out.push_back(e);
	}
	return out;
}


std::string firstId(const std::string& body)
{
	// The init event's text.
	for (const std::string& e: jsonEvents(body))
	{
		auto o = object(e);
		if (o->getValue<std::string>("type") == "init") return o->getValue<std::string>("text");
	}
	return "";
}


std::string stdoutOf(const std::string& body)
	// The stdout events' texts, each in [].
{
	std::string out;
	for (const std::string& e: jsonEvents(body))
	{
		auto o = object(e);
		if (o->getValue<std::string>("type") != "stdout") continue;
		out += "[" + o->getValue<std::string>("text") + "]";
	}
	return out;
}


std::string lastType(const std::string& body)
{
	std::string type;
	for (const std::string& e: jsonEvents(body))
		type = object(e)->getValue<std::string>("type");
	return type;
}


long rssKb(pid_t pid)
{
	std::ifstream in("/proc/" + std::to_string(pid) + "/status");
	std::string line;
	while (std::getline(in, line))
	{
		if (line.compare(0, 6, "VmRSS:") == 0) return std::stol(line.substr(6));
	}
	return 0;
}


std::string sha256(const std::string& data)
{
	Poco::SHA2Engine engine(Poco::SHA2Engine::SHA_256);
	engine.update(data);
	return Poco::DigestEngine::digestToHex(engine.digest());
}


Poco::JSON::Object::Ptr waitEnded(ExecdProcess& execd, const std::string& id)
{
	auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
	for (;;)
	{
		auto status = object(request(execd.port(), "GET", "/command/status/" + id).body);
		if (!status->getValue<bool>("running") || std::chrono::steady_clock::now() > deadline) return status;
		std::this_thread::sleep_for(std::chrono::milliseconds(20));
	}
}


std::string idByTag(ExecdProcess& execd, const std::string& tag)
	// The id of the first command with that tag.
{
	auto commands = object(request(execd.port(), "GET", "/commands?tag=" + tag).body)->getArray("commands");
	CPPUNIT_ASSERT_MESSAGE(tag, commands->size() > 0);
	return commands->getObject(0)->getValue<std::string>("id");
}


std::string background(ExecdProcess& execd, const std::string& body)
{
	return firstId(request(execd.port(), "POST", "/command", body).body);
}


} // namespace


class IntegrationCommandControlTest: public CppUnit::TestFixture
{
	CPPUNIT_TEST_SUITE(IntegrationCommandControlTest);
	CPPUNIT_TEST(testStdinForeground);
	CPPUNIT_TEST(testStdinErrors);
	CPPUNIT_TEST(testStdinHundredMebibytes);
	CPPUNIT_TEST(testStdinFullPipeTimesOut);
	CPPUNIT_TEST(testStdinBackground);
	CPPUNIT_TEST(testSignal);
	CPPUNIT_TEST(testListing);
	CPPUNIT_TEST(testFollowForeground);
	CPPUNIT_TEST(testFollowAfterTheClientLeft);
	CPPUNIT_TEST(testFollowJournalled);
	CPPUNIT_TEST(testFollowBackground);
	CPPUNIT_TEST_SUITE_END();

public:
	void testStdinForeground()
	{
		ExecdProcess execd(shellOptions());
		auto run = startRequest(execd.port(), "POST", "/command", "{\"command\":\"cat; echo end\",\"stdin\":true}", "\"type\":\"init\"");
		// The id is in the init event: read it from the listing.
		auto list = object(request(execd.port(), "GET", "/commands?state=running").body);
		auto commands = list->getArray("commands");
		CPPUNIT_ASSERT_EQUAL(std::size_t(1), commands->size());
		const std::string id = commands->getObject(0)->getValue<std::string>("id");
		CPPUNIT_ASSERT_EQUAL(std::string("open"), commands->getObject(0)->getValue<std::string>("stdin"));

		HttpResult r = request(execd.port(), "POST", "/command/" + id + "/stdin", "one\ntw");
		CPPUNIT_ASSERT_EQUAL(200, r.status);
		CPPUNIT_ASSERT_EQUAL(std::string("{\"bytes_written\":6}"), r.body);
		r = request(execd.port(), "POST", "/command/" + id + "/stdin", "o\n");
		CPPUNIT_ASSERT_EQUAL(std::string("{\"bytes_written\":2}"), r.body);
		r = request(execd.port(), "DELETE", "/command/" + id + "/stdin");
		CPPUNIT_ASSERT_EQUAL(200, r.status);
		CPPUNIT_ASSERT_EQUAL(std::string("0"), r.header("Content-Length"));
		CPPUNIT_ASSERT(run.wait_for(std::chrono::seconds(10)) == std::future_status::ready);
		HttpResult out = run.get();
		CPPUNIT_ASSERT_EQUAL(std::string("[one][two][end]"), stdoutOf(out.body));
		CPPUNIT_ASSERT_EQUAL(std::string("execution_complete"), lastType(out.body));
		CPPUNIT_ASSERT_EQUAL(id, firstId(out.body));
	}

	void testStdinErrors()
	{
		ExecdProcess execd(shellOptions());
		HttpResult r = request(execd.port(), "POST", "/command/nosuchcommand/stdin", "x");
		CPPUNIT_ASSERT_EQUAL(404, r.status);
		CPPUNIT_ASSERT_EQUAL(std::string("{\"code\":\"COMMAND_NOT_FOUND\",\"message\":\"command not found: nosuchcommand\"}"), r.body);
		r = request(execd.port(), "DELETE", "/command/nosuchcommand/stdin");
		CPPUNIT_ASSERT_EQUAL(404, r.status);

		// Without "stdin": true the command's stdin is /dev/null, as before.
		std::string id = background(execd, "{\"command\":\"sleep 30\",\"background\":true}");
		r = request(execd.port(), "POST", "/command/" + id + "/stdin", "x");
		CPPUNIT_ASSERT_EQUAL(409, r.status);
		CPPUNIT_ASSERT_EQUAL(std::string("STDIN_NOT_OPEN"), object(r.body)->getValue<std::string>("code"));
		CPPUNIT_ASSERT_EQUAL(200, request(execd.port(), "DELETE", "/command?id=" + id).status);

		// Closed, then ended.
		id = background(execd, "{\"command\":\"cat >/dev/null; sleep 0.3\",\"background\":true,\"stdin\":true}");
		CPPUNIT_ASSERT_EQUAL(200, request(execd.port(), "DELETE", "/command/" + id + "/stdin").status);
		r = request(execd.port(), "POST", "/command/" + id + "/stdin", "x");
		CPPUNIT_ASSERT_EQUAL(409, r.status);
		CPPUNIT_ASSERT_EQUAL(std::string("STDIN_NOT_OPEN"), object(r.body)->getValue<std::string>("code"));
		waitEnded(execd, id);
		r = request(execd.port(), "POST", "/command/" + id + "/stdin", "x");
		CPPUNIT_ASSERT_EQUAL(409, r.status);
		CPPUNIT_ASSERT_EQUAL(std::string("COMMAND_NOT_RUNNING"), object(r.body)->getValue<std::string>("code"));

		// Bad values.
		CPPUNIT_ASSERT_EQUAL(400, request(execd.port(), "POST", "/command", "{\"command\":\"cat\",\"stdin\":\"yes\"}").status);
		CPPUNIT_ASSERT_EQUAL(400, request(execd.port(), "POST", "/command", "{\"command\":\"cat\",\"tag\":\"" + std::string(257, 't') + "\"}").status);
		CPPUNIT_ASSERT_EQUAL(400, request(execd.port(), "POST", "/command/" + id + "/stdin?timeout=0", "x").status);
		CPPUNIT_ASSERT_EQUAL(400, request(execd.port(), "POST", "/command/" + id + "/stdin?timeout=abc", "x").status);
	}

	void testStdinHundredMebibytes()
	{
		ExecdProcess execd(shellOptions());
		std::string data(100 * 1024 * 1024, '\0');
		unsigned state = 12345;
		for (char& c: data)
		{
			state = state * 1103515245u + 12345u;
			c = static_cast<char>(state >> 24);
		}
		auto run = startRequest(execd.port(), "POST", "/command", "{\"command\":\"sha256sum\",\"stdin\":true,\"tag\":\"sha\"}", "\"type\":\"init\"");
		const std::string id = idByTag(execd, "sha");
		const long before = rssKb(execd.pid());
		HttpResult r = request(execd.port(), "POST", "/command/" + id + "/stdin", data);
		const long after = rssKb(execd.pid());
		CPPUNIT_ASSERT_EQUAL(std::string("{\"bytes_written\":104857600}"), r.body);
		CPPUNIT_ASSERT_EQUAL(200, request(execd.port(), "DELETE", "/command/" + id + "/stdin").status);
		CPPUNIT_ASSERT(run.wait_for(std::chrono::seconds(20)) == std::future_status::ready);
		CPPUNIT_ASSERT_EQUAL("[" + sha256(data) + "  -]", stdoutOf(run.get().body));
		CPPUNIT_ASSERT_MESSAGE(std::to_string(after - before) + " kB", after - before <= 8 * 1024);
	}

	void testStdinFullPipeTimesOut()
	{
		ExecdProcess execd(shellOptions());
		std::string id = background(execd, "{\"command\":\"sleep 30\",\"background\":true,\"stdin\":true}");
		// The command does not read: the pipe takes 64 KiB, then nothing.
		auto start = std::chrono::steady_clock::now();
		HttpResult r = request(execd.port(), "POST", "/command/" + id + "/stdin?timeout=300", std::string(1024 * 1024, 'x'));
		auto took = std::chrono::steady_clock::now() - start;
		CPPUNIT_ASSERT_EQUAL(408, r.status);
		auto error = object(r.body);
		CPPUNIT_ASSERT_EQUAL(std::string("STDIN_TIMEOUT"), error->getValue<std::string>("code"));
		CPPUNIT_ASSERT_MESSAGE(r.body, error->getValue<std::string>("message").find("(65536 bytes written)") != std::string::npos);
		CPPUNIT_ASSERT(took >= std::chrono::milliseconds(300) && took < std::chrono::seconds(5));
		// A writer's wait ends with the command too.
		auto pending = std::async(std::launch::async, [&] {
			return request(execd.port(), "POST", "/command/" + id + "/stdin?timeout=20000", std::string(1024 * 1024, 'y'));
		});
		std::this_thread::sleep_for(std::chrono::milliseconds(200));
		CPPUNIT_ASSERT_EQUAL(200, request(execd.port(), "DELETE", "/command?id=" + id).status);
		CPPUNIT_ASSERT(pending.wait_for(std::chrono::seconds(5)) == std::future_status::ready);
		r = pending.get();
		CPPUNIT_ASSERT_EQUAL(409, r.status);
		CPPUNIT_ASSERT_EQUAL(std::string("COMMAND_NOT_RUNNING"), object(r.body)->getValue<std::string>("code"));
	}

	void testStdinBackground()
	{
		ExecdProcess execd(shellOptions());
		char dir[] = "/tmp/execd-stdin-XXXXXX";
		CPPUNIT_ASSERT(::mkdtemp(dir));
		const std::string file = std::string(dir) + "/out";
		std::string id = background(execd, "{\"command\":\"cat > " + file + "\",\"background\":true,\"stdin\":true}");
		// Two writers at once: each body arrives whole.
		auto a = std::async(std::launch::async, [&] { return request(execd.port(), "POST", "/command/" + id + "/stdin", std::string(300000, 'a')); });
		auto b = std::async(std::launch::async, [&] { return request(execd.port(), "POST", "/command/" + id + "/stdin", std::string(300000, 'b')); });
		CPPUNIT_ASSERT_EQUAL(200, a.get().status);
		CPPUNIT_ASSERT_EQUAL(200, b.get().status);
		CPPUNIT_ASSERT_EQUAL(200, request(execd.port(), "DELETE", "/command/" + id + "/stdin").status);
		auto status = waitEnded(execd, id);
		CPPUNIT_ASSERT_EQUAL(0, status->getValue<int>("exit_code"));
		std::ifstream in(file);
		std::stringstream content;
		content << in.rdbuf();
		const std::string got = content.str();
		CPPUNIT_ASSERT_EQUAL(std::size_t(600000), got.size());
		CPPUNIT_ASSERT(got == std::string(300000, 'a') + std::string(300000, 'b') || got == std::string(300000, 'b') + std::string(300000, 'a'));
		::unlink(file.c_str());
		::rmdir(dir);
	}

	void testSignal()
	{
		ExecdProcess execd(shellOptions());
		std::string id = background(execd, "{\"command\":\"trap 'exit 7' USR1; while :; do sleep 0.05; done\",\"background\":true}");
		std::this_thread::sleep_for(std::chrono::milliseconds(200));   // the trap is set
		HttpResult r = request(execd.port(), "POST", "/command/" + id + "/signal", "{\"signal\":\"SIGUSR1\"}");
		CPPUNIT_ASSERT_EQUAL(200, r.status);
		CPPUNIT_ASSERT_EQUAL(std::string("0"), r.header("Content-Length"));
		CPPUNIT_ASSERT_EQUAL(7, waitEnded(execd, id)->getValue<int>("exit_code"));
		r = request(execd.port(), "POST", "/command/" + id + "/signal", "{\"signal\":15}");
		CPPUNIT_ASSERT_EQUAL(409, r.status);
		CPPUNIT_ASSERT_EQUAL(std::string("COMMAND_NOT_RUNNING"), object(r.body)->getValue<std::string>("code"));

		// By number, to a foreground command: its stream ends as signaled.
		auto run = startRequest(execd.port(), "POST", "/command", "{\"command\":\"sleep 30\",\"tag\":\"fg\"}", "\"type\":\"init\"");
		id = idByTag(execd, "fg");
		for (const char* bad: {"{\"signal\":0}", "{\"signal\":65}", "{\"signal\":\"SIGNOPE\"}", "{\"signal\":true}", "{}", "{\"signal\":\"RTMIN+99\"}"})
		{
			r = request(execd.port(), "POST", "/command/" + id + "/signal", bad);
			CPPUNIT_ASSERT_EQUAL_MESSAGE(bad, 400, r.status);
		}
		r = request(execd.port(), "POST", "/command/" + id + "/signal", "{\"signal\":\"term\"}");
		CPPUNIT_ASSERT_EQUAL(200, r.status);
		CPPUNIT_ASSERT(run.wait_for(std::chrono::seconds(5)) == std::future_status::ready);
		HttpResult out = run.get();
		CPPUNIT_ASSERT_MESSAGE(out.body, out.body.find("\"traceback\":[\"signal: terminated\"]") != std::string::npos);
		CPPUNIT_ASSERT_EQUAL(404, request(execd.port(), "POST", "/command/none/signal", "{\"signal\":9}").status);
	}

	void testListing()
	{
		ExecdProcess execd(shellOptions());
		std::vector<std::string> ids;
		for (int i = 0; i < 5; ++i)
		{
			std::string tag = i % 2 ? "odd" : "even";
			std::string cmd = i < 3 ? "sleep 30" : "true";
			ids.push_back(background(execd, "{\"command\":\"" + cmd + "\",\"background\":true,\"tag\":\"" + tag + "\"}"));
		}
		waitEnded(execd, ids[3]);
		waitEnded(execd, ids[4]);

		auto page = object(request(execd.port(), "GET", "/commands").body);
		CPPUNIT_ASSERT_EQUAL(std::size_t(5), page->getArray("commands")->size());
		CPPUNIT_ASSERT(!page->has("next_cursor"));
		auto first = page->getArray("commands")->getObject(0);
		CPPUNIT_ASSERT_EQUAL(ids[0], first->getValue<std::string>("id"));
		CPPUNIT_ASSERT_EQUAL(std::string("even"), first->getValue<std::string>("tag"));
		CPPUNIT_ASSERT(first->getValue<bool>("running"));
		CPPUNIT_ASSERT(first->getValue<bool>("background"));
		CPPUNIT_ASSERT(first->getValue<int>("pid") > 0);
		CPPUNIT_ASSERT(!first->has("exit_code"));
		auto last = page->getArray("commands")->getObject(4);
		CPPUNIT_ASSERT_EQUAL(0, last->getValue<int>("exit_code"));
		CPPUNIT_ASSERT(last->has("finished_at"));

		CPPUNIT_ASSERT_EQUAL(std::size_t(3), object(request(execd.port(), "GET", "/commands?state=running").body)->getArray("commands")->size());
		CPPUNIT_ASSERT_EQUAL(std::size_t(2), object(request(execd.port(), "GET", "/commands?state=exited").body)->getArray("commands")->size());
		CPPUNIT_ASSERT_EQUAL(std::size_t(2), object(request(execd.port(), "GET", "/commands?tag=odd").body)->getArray("commands")->size());
		CPPUNIT_ASSERT_EQUAL(std::size_t(1), object(request(execd.port(), "GET", "/commands?tag=odd&state=exited").body)->getArray("commands")->size());

		// Two at a time: every command once, in order.
		std::vector<std::string> seen;
		std::string target = "/commands?limit=2";
		for (int pages = 0; pages < 10; ++pages)
		{
			auto p = object(request(execd.port(), "GET", target).body);
			for (std::size_t i = 0; i < p->getArray("commands")->size(); ++i)
				seen.push_back(p->getArray("commands")->getObject(static_cast<unsigned>(i))->getValue<std::string>("id"));
			if (!p->has("next_cursor")) break;
			target = "/commands?limit=2&cursor=" + p->getValue<std::string>("next_cursor");
		}
		CPPUNIT_ASSERT(seen == ids);

		for (const char* bad: {"/commands?state=sleeping", "/commands?limit=0", "/commands?limit=1001", "/commands?cursor=-1", "/commands?cursor=x"})
		{
			HttpResult r = request(execd.port(), "GET", bad);
			CPPUNIT_ASSERT_EQUAL_MESSAGE(bad, 400, r.status);
			CPPUNIT_ASSERT_EQUAL(std::string("INVALID_REQUEST_BODY"), object(r.body)->getValue<std::string>("code"));
		}
		for (int i = 0; i < 3; ++i) request(execd.port(), "DELETE", "/command?id=" + ids[static_cast<std::size_t>(i)]);
	}

	void testFollowForeground()
	{
		ExecdProcess execd(shellOptions());
		auto run = startRequest(execd.port(), "POST", "/command", "{\"command\":\"cat; echo end; exit 3\",\"stdin\":true,\"tag\":\"f\"}", "\"type\":\"init\"");
		const std::string id = idByTag(execd, "f");
		request(execd.port(), "POST", "/command/" + id + "/stdin", "before\n");
		std::this_thread::sleep_for(std::chrono::milliseconds(200));
		auto follower = startRequest(execd.port(), "GET", "/command/" + id + "/events", "", "\"type\":\"init\"");
		auto second = startRequest(execd.port(), "GET", "/command/" + id + "/events", "", "\"type\":\"init\"");
		request(execd.port(), "POST", "/command/" + id + "/stdin", "after\n");
		request(execd.port(), "DELETE", "/command/" + id + "/stdin");
		CPPUNIT_ASSERT(run.wait_for(std::chrono::seconds(10)) == std::future_status::ready);
		CPPUNIT_ASSERT(follower.wait_for(std::chrono::seconds(10)) == std::future_status::ready);
		HttpResult own = run.get();
		HttpResult followed = follower.get();
		CPPUNIT_ASSERT_EQUAL(std::string("[before][after][end]"), stdoutOf(own.body));
		// From now on: what came after it attached, then the same final event.
		CPPUNIT_ASSERT_EQUAL(200, followed.status);
		CPPUNIT_ASSERT_EQUAL(std::string("text/event-stream"), followed.header("Content-Type").substr(0, 17));
		CPPUNIT_ASSERT_EQUAL(id, firstId(followed.body));
		CPPUNIT_ASSERT_EQUAL(std::string("[after][end]"), stdoutOf(followed.body));
		CPPUNIT_ASSERT_EQUAL(std::string("error"), lastType(followed.body));
		CPPUNIT_ASSERT_MESSAGE(followed.body, followed.body.find("\"evalue\":\"3\"") != std::string::npos);
		CPPUNIT_ASSERT_EQUAL(stdoutOf(followed.body), stdoutOf(second.get().body));

		// Ended, without a journal: nothing to follow.
		HttpResult r = request(execd.port(), "GET", "/command/" + id + "/events");
		CPPUNIT_ASSERT_EQUAL(409, r.status);
		CPPUNIT_ASSERT_EQUAL(std::string("COMMAND_NOT_RUNNING"), object(r.body)->getValue<std::string>("code"));
		r = request(execd.port(), "GET", "/command/none/events");
		CPPUNIT_ASSERT_EQUAL(404, r.status);
		CPPUNIT_ASSERT_EQUAL(std::string("COMMAND_NOT_FOUND"), object(r.body)->getValue<std::string>("code"));
		CPPUNIT_ASSERT_EQUAL(400, request(execd.port(), "GET", "/command/" + id + "/events?from=yesterday").status);
	}

	void testFollowAfterTheClientLeft()
	{
		ExecdProcess execd(shellOptions());
		// The client reads the head and leaves; the command runs on.
		const std::string body = "{\"command\":\"cat\",\"stdin\":true,\"tag\":\"left\"}";
		rawRequest(execd.port(), "POST /command HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: "
			+ std::to_string(body.size()) + "\r\n\r\n" + body, std::chrono::milliseconds(300));
		const std::string id = idByTag(execd, "left");
		request(execd.port(), "POST", "/command/" + id + "/stdin", "lost\n");   // nobody reads: discarded
		std::this_thread::sleep_for(std::chrono::milliseconds(100));
		auto follower = startRequest(execd.port(), "GET", "/command/" + id + "/events", "", "\"type\":\"init\"");
		request(execd.port(), "POST", "/command/" + id + "/stdin", "seen\n");
		request(execd.port(), "DELETE", "/command/" + id + "/stdin");
		CPPUNIT_ASSERT(follower.wait_for(std::chrono::seconds(10)) == std::future_status::ready);
		HttpResult followed = follower.get();
		CPPUNIT_ASSERT_EQUAL_MESSAGE(followed.raw, std::string("[seen]"), stdoutOf(followed.body));
		CPPUNIT_ASSERT_EQUAL(std::string("execution_complete"), lastType(followed.body));
	}

	void testFollowJournalled()
	{
		ExecdProcess execd(shellOptions());
		auto run = std::async(std::launch::async, [&] {
			return request(execd.port(), "POST", "/command", "{\"command\":\"echo early; cat\",\"stdin\":true,\"tag\":\"j\"}", {{"X-Execd-Resumable", "1"}});
		});
		std::string id;
		for (int i = 0; i < 200 && id.empty(); ++i)
		{
			auto commands = object(request(execd.port(), "GET", "/commands?tag=j").body)->getArray("commands");
			if (commands->size() == 1) id = commands->getObject(0)->getValue<std::string>("id");
			else std::this_thread::sleep_for(std::chrono::milliseconds(20));
		}
		CPPUNIT_ASSERT(!id.empty());
		// From the start: the journal has it.
		auto follower = startRequest(execd.port(), "GET", "/command/" + id + "/events", "", "early");
		request(execd.port(), "POST", "/command/" + id + "/stdin", "late\n");
		request(execd.port(), "DELETE", "/command/" + id + "/stdin");
		CPPUNIT_ASSERT(follower.wait_for(std::chrono::seconds(10)) == std::future_status::ready);
		HttpResult followed = follower.get();
		CPPUNIT_ASSERT_EQUAL(std::string("[early][late]"), stdoutOf(followed.body));
		CPPUNIT_ASSERT_MESSAGE(followed.raw, followed.body.find("id: 1\n") != std::string::npos);
		CPPUNIT_ASSERT_EQUAL(std::string("execution_complete"), lastType(followed.body));
		CPPUNIT_ASSERT_EQUAL(std::string("[early][late]"), stdoutOf(run.get().body));
	}

	void testFollowBackground()
	{
		ExecdProcess execd(shellOptions());
		std::string id = background(execd, "{\"command\":\"echo one; cat; echo three; exit 2\",\"background\":true,\"stdin\":true}");
		std::this_thread::sleep_for(std::chrono::milliseconds(200));
		auto fromStart = startRequest(execd.port(), "GET", "/command/" + id + "/events?from=start", "", "one");
		auto fromNow = startRequest(execd.port(), "GET", "/command/" + id + "/events", "", "\"type\":\"init\"");
		request(execd.port(), "POST", "/command/" + id + "/stdin", "two\n");
		request(execd.port(), "DELETE", "/command/" + id + "/stdin");
		CPPUNIT_ASSERT(fromStart.wait_for(std::chrono::seconds(10)) == std::future_status::ready);
		CPPUNIT_ASSERT(fromNow.wait_for(std::chrono::seconds(10)) == std::future_status::ready);
		HttpResult all = fromStart.get();
		HttpResult later = fromNow.get();
		// The output file's lines, one event each, as on the command's own stream.
		CPPUNIT_ASSERT_EQUAL(std::string("[one][two][three]"), stdoutOf(all.body));
		CPPUNIT_ASSERT_EQUAL(std::string("[two][three]"), stdoutOf(later.body));
		CPPUNIT_ASSERT_EQUAL(std::string("error"), lastType(all.body));
		CPPUNIT_ASSERT_MESSAGE(all.body, all.body.find("\"evalue\":\"2\"") != std::string::npos);
		// Ended: the whole output and the end, at once.
		HttpResult again = request(execd.port(), "GET", "/command/" + id + "/events?from=start");
		CPPUNIT_ASSERT_EQUAL(std::string("error"), lastType(again.body));
	}
};


CPPUNIT_TEST_SUITE_REGISTRATION(IntegrationCommandControlTest);
