// Resumable runs through the real daemon (issue #19): /command, /code and
// session runs cut and resumed at random points, the journal's bounds and
// expiry, and the default streams left byte for byte as they were.

#include "ExecdProcess.h"
#include "Poco/JSON/Object.h"
#include "Poco/Net/SocketAddress.h"
#include "Poco/Net/StreamSocket.h"
#include "Poco/String.h"
#include <cppunit/extensions/HelperMacros.h>
#include <chrono>
#include <fstream>
#include <cstring>
#include <functional>
#include <future>
#include <set>
#include <iostream>
#include <random>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>
#include <sys/stat.h>
#include <unistd.h>


using namespace execd::test;


namespace {


struct Event
{
	std::uint64_t id = 0;     ///< 0 when the event came without an id line
	std::string type;
	std::string text;
	std::string json;
};


class StreamReader
	/// One streaming request on its own connection, read event by event, so that
	/// the test can hang up wherever it likes.
{
public:
	StreamReader(int port, const std::string& method, const std::string& target, const std::string& body,
		const std::map<std::string, std::string>& headers = {})
	{
		_socket.connect(Poco::Net::SocketAddress("127.0.0.1", static_cast<Poco::UInt16>(port)), Poco::Timespan(5, 0));
		_socket.setReceiveTimeout(Poco::Timespan(20, 0));
		std::string req = method + " " + target + " HTTP/1.1\r\nHost: x\r\nContent-Length: " + std::to_string(body.size()) + "\r\n";
		if (!body.empty()) req += "Content-Type: application/json\r\n";
		for (const auto& h: headers) req += h.first + ": " + h.second + "\r\n";
		req += "\r\n" + body;
		_socket.sendBytes(req.data(), static_cast<int>(req.size()));
	}

	~StreamReader()
	{
		hangUp();
	}

	bool next(Event& event)
		/// The next event but pings; false at the end of the stream.
	{
		for (;;)
		{
			std::size_t end = _body.find("\n\n", _at);
			if (end != std::string::npos)
			{
				std::string block = _body.substr(_at, end - _at);
				_at = end + 2;
				event = Event();
				if (block.compare(0, 4, "id: ") == 0)
				{
					std::size_t eol = block.find('\n');
					event.id = std::stoull(block.substr(4, eol - 4));
					block = block.substr(eol + 1);
				}
				auto o = object(block);
				event.json = block;
				event.type = o->optValue<std::string>("type", "");
				event.text = o->optValue<std::string>("text", "");
				if (event.type == "ping") continue;
				return true;
			}
			if (_ended || !fill()) return false;
		}
	}

	int status()
	{
		while (_status == 0 && fill()) {}
		return _status;
	}

	const std::string& body() const
	{
		return _body;
	}

	void hangUp()
	{
		if (_open) _socket.close();
		_open = false;
	}

private:
	bool fill()
		// Reads more, de-chunking; false at the end of the body.
	{
		char buffer[65536];
		int n = _socket.receiveBytes(buffer, sizeof(buffer));
		if (n <= 0) return false;
		_raw.append(buffer, static_cast<std::size_t>(n));
		if (_status == 0)
		{
			std::size_t head = _raw.find("\r\n\r\n");
			if (head == std::string::npos) return true;
			_status = std::stoi(_raw.substr(9, 3));
			_raw.erase(0, head + 4);
		}
		for (;;)
		{
			std::size_t eol = _raw.find("\r\n");
			if (eol == std::string::npos) return true;
			std::size_t size = std::stoul(_raw.substr(0, eol), nullptr, 16);
			if (size == 0)
			{
				_ended = true;
				return true;
			}
			if (_raw.size() < eol + 2 + size + 2) return true;
			_body.append(_raw, eol + 2, size);
			_raw.erase(0, eol + 2 + size + 2);
		}
	}

	Poco::Net::StreamSocket _socket;
	bool _open = true;
	int _status = 0;
	bool _ended = false;
	std::string _raw;
	std::string _body;
	std::size_t _at = 0;
};


const std::map<std::string, std::string> RESUMABLE{{"X-Execd-Resumable", "1"}};


struct TempDir
	/// A directory of the test's own, removed with all it holds however the
	/// test ends (some hold 1 GiB).
{
	explicit TempDir(const std::string& prefix):
		path("/tmp/" + prefix + "-XXXXXX")
	{
		CPPUNIT_ASSERT(::mkdtemp(&path[0]));
	}

	~TempDir()
	{
		if (::system(("rm -rf '" + path + "'").c_str()) != 0) std::cerr << "cannot remove " << path;
	}

	std::string path;
};


ExecdProcess::Options runsOptions(const std::vector<std::string>& extra = {})
{
	ExecdProcess::Options o;
	o.testModules = false;
	o.properties = {"execd.modules.load = shell, jupyter", "module.jupyter.mode = direct"};
	o.properties.insert(o.properties.end(), extra.begin(), extra.end());
	return o;
}


std::string commandBody(const std::string& cmd)
{
	return "{\"command\":" + quote(cmd) + "}";
}


// Prints lines 1..20000 in bursts, so that the run still writes while it is resumed.
const std::string BURSTS = "i=0; while [ $i -lt 20000 ]; do seq $((i+1)) $((i+500)); i=$((i+500)); sleep 0.05; done";


std::string expectedLines(int n)
{
	std::string s;
	for (int i = 1; i <= n; ++i) s += std::to_string(i) + "\n";
	return s;
}


struct Cut
{
	std::string runId;
	std::uint64_t lastId = 0;
	std::string text;          ///< the outputs seen, concatenated
	bool ended = false;
	long long firstResumeAt = 0;
	long long endedAt = 0;     ///< the execution_complete's timestamp
};


long long nowMillis()
{
	return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}


// Reads events until stopAfter outputs were seen (0: to the end), appending them to cut.
void readInto(StreamReader& reader, Cut& cut, std::size_t stopAfter, const std::function<std::string(const Event&)>& output)
{
	std::size_t outputs = 0;
	Event e;
	while (reader.next(e))
	{
		CPPUNIT_ASSERT_MESSAGE(e.json, e.id != 0);
		CPPUNIT_ASSERT_EQUAL_MESSAGE(e.json, cut.lastId + 1, e.id);   // no gap, no duplicate
		cut.lastId = e.id;
		if (e.type == "init") cut.runId = e.text;
		if (e.type == "execution_complete" || e.type == "error")
		{
			cut.ended = true;
			cut.endedAt = object(e.json)->getValue<long long>("timestamp");
		}
		std::string out = output(e);
		if (!out.empty())
		{
			cut.text += out;
			if (stopAfter != 0 && ++outputs >= stopAfter) return;
		}
	}
}


std::string commandOutput(const Event& e)
{
	return e.type == "stdout" ? e.text + "\n" : std::string();
}


std::string codeOutput(const Event& e)
{
	return e.type == "stdout" ? e.text : std::string();
}


// The run of a first request, cut after 5,000 outputs, then resumed 10 times at
// random points (the last one to the end).
Cut cutAndResume(int port, const std::string& target, const std::string& body, const std::function<std::string(const Event&)>& output,
	std::size_t firstCut)
{
	Cut cut;
	{
		StreamReader first(port, "POST", target, body, RESUMABLE);
		CPPUNIT_ASSERT_EQUAL(200, first.status());
		readInto(first, cut, firstCut, output);
	}
	CPPUNIT_ASSERT(!cut.runId.empty());
	std::mt19937 random(19);
	for (int i = 0; i < 10 && !cut.ended; ++i)
	{
		if (i == 0) cut.firstResumeAt = nowMillis();
		StreamReader again(port, "GET", "/runs/" + cut.runId + "/events", "", {{"Last-Event-ID", std::to_string(cut.lastId)}});
		CPPUNIT_ASSERT_EQUAL(200, again.status());
		readInto(again, cut, i == 9 ? 0 : 1 + random() % 1500, output);
	}
	if (!cut.ended)
	{
		StreamReader rest(port, "GET", "/runs/" + cut.runId + "/events?after=" + std::to_string(cut.lastId), "");
		readInto(rest, cut, 0, output);
	}
	CPPUNIT_ASSERT(cut.ended);
	return cut;
}


const std::map<std::string, std::string> DETAILS{{"X-Execd-Exit-Details", "1"}};


// The final event of a stream (execution_complete or error), parsed.
Poco::JSON::Object::Ptr finalEvent(const std::string& body)
{
	Poco::JSON::Object::Ptr last;
	for (const std::string& e: withoutPings(sseEvents(body)))
	{
		if (e.empty()) continue;
		std::string json = e.compare(0, 4, "id: ") == 0 ? e.substr(e.find('\n') + 1) : e;
		if (json[0] != '{') continue;
		auto o = object(json);
		const std::string type = o->optValue<std::string>("type", "");
		if (type == "execution_complete" || type == "error") last = o;
	}
	CPPUNIT_ASSERT_MESSAGE(body, last);
	return last;
}


} // namespace


class IntegrationRunsTest: public CppUnit::TestFixture
{
	CPPUNIT_TEST_SUITE(IntegrationRunsTest);
	CPPUNIT_TEST(testCommandCutAndResumed);
	CPPUNIT_TEST(testCodeCutAndResumed);
	CPPUNIT_TEST(testSessionRunResumed);
	CPPUNIT_TEST(testDefaultStreamsUnchanged);
	CPPUNIT_TEST(testInterruptWhileDetached);
	CPPUNIT_TEST(testTruncatedJournal);
	CPPUNIT_TEST(testExpiry);
	CPPUNIT_TEST(testErrors);
	CPPUNIT_TEST(testCapabilities);
	CPPUNIT_TEST(testExitReasons);
	CPPUNIT_TEST(testClientGoneAndShutdown);
	CPPUNIT_TEST(testOomKilled);
	CPPUNIT_TEST(testIdempotentRuns);
	CPPUNIT_TEST(testIdempotentFileRoutes);
	CPPUNIT_TEST(testFloodPolicy);
	CPPUNIT_TEST(testFloodPolicyOfOtherRuns);
	CPPUNIT_TEST(testCodeExitReasons);
	CPPUNIT_TEST(testResumableUpload);
	CPPUNIT_TEST(testUploadErrors);
	CPPUNIT_TEST_SUITE_END();

public:
	void testCommandCutAndResumed()
	{
		ExecdProcess execd(runsOptions());
		Cut cut = cutAndResume(execd.port(), "/command", commandBody(BURSTS), commandOutput, 5000);
		CPPUNIT_ASSERT(cut.text == expectedLines(20000));
		// The first resume came while the run still wrote.
		CPPUNIT_ASSERT(cut.firstResumeAt < cut.endedAt);
		// Read again from the start: the same events.
		Cut whole;
		StreamReader again(execd.port(), "GET", "/runs/" + cut.runId + "/events", "");
		readInto(again, whole, 0, commandOutput);
		CPPUNIT_ASSERT(whole.text == cut.text);
		CPPUNIT_ASSERT_EQUAL(cut.lastId, whole.lastId);
	}

	void testCodeCutAndResumed()
	{
		ExecdProcess execd(runsOptions());
		const std::string code = "import sys, time\nfor b in range(40):\n"
			"    sys.stdout.write(''.join('%d\\n' % i for i in range(b * 500 + 1, b * 500 + 501)))\n"
			"    sys.stdout.flush()\n    time.sleep(0.05)\n";
		const std::string body = "{\"code\":" + quote(code) + ",\"context\":{\"language\":\"python\"}}";
		// Python's outputs come as chunks of lines: cut after a few of them.
		Cut cut = cutAndResume(execd.port(), "/code", body, codeOutput, 5);
		CPPUNIT_ASSERT(cut.text == expectedLines(20000));
	}

	void testSessionRunResumed()
	{
		ExecdProcess execd(runsOptions());
		HttpResult r = request(execd.port(), "POST", "/session", "");
		CPPUNIT_ASSERT_EQUAL(200, r.status);
		const std::string session = object(r.body)->getValue<std::string>("session_id");
		Cut cut = cutAndResume(execd.port(), "/session/" + session + "/run", commandBody(BURSTS), commandOutput, 5000);
		CPPUNIT_ASSERT_EQUAL(session, cut.runId);
		CPPUNIT_ASSERT(cut.text == expectedLines(20000));
		// The session's next run replaces its journal.
		Cut next;
		StreamReader second(execd.port(), "POST", "/session/" + session + "/run", commandBody("echo next"), RESUMABLE);
		readInto(second, next, 0, commandOutput);
		Cut replay;
		StreamReader again(execd.port(), "GET", "/runs/" + session + "/events", "");
		readInto(again, replay, 0, commandOutput);
		CPPUNIT_ASSERT_EQUAL(std::string("next\n"), replay.text);
	}

	void testDefaultStreamsUnchanged()
	{
		// Without the headers, today's bytes: no id lines, not journalled.
		ExecdProcess execd(runsOptions());
		HttpResult r = request(execd.port(), "POST", "/command", commandBody("echo hi; sleep 0.05; echo err >&2"));
		// The frames expected, with the timestamps and times that came filled in:
		// chunk sizes and all, byte for byte.
		const std::string id = std::regex_replace(r.body.substr(0, r.body.find("\n")), std::regex(".*\"text\":\"([0-9a-f]+)\".*"), "$1");
		std::vector<std::string> numbers;
		const std::regex number("\"(timestamp|execution_time)\":([0-9]+)");
		for (auto it = std::sregex_iterator(r.rawBody.begin(), r.rawBody.end(), number); it != std::sregex_iterator(); ++it)
			numbers.push_back((*it)[2]);
		CPPUNIT_ASSERT_EQUAL(std::size_t(6), numbers.size());
		auto chunk = [](const std::string& s) { std::ostringstream o; o << std::uppercase << std::hex << s.size() << "\r\n" << s << "\r\n"; return o.str(); };
		const std::string expected = chunk("{\"type\":\"init\",\"text\":\"" + id + "\",\"timestamp\":" + numbers[0] + "}\n\n")
			+ chunk("{\"type\":\"ping\",\"text\":\"pong\",\"timestamp\":" + numbers[1] + "}\n\n")
			+ chunk("{\"type\":\"stdout\",\"text\":\"hi\",\"timestamp\":" + numbers[2] + "}\n\n")
			+ chunk("{\"type\":\"stderr\",\"text\":\"err\",\"timestamp\":" + numbers[3] + "}\n\n")
			+ chunk("{\"type\":\"execution_complete\",\"execution_time\":" + numbers[4] + ",\"timestamp\":" + numbers[5] + "}\n\n") + "0\r\n\r\n";
		CPPUNIT_ASSERT_EQUAL(expected, r.rawBody);
		CPPUNIT_ASSERT_EQUAL(404, request(execd.port(), "GET", "/runs/" + id + "/events").status);
		// X-Execd-Resumable: 0 is not a request for it either.
		r = request(execd.port(), "POST", "/command", commandBody("echo hi"), {{"X-Execd-Resumable", "0"}});
		CPPUNIT_ASSERT(r.body.find("id: ") == std::string::npos);
	}

	void testInterruptWhileDetached()
	{
		// A resumable run outlives its client; DELETE /command still stops it.
		ExecdProcess execd(runsOptions());
		Cut cut;
		{
			StreamReader first(execd.port(), "POST", "/command", commandBody("echo started; sleep 60; echo never"), RESUMABLE);
			readInto(first, cut, 1, commandOutput);
		}
		std::this_thread::sleep_for(std::chrono::milliseconds(300));
		StreamReader follow(execd.port(), "GET", "/runs/" + cut.runId + "/events?after=" + std::to_string(cut.lastId), "");
		CPPUNIT_ASSERT_EQUAL(200, follow.status());
		auto start = std::chrono::steady_clock::now();
		CPPUNIT_ASSERT_EQUAL(200, request(execd.port(), "DELETE", "/command?id=" + cut.runId).status);
		readInto(follow, cut, 0, commandOutput);
		CPPUNIT_ASSERT(std::chrono::steady_clock::now() - start < std::chrono::seconds(5));
		CPPUNIT_ASSERT_EQUAL(std::string("started\n"), cut.text);
		CPPUNIT_ASSERT(cut.ended);
	}

	void testTruncatedJournal()
	{
		ExecdProcess execd(runsOptions({"execd.runs.journalBytes = 65536"}));
		Cut cut;
		{
			StreamReader first(execd.port(), "POST", "/command", commandBody("seq 1 100000"), RESUMABLE);
			readInto(first, cut, 0, commandOutput);
		}
		CPPUNIT_ASSERT(cut.text == expectedLines(100000));
		StreamReader again(execd.port(), "GET", "/runs/" + cut.runId + "/events", "");
		Event e;
		CPPUNIT_ASSERT(again.next(e));
		CPPUNIT_ASSERT_EQUAL(std::string("truncated"), e.type);
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(0), e.id);
		const std::uint64_t dropped = object(e.json)->getValue<std::uint64_t>("dropped_events");
		CPPUNIT_ASSERT(dropped > 1000);
		CPPUNIT_ASSERT(again.next(e));
		CPPUNIT_ASSERT_EQUAL(dropped + 1, e.id);
		std::uint64_t last = e.id;
		while (again.next(e)) last = e.id;
		CPPUNIT_ASSERT_EQUAL(cut.lastId, last);
		// A reader past the dropped part gets no truncated event.
		StreamReader tail(execd.port(), "GET", "/runs/" + cut.runId + "/events?after=" + std::to_string(cut.lastId - 2), "");
		CPPUNIT_ASSERT(tail.next(e));
		CPPUNIT_ASSERT_EQUAL(cut.lastId - 1, e.id);
	}

	void testExpiry()
	{
		ExecdProcess execd(runsOptions({"execd.runs.ttlMillis = 300"}));
		Cut cut;
		StreamReader first(execd.port(), "POST", "/command", commandBody("echo hi"), {{"Last-Event-ID", "0"}});
		readInto(first, cut, 0, commandOutput);
		CPPUNIT_ASSERT_EQUAL(200, request(execd.port(), "GET", "/runs/" + cut.runId + "/events").status);
		std::this_thread::sleep_for(std::chrono::milliseconds(500));
		HttpResult r = request(execd.port(), "GET", "/runs/" + cut.runId + "/events");
		CPPUNIT_ASSERT_EQUAL(404, r.status);
		CPPUNIT_ASSERT_EQUAL(std::string("RUN_NOT_FOUND"), object(r.body)->getValue<std::string>("code"));
	}

	void testErrors()
	{
		ExecdProcess execd(runsOptions());
		Cut cut;
		StreamReader first(execd.port(), "POST", "/command", commandBody("echo hi"), RESUMABLE);
		readInto(first, cut, 0, commandOutput);
		const std::string events = "/runs/" + cut.runId + "/events";
		for (const std::string& bad: {std::string("x"), std::string("-1"), std::string("1.5"), std::string(""), std::string("99999999999999999999999")})
		{
			HttpResult r = request(execd.port(), "GET", events, "", {{"Last-Event-ID", bad}});
			CPPUNIT_ASSERT_EQUAL_MESSAGE(bad, 400, r.status);
			CPPUNIT_ASSERT_EQUAL(std::string("INVALID_REQUEST_BODY"), object(r.body)->getValue<std::string>("code"));
		}
		CPPUNIT_ASSERT_EQUAL(400, request(execd.port(), "GET", events + "?after=abc").status);
		CPPUNIT_ASSERT_EQUAL(404, request(execd.port(), "GET", "/runs/nosuchrun/events").status);
		// Past the end of a finished run: an empty stream that ends at once.
		HttpResult r = request(execd.port(), "GET", events + "?after=1000");
		CPPUNIT_ASSERT_EQUAL(200, r.status);
		CPPUNIT_ASSERT_EQUAL(std::string("text/event-stream"), r.header("Content-Type"));
		CPPUNIT_ASSERT_EQUAL(std::string(""), r.body);
		// A failure before init is the usual JSON error, journalled nowhere.
		r = request(execd.port(), "POST", "/command", "{\"command\":\"\"}", RESUMABLE);
		CPPUNIT_ASSERT_EQUAL(400, r.status);
	}


	void testExitReasons()
	{
		ExecdProcess execd(runsOptions());
		auto run = [&](const std::string& body) { return finalEvent(request(execd.port(), "POST", "/command", body, DETAILS).body); };
		auto o = run(commandBody("echo hi"));
		CPPUNIT_ASSERT_EQUAL(std::string("execution_complete"), o->getValue<std::string>("type"));
		CPPUNIT_ASSERT_EQUAL(std::string("exited"), o->getValue<std::string>("exit_reason"));
		CPPUNIT_ASSERT_EQUAL(0, o->getValue<int>("exit_code"));
		CPPUNIT_ASSERT_EQUAL(3, o->getValue<int>("output_bytes"));
		CPPUNIT_ASSERT(o->has("cpu_user_ms") && o->has("cpu_system_ms") && o->has("wall_ms"));
		CPPUNIT_ASSERT(!o->has("signal"));
		o = run(commandBody("exit 3"));
		CPPUNIT_ASSERT_EQUAL(std::string("exited"), o->getValue<std::string>("exit_reason"));
		CPPUNIT_ASSERT_EQUAL(3, o->getValue<int>("exit_code"));
		CPPUNIT_ASSERT_EQUAL(std::string("3"), o->getObject("error")->getValue<std::string>("evalue"));   // as before
		o = run(commandBody("kill -TERM $$"));
		CPPUNIT_ASSERT_EQUAL(std::string("signaled"), o->getValue<std::string>("exit_reason"));
		CPPUNIT_ASSERT_EQUAL(std::string("SIGTERM"), o->getValue<std::string>("signal"));
		CPPUNIT_ASSERT(!o->has("exit_code"));
		// A peak above execd's own is the run's (execd's own, under a sanitizer
		// large, is read from its status first).
		long long hwm = 0;
		{
			std::ifstream status("/proc/" + std::to_string(execd.pid()) + "/status");
			for (std::string line; std::getline(status, line);)
				if (line.compare(0, 6, "VmHWM:") == 0) hwm = std::stoll(line.substr(6));
		}
		const long long wantKb = std::max(150LL * 1024, hwm + 64 * 1024);
		o = run(commandBody("/usr/bin/python3 -c 'a = bytearray(" + std::to_string(wantKb) + " * 1024); a[::4096] = b\"x\" * len(a[::4096])'"));
		CPPUNIT_ASSERT_MESSAGE(std::to_string(o->optValue<long long>("max_rss_kb", -1)) + " kB, wanted " + std::to_string(wantKb),
			o->has("max_rss_kb") && o->getValue<long long>("max_rss_kb") > wantKb);
		o = run("{\"command\":\"sleep 10\",\"timeout\":300}");
		CPPUNIT_ASSERT_EQUAL(std::string("timeout"), o->getValue<std::string>("exit_reason"));
		CPPUNIT_ASSERT(o->getValue<long long>("wall_ms") >= 300);
		// An interrupt.
		{
			StreamReader reader(execd.port(), "POST", "/command", commandBody("echo go; sleep 30"), DETAILS);
			Event e;
			CPPUNIT_ASSERT(reader.next(e));
			const std::string id = e.text;
			CPPUNIT_ASSERT_EQUAL(200, request(execd.port(), "DELETE", "/command?id=" + id).status);   // at once after init
			while (reader.next(e)) {}
			CPPUNIT_ASSERT_EQUAL(std::string("interrupted"), finalEvent(reader.body())->getValue<std::string>("exit_reason"));
		}
		// Session runs: an exit code.
		HttpResult r = request(execd.port(), "POST", "/session", "");
		const std::string session = object(r.body)->getValue<std::string>("session_id");
		o = finalEvent(request(execd.port(), "POST", "/session/" + session + "/run", commandBody("echo abc; false"), DETAILS).body);
		CPPUNIT_ASSERT_EQUAL(std::string("exited"), o->getValue<std::string>("exit_reason"));
		CPPUNIT_ASSERT_EQUAL(1, o->getValue<int>("exit_code"));
		CPPUNIT_ASSERT_EQUAL(4, o->getValue<int>("output_bytes"));   // without execd's marker
		// Without the header, none of it.
		r = request(execd.port(), "POST", "/command", commandBody("exit 3"));
		CPPUNIT_ASSERT(r.body.find("exit_reason") == std::string::npos);
	}

	void testClientGoneAndShutdown()
	{
		ExecdProcess execd(runsOptions());
		// A session run whose client goes is stopped (as upstream), and says so
		// in its journal.
		HttpResult r = request(execd.port(), "POST", "/session", "");
		const std::string session = object(r.body)->getValue<std::string>("session_id");
		{
			StreamReader reader(execd.port(), "POST", "/session/" + session + "/run", commandBody("echo go; sleep 30; echo never"), DETAILS);
			Event e;
			while (reader.next(e) && e.type != "stdout") {}
		}
		Poco::JSON::Object::Ptr o;
		for (int i = 0; i < 100 && !o; ++i)
		{
			std::this_thread::sleep_for(std::chrono::milliseconds(100));
			HttpResult replay = request(execd.port(), "GET", "/runs/" + session + "/events?after=0");
			if (replay.body.find("exit_reason") != std::string::npos) o = finalEvent(replay.body);
		}
		CPPUNIT_ASSERT(o);
		CPPUNIT_ASSERT_EQUAL(std::string("client_gone"), o->getValue<std::string>("exit_reason"));
		// SIGTERM: the run's client hears why.
		StreamReader reader(execd.port(), "POST", "/command", commandBody("echo go; sleep 30"), DETAILS);
		Event e;
		while (reader.next(e) && e.type != "stdout") {}
		std::thread stopper([&] { execd.stop(); });
		while (reader.next(e)) {}
		stopper.join();
		CPPUNIT_ASSERT_EQUAL(std::string("daemon_shutdown"), finalEvent(reader.body())->getValue<std::string>("exit_reason"));
	}

	void testOomKilled()
	{
		// execd in a memory cgroup of 128 MiB; a command that wants 400.
		const std::string v1 = "/sys/fs/cgroup/memory";
		const std::string group = v1 + "/execd-test-oom-" + std::to_string(::getpid());
		if (::access((v1 + "/cgroup.procs").c_str(), W_OK) != 0 || ::mkdir(group.c_str(), 0755) != 0)
		{
			std::cerr << "  (skipped: no writable cgroup v1 memory controller here)";
			return;
		}
		struct Remove { std::string path; ~Remove() { for (int i = 0; i < 50 && ::rmdir(path.c_str()) != 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100)); } } remove{group};
		{
			std::ofstream limit(group + "/memory.limit_in_bytes");
			limit << 128 * 1024 * 1024;
		}
		ExecdProcess::Options o = runsOptions();
		o.wrapper = {"/bin/sh", "-c", "echo $$ > " + group + "/cgroup.procs && exec \"$@\"", "sh"};
		ExecdProcess execd(o);
		auto last = finalEvent(request(execd.port(), "POST", "/command",
			commandBody("/usr/bin/python3 -c 'a = bytearray(400 * 1024 * 1024); print(len(a))'"), DETAILS).body);
		CPPUNIT_ASSERT_EQUAL(std::string("oom_killed"), last->getValue<std::string>("exit_reason"));
		CPPUNIT_ASSERT_EQUAL(std::string("SIGKILL"), last->getValue<std::string>("signal"));
		// A Python kernel that the OOM killer ends under its cell.
		last = finalEvent(request(execd.port(), "POST", "/code",
			"{\"code\":\"a = bytearray(400 * 1024 * 1024)\",\"context\":{\"language\":\"python\"}}", DETAILS).body);
		CPPUNIT_ASSERT_EQUAL(std::string("execution_complete"), last->getValue<std::string>("type"));
		CPPUNIT_ASSERT_EQUAL(std::string("oom_killed"), last->getValue<std::string>("exit_reason"));
		CPPUNIT_ASSERT_EQUAL(std::string("SIGKILL"), last->getValue<std::string>("signal"));
		execd.stop();
	}

	void testIdempotentRuns()
	{
		ExecdProcess execd(runsOptions({"execd.modules.load = shell, jupyter, files"}));
		TempDir temp("execd-idem");
		const char* dir = temp.path.c_str();
		const std::string count = std::string(dir) + "/count";
		const std::string body = commandBody("echo ran >> " + count + "; sleep 0.5; echo done");
		// 100 retries at once with one key: one run, each gets its whole stream.
		std::vector<std::future<HttpResult>> retries;
		for (int i = 0; i < 100; ++i)
			retries.push_back(std::async(std::launch::async, [&] { return request(execd.port(), "POST", "/command", body, {{"Idempotency-Key", "one-run"}}); }));
		std::set<std::string> ids;
		for (auto& f: retries)
		{
			HttpResult r = f.get();
			CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, 200, r.status);
			auto evs = withoutPings(sseEvents(r.body));
			CPPUNIT_ASSERT_MESSAGE(r.body, evs.size() >= 3);
			ids.insert(object(evs.front())->getValue<std::string>("text"));
			CPPUNIT_ASSERT_MESSAGE(r.body, r.body.find("\"text\":\"done\"") != std::string::npos);
			CPPUNIT_ASSERT(r.body.find("execution_complete") != std::string::npos);
			CPPUNIT_ASSERT(r.body.find("id: ") == std::string::npos);   // not asked for
		}
		CPPUNIT_ASSERT_EQUAL(std::size_t(1), ids.size());
		std::ifstream in(count);
		std::string lines((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
		CPPUNIT_ASSERT_EQUAL(std::string("ran\n"), lines);
		// A retry that asks for a resumable stream gets the ids too.
		HttpResult r = request(execd.port(), "POST", "/command", body, {{"Idempotency-Key", "one-run"}, {"X-Execd-Resumable", "1"}});
		CPPUNIT_ASSERT(r.body.find("id: 1\n") == 0);
		// The same key for another request: 422, nothing run.
		r = request(execd.port(), "POST", "/command", commandBody("echo ran >> " + count), {{"Idempotency-Key", "one-run"}});
		CPPUNIT_ASSERT_EQUAL(422, r.status);
		CPPUNIT_ASSERT_EQUAL(std::string("IDEMPOTENCY_KEY_REUSED"), object(r.body)->getValue<std::string>("code"));
		// Keys that are no keys.
		CPPUNIT_ASSERT_EQUAL(400, request(execd.port(), "POST", "/command", body, {{"Idempotency-Key", std::string(300, 'k')}}).status);
		CPPUNIT_ASSERT_EQUAL(400, request(execd.port(), "POST", "/command", body, {{"Idempotency-Key", "a b"}}).status);
		// A request that failed before its run (a 400) leaves no key: its retry runs.
		CPPUNIT_ASSERT_EQUAL(400, request(execd.port(), "POST", "/command", "{\"command\":\"\"}", {{"Idempotency-Key", "bad"}}).status);
		CPPUNIT_ASSERT_EQUAL(400, request(execd.port(), "POST", "/command", "{\"command\":\"\"}", {{"Idempotency-Key", "bad"}}).status);
		// A session run and a /code run, retried.
		r = request(execd.port(), "POST", "/session", "");
		const std::string session = object(r.body)->getValue<std::string>("session_id");
		const std::string sessionBody = commandBody("x=$((x+1)); echo $x");
		for (int i = 0; i < 2; ++i)
		{
			r = request(execd.port(), "POST", "/session/" + session + "/run", sessionBody, {{"Idempotency-Key", "s1"}});
			CPPUNIT_ASSERT_MESSAGE(r.body, r.body.find("\"text\":\"1\"") != std::string::npos);
		}
		const std::string code = "{\"code\":\"print(7 * 6)\",\"context\":{\"language\":\"python\"}}";
		for (int i = 0; i < 2; ++i)
		{
			r = request(execd.port(), "POST", "/code", code, {{"Idempotency-Key", "c1"}});
			CPPUNIT_ASSERT_MESSAGE(r.body, r.body.find("42") != std::string::npos);
		}
	}

	void testIdempotentFileRoutes()
	{
		ExecdProcess execd(runsOptions({"execd.modules.load = shell, files"}));
		TempDir temp("execd-idem");
		const char* dir = temp.path.c_str();
		const std::string d(dir);
		// mv: the retry answers the first's 200 instead of failing on the moved file.
		{
			std::ofstream(d + "/a") << "x";
		}
		const std::string mv = "[{\"src\":" + quote(d + "/a") + ",\"dest\":" + quote(d + "/b") + "}]";
		HttpResult first = request(execd.port(), "POST", "/files/mv", mv, {{"Idempotency-Key", "m1"}});
		CPPUNIT_ASSERT_EQUAL_MESSAGE(first.body, 200, first.status);
		HttpResult again = request(execd.port(), "POST", "/files/mv", mv, {{"Idempotency-Key", "m1"}});
		CPPUNIT_ASSERT_EQUAL(200, again.status);
		CPPUNIT_ASSERT_EQUAL(std::string("true"), again.header("Idempotent-Replayed"));
		CPPUNIT_ASSERT_EQUAL(first.body, again.body);
		CPPUNIT_ASSERT_EQUAL(404, request(execd.port(), "POST", "/files/mv", mv).status);   // without the key it would have failed
		// An upload: the retry stores nothing again; another body under the key is a 422.
		const std::string boundary = "XyZbOuNdArY";
		auto form = [&](const std::string& content)
		{
			return "--" + boundary + "\r\nContent-Disposition: form-data; name=\"metadata\"; filename=\"metadata\"\r\n\r\n"
				"{\"path\":" + quote(d + "/up") + "}\r\n--" + boundary + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"blob\"\r\n"
				"Content-Type: application/octet-stream\r\n\r\n" + content + "\r\n--" + boundary + "--\r\n";
		};
		const std::map<std::string, std::string> headers{{"Content-Type", "multipart/form-data; boundary=" + boundary}, {"Idempotency-Key", "u1"}};
		first = request(execd.port(), "POST", "/files/upload", form("one"), headers);
		CPPUNIT_ASSERT_EQUAL_MESSAGE(first.body, 200, first.status);
		{
			std::ofstream(d + "/up") << "changed since";
		}
		again = request(execd.port(), "POST", "/files/upload", form("one"), headers);
		CPPUNIT_ASSERT_EQUAL(200, again.status);
		std::ifstream in(d + "/up");
		std::string content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
		CPPUNIT_ASSERT_EQUAL(std::string("changed since"), content);   // not written again
		HttpResult other = request(execd.port(), "POST", "/files/upload", form("two"), headers);
		CPPUNIT_ASSERT_EQUAL(422, other.status);
		// directories
		const std::string mk = "{" + quote(d + "/newdir") + ":{\"mode\":755}}";
		CPPUNIT_ASSERT_EQUAL(200, request(execd.port(), "POST", "/directories", mk, {{"Idempotency-Key", "d1"}}).status);
		CPPUNIT_ASSERT_EQUAL(200, request(execd.port(), "POST", "/directories", mk, {{"Idempotency-Key", "d1"}}).status);
	}

	void testFloodPolicy()
	{
		// 1 GiB of yes (lines of 1 KiB) with a cap of 1 MiB: a head, one truncated
		// event, a tail, and the complete output in the spill file.
		TempDir temp("execd-flood");
		const char* dir = temp.path.c_str();
		ExecdProcess execd(runsOptions({"module.shell.maxStreamBytes = 1048576", std::string("module.shell.spoolDirectory = ") + dir}));
		const std::string flood = "yes \"$(printf '%01023d' 0 | tr 0 y)\" | head -c 1073741824";
		StreamReader reader(execd.port(), "POST", "/command", commandBody(flood));
		Event e;
		std::uint64_t head = 0, tail = 0, dropped = 0, truncatedEvents = 0;
		std::string spill;
		while (reader.next(e))
		{
			if (e.type == "truncated")
			{
				++truncatedEvents;
				auto o = object(e.json);
				dropped = o->getValue<std::uint64_t>("dropped_bytes");
				spill = o->getValue<std::string>("spill_path");
				CPPUNIT_ASSERT(!o->has("text"));
				CPPUNIT_ASSERT(o->has("timestamp"));
			}
			else if (e.type == "stdout")
				(truncatedEvents ? tail : head) += e.text.size();
			else if (e.type != "init")
				CPPUNIT_ASSERT_EQUAL_MESSAGE(e.json, std::string("execution_complete"), e.type);
		}
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(1), truncatedEvents);
		CPPUNIT_ASSERT(head > 900 * 1024 && head <= 1048576 - 65536);
		CPPUNIT_ASSERT(tail > 40 * 1024 && tail <= 65536);   // each event held back counts its overhead too
		const std::uint64_t text = 1073741824ull / 1024 * 1023;   // without the newlines
		CPPUNIT_ASSERT_EQUAL(text, head + tail + dropped);
		CPPUNIT_ASSERT_EQUAL(std::string(dir) + "/", spill.substr(0, std::strlen(dir) + 1));
		auto sha = [](const std::string& command)
		{
			std::string out;
			FILE* p = ::popen(command.c_str(), "r");
			char buffer[256];
			while (p && std::fgets(buffer, sizeof(buffer), p)) out += buffer;
			if (p) ::pclose(p);
			return out.substr(0, 64);
		};
		CPPUNIT_ASSERT_EQUAL(sha("(" + flood + ") 2>/dev/null | sha256sum"), sha("sha256sum " + spill));
		// Under the cap nothing changes.
		HttpResult r = request(execd.port(), "POST", "/command", commandBody("seq 1 1000"));
		CPPUNIT_ASSERT(r.body.find("truncated") == std::string::npos);
		CPPUNIT_ASSERT(r.body.find("\"text\":\"1000\"") != std::string::npos);
	}

	void testFloodPolicyOfOtherRuns()
	{
		// execd's own policy (execd.runs.*) bounds /code runs and, unless the
		// shell module sets its own, session runs and commands too; their spill
		// files hold the text of every output event.
		TempDir temp("execd-flood");
		ExecdProcess execd(runsOptions({"execd.runs.maxStreamBytes = 262144", "execd.runs.spillDirectory = " + temp.path,
			"module.shell.spoolDirectory = " + temp.path}));
		auto check = [&](const std::string& target, const std::string& body, const std::string& expectedSha, const std::string& what)
		{
			StreamReader reader(execd.port(), "POST", target, body);
			Event e;
			std::uint64_t streamed = 0, truncatedEvents = 0;
			std::string spill, types;
			while (reader.next(e))
			{
				if (e.type == "truncated")
				{
					++truncatedEvents;
					spill = object(e.json)->getValue<std::string>("spill_path");
				}
				else if (e.type == "stdout" || e.type == "stderr")
					streamed += e.text.size();
				else
					types += e.type + ",";
			}
			CPPUNIT_ASSERT_EQUAL_MESSAGE(what, std::uint64_t(1), truncatedEvents);
			CPPUNIT_ASSERT_MESSAGE(what + ": " + std::to_string(streamed), streamed > 128 * 1024 && streamed <= 262144);
			CPPUNIT_ASSERT_EQUAL_MESSAGE(what, temp.path + "/", spill.substr(0, temp.path.size() + 1));
			CPPUNIT_ASSERT_EQUAL_MESSAGE(what, expectedSha, shell("sha256sum " + spill + " | cut -c1-64"));
			return types;
		};
		// /code in a Python kernel: 200,000 lines (1.3 MB).
		const std::string code = "for i in range(1, 200001):\n    print(i)\n";
		std::string types = check("/code", "{\"code\":" + quote(code) + ",\"context\":{\"language\":\"python\"}}",
			shell("seq 1 200000 | sha256sum | cut -c1-64"), "/code");
		CPPUNIT_ASSERT_EQUAL(std::string("init,execution_complete,"), types);
		// An error after the flood: the tail goes out before it.
		types = check("/code", "{\"code\":" + quote(code + "1/0\n") + ",\"context\":{\"language\":\"python\"}}",
			shell("seq 1 200000 | sha256sum | cut -c1-64"), "/code with an error");
		CPPUNIT_ASSERT_EQUAL(std::string("init,status,error,execution_complete,"), types);
		// A session run: every byte, without execd's marker (a line end of \r,
		// no line end at the very end).
		HttpResult r = request(execd.port(), "POST", "/session", "");
		const std::string session = object(r.body)->getValue<std::string>("session_id");
		const std::string lines = "seq 1 200000; echo; printf 'a\\rb\\r\\nend'";
		check("/session/" + session + "/run", commandBody(lines), shell("(" + lines + ") | sha256sum | cut -c1-64"), "session");
		// A command: the shell module took execd's policy.
		check("/command", commandBody("seq 1 200000"), shell("seq 1 200000 | sha256sum | cut -c1-64"), "command");
		// /capabilities says so.
		auto caps = object(request(execd.port(), "GET", "/capabilities").body);
		CPPUNIT_ASSERT(caps->getObject("features")->getValue<bool>("flood_policy"));
		CPPUNIT_ASSERT_EQUAL(262144, caps->getObject("limits")->getValue<int>("execd.runs.maxStreamBytes"));
		CPPUNIT_ASSERT_EQUAL(262144, caps->getObject("limits")->getValue<int>("module.shell.maxStreamBytes"));
		// Under the cap nothing changes, and no spill file stays.
		r = request(execd.port(), "POST", "/code", "{\"code\":\"print(42)\",\"context\":{\"language\":\"python\"}}");
		CPPUNIT_ASSERT(r.body.find("truncated") == std::string::npos && r.body.find("\"text\":\"42\\n\"") != std::string::npos);
		execd.stop();
		CPPUNIT_ASSERT_EQUAL(std::string("4"), shell("ls " + temp.path + " | grep -c full-output"));
		// A session of sh (dash here) under the shell module's own cap.
		ExecdProcess dash(runsOptions({"module.shell.shell = /bin/dash", "module.shell.maxStreamBytes = 100000",
			"module.shell.spoolDirectory = " + temp.path}));
		r = request(dash.port(), "POST", "/session", "");
		const std::string sh = object(r.body)->getValue<std::string>("session_id");
		StreamReader reader(dash.port(), "POST", "/session/" + sh + "/run", commandBody(lines));
		Event e;
		std::string spill;
		while (reader.next(e))
			if (e.type == "truncated") spill = object(e.json)->getValue<std::string>("spill_path");
		CPPUNIT_ASSERT_EQUAL(shell("(" + lines + ") | sha256sum | cut -c1-64"), shell("sha256sum " + spill + " | cut -c1-64"));
	}

	void testCodeExitReasons()
	{
		// /code runs in a Python kernel (execd's own): how the cell ended, the
		// kernel's CPU time and peak in the run.
		ExecdProcess execd(runsOptions());
		HttpResult r = request(execd.port(), "POST", "/code/context", "{\"language\":\"python\"}");
		CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, 200, r.status);
		const std::string id = object(r.body)->getValue<std::string>("id");
		auto body = [&](const std::string& code) { return "{\"code\":" + quote(code) + ",\"context\":{\"id\":\"" + id + "\",\"language\":\"python\"}}"; };
		auto run = [&](const std::string& code) { return finalEvent(request(execd.port(), "POST", "/code", body(code), DETAILS).body); };
		auto o = run("s = sum(range(20000000))\nprint('done')");
		CPPUNIT_ASSERT_EQUAL(std::string("execution_complete"), o->getValue<std::string>("type"));
		CPPUNIT_ASSERT_EQUAL(std::string("exited"), o->getValue<std::string>("exit_reason"));
		CPPUNIT_ASSERT_EQUAL(0, o->getValue<int>("exit_code"));
		CPPUNIT_ASSERT_EQUAL(5, o->getValue<int>("output_bytes"));
		CPPUNIT_ASSERT(o->getValue<long long>("cpu_user_ms") + o->getValue<long long>("cpu_system_ms") > 50);
		CPPUNIT_ASSERT(o->has("wall_ms") && o->has("max_rss_kb"));
		// The peak is the run's: a cell that takes 200 MB, then one that takes none.
		o = run("a = bytearray(200 * 1024 * 1024)\ndel a");
		CPPUNIT_ASSERT(o->getValue<long long>("max_rss_kb") > 200 * 1024);
		o = run("print(1)");
		CPPUNIT_ASSERT(o->getValue<long long>("max_rss_kb") < 150 * 1024);
		o = run("1/0");
		CPPUNIT_ASSERT_EQUAL(std::string("exited"), o->getValue<std::string>("exit_reason"));
		CPPUNIT_ASSERT_EQUAL(1, o->getValue<int>("exit_code"));
		// A cell that sleeps, ended from outside: its final event.
		auto endedBy = [&](const std::function<void()>& end)
		{
			StreamReader reader(execd.port(), "POST", "/code", body("import time\nprint('go', flush=True)\ntime.sleep(30)"), DETAILS);
			Event e;
			while (reader.next(e) && e.type != "stdout") {}
			std::thread ender(end);
			while (reader.next(e)) {}
			ender.join();
			return finalEvent(reader.body());
		};
		int status = 0;
		o = endedBy([&] { status = request(execd.port(), "DELETE", "/code?id=" + id).status; });
		CPPUNIT_ASSERT_EQUAL(200, status);
		CPPUNIT_ASSERT_EQUAL(std::string("interrupted"), o->getValue<std::string>("exit_reason"));
		CPPUNIT_ASSERT(!o->has("exit_code"));
		// The kernel killed under the cell: the signal, as execd reaped it.
		o = run("import os, signal\nos.kill(os.getpid(), signal.SIGKILL)");
		CPPUNIT_ASSERT_EQUAL(std::string("signaled"), o->getValue<std::string>("exit_reason"));
		CPPUNIT_ASSERT_EQUAL(std::string("SIGKILL"), o->getValue<std::string>("signal"));
		o = run("import os\nos._exit(7)");
		CPPUNIT_ASSERT_EQUAL(std::string("exited"), o->getValue<std::string>("exit_reason"));
		CPPUNIT_ASSERT_EQUAL(7, o->getValue<int>("exit_code"));
		// Shutdown under a cell.
		o = endedBy([&] { execd.stop(); });
		CPPUNIT_ASSERT_EQUAL(std::string("daemon_shutdown"), o->getValue<std::string>("exit_reason"));
		// Without the header, none of it (the default streams test asserts the bytes).
	}

	static std::string shell(const std::string& command)
	{
		std::string out;
		FILE* p = ::popen(command.c_str(), "r");
		char buffer[256];
		while (p && std::fgets(buffer, sizeof(buffer), p)) out += buffer;
		if (p) ::pclose(p);
		while (!out.empty() && out.back() == '\n') out.pop_back();
		return out;
	}

	// PUT from offset to the end of source, hanging up after cutAt bytes of the
	// body (none: all of it). The answer, when there is one.
	static std::string putFrom(int port, const std::string& id, const std::string& source, std::uint64_t size, std::uint64_t offset,
		std::uint64_t cutAt, const std::string& extra = "")
	{
		Poco::Net::StreamSocket socket;
		socket.connect(Poco::Net::SocketAddress("127.0.0.1", static_cast<Poco::UInt16>(port)));
		const std::string head = "PUT /files/uploads/" + id + " HTTP/1.1\r\nHost: x\r\nContent-Length: " + std::to_string(size - offset)
			+ "\r\nContent-Range: bytes " + std::to_string(offset) + "-" + std::to_string(size - 1) + "/" + std::to_string(size) + "\r\n" + extra + "\r\n";
		socket.sendBytes(head.data(), static_cast<int>(head.size()));
		std::ifstream in(source, std::ios::binary);
		in.seekg(static_cast<std::streamoff>(offset));
		std::vector<char> buffer(1 << 20);
		std::uint64_t sent = 0, limit = cutAt ? cutAt : size - offset;
		while (sent < limit)
		{
			in.read(buffer.data(), static_cast<std::streamsize>(std::min<std::uint64_t>(buffer.size(), limit - sent)));
			int n = static_cast<int>(in.gcount());
			if (n <= 0) break;
			for (int done = 0; done < n;) done += socket.sendBytes(buffer.data() + done, n - done);
			sent += static_cast<std::uint64_t>(n);
		}
		if (cutAt)
		{
			socket.close();
			return "";
		}
		socket.setReceiveTimeout(Poco::Timespan(60, 0));
		std::string answer;
		char b[4096];
		while (answer.find("\r\n\r\n") == std::string::npos || answer.find('}') == std::string::npos)
		{
			int n = socket.receiveBytes(b, sizeof(b));
			if (n <= 0) break;
			answer.append(b, static_cast<std::size_t>(n));
		}
		return answer;
	}

	void testResumableUpload()
	{
		// 1 GiB, cut at 3 random points and resumed: the target's SHA-256 is the source's.
		TempDir temp("execd-upload");
		const char* dir = temp.path.c_str();
		const std::string d(dir), source = d + "/source", target = d + "/sub/target";
		const std::uint64_t size = 1ull << 30;
		shell("head -c " + std::to_string(size) + " /dev/urandom > " + source);
		const std::string sha = shell("sha256sum " + source + " | cut -c1-64");
		const std::string b64 = shell("openssl dgst -sha256 -binary " + source + " | base64");
		ExecdProcess execd(runsOptions({"execd.modules.load = files"}));
		HttpResult r = request(execd.port(), "POST", "/files/uploads", "{\"path\":" + quote(target) + ",\"size\":" + std::to_string(size) + ",\"mode\":640}",
			{{"Repr-Digest", "sha-256=:" + b64 + ":"}});
		CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, 201, r.status);
		const std::string id = object(r.body)->getValue<std::string>("id");
		CPPUNIT_ASSERT_EQUAL("/files/uploads/" + id, r.header("Location"));
		std::mt19937_64 random(3);
		std::uint64_t received = 0;
		for (int cut = 0; cut < 3; ++cut)
		{
			const std::uint64_t at = 1 + random() % ((size - received) / 2);
			putFrom(execd.port(), id, source, size, received, at);
			// Until the cut request has seen its end: what arrived stops growing.
			std::uint64_t now = UINT64_MAX;
			for (int i = 0; i < 200; ++i)
			{
				std::this_thread::sleep_for(std::chrono::milliseconds(100));
				r = request(execd.port(), "GET", "/files/uploads/" + id);
				CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, 200, r.status);
				const std::uint64_t seen = object(r.body)->getValue<std::uint64_t>("received");
				if (seen == now) break;
				now = seen;
			}
			CPPUNIT_ASSERT(now <= received + at);
			CPPUNIT_ASSERT_EQUAL(std::to_string(now), r.header("Upload-Offset"));
			received = now;
		}
		CPPUNIT_ASSERT(received > 0 && received < size);
		const std::string answer = putFrom(execd.port(), id, source, size, received, 0);
		CPPUNIT_ASSERT_MESSAGE(answer, answer.compare(0, 12, "HTTP/1.1 200") == 0);
		CPPUNIT_ASSERT_MESSAGE(answer, answer.find("\"complete\":true") != std::string::npos);
		CPPUNIT_ASSERT_MESSAGE(answer, answer.find("\"sha256\":\"" + sha + "\"") != std::string::npos);
		CPPUNIT_ASSERT_EQUAL(sha, shell("sha256sum " + target + " | cut -c1-64"));
		struct stat st;
		CPPUNIT_ASSERT_EQUAL(0, ::stat(target.c_str(), &st));
		CPPUNIT_ASSERT_EQUAL(0640, static_cast<int>(st.st_mode & 07777));
		CPPUNIT_ASSERT_EQUAL(std::string(""), shell("ls -A " + d + "/sub | grep execd-upload"));   // no part file left
	}

	void testUploadErrors()
	{
		TempDir temp("execd-upload");
		const char* dir = temp.path.c_str();
		const std::string d(dir), target = d + "/t";
		{
			std::ofstream(target) << "old";
		}
		ExecdProcess execd(runsOptions({"execd.modules.load = files"}));
		auto start = [&](const std::map<std::string, std::string>& headers)
		{
			HttpResult r = request(execd.port(), "POST", "/files/uploads", "{\"path\":" + quote(target) + ",\"size\":5}", headers);
			CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, 201, r.status);
			return object(r.body)->getValue<std::string>("id");
		};
		// A wrong digest replaces nothing, and the upload is over.
		std::string id = start({{"Digest", "SHA-256=" + shell("printf other | openssl dgst -sha256 -binary | base64")}});
		HttpResult r = request(execd.port(), "PUT", "/files/uploads/" + id, "hello");
		CPPUNIT_ASSERT_EQUAL(400, r.status);
		CPPUNIT_ASSERT_EQUAL(std::string("DIGEST_MISMATCH"), object(r.body)->getValue<std::string>("code"));
		CPPUNIT_ASSERT_EQUAL(std::string("old"), shell("cat " + target));
		CPPUNIT_ASSERT_EQUAL(std::string(""), shell("ls -A " + d + " | grep execd-upload"));
		CPPUNIT_ASSERT_EQUAL(404, request(execd.port(), "GET", "/files/uploads/" + id).status);
		// The right one (RFC 9530), in two pieces.
		id = start({});
		r = request(execd.port(), "PUT", "/files/uploads/" + id + "?offset=0", "hel");
		CPPUNIT_ASSERT_EQUAL(200, r.status);
		r = request(execd.port(), "PUT", "/files/uploads/" + id, "xx", {{"Content-Range", "bytes 0-1/5"}});
		CPPUNIT_ASSERT_EQUAL(409, r.status);
		CPPUNIT_ASSERT_EQUAL(std::string("3"), r.header("Upload-Offset"));
		CPPUNIT_ASSERT_EQUAL(400, request(execd.port(), "PUT", "/files/uploads/" + id, "lo", {{"Content-Range", "bytes 3-4/9"}}).status);
		CPPUNIT_ASSERT_EQUAL(400, request(execd.port(), "PUT", "/files/uploads/" + id, "lo", {{"Content-Range", "3-4/5"}}).status);
		CPPUNIT_ASSERT_EQUAL(400, request(execd.port(), "PUT", "/files/uploads/" + id, "lo!", {{"Content-Range", "bytes 3-4/5"}}).status);
		CPPUNIT_ASSERT_EQUAL(400, request(execd.port(), "PUT", "/files/uploads/" + id, "lo", {{"Repr-Digest", "sha-256=:nope:"}}).status);
		r = request(execd.port(), "PUT", "/files/uploads/" + id, "lo", {{"Content-Range", "bytes 3-4/5"},
			{"Repr-Digest", "sha-256=:" + shell("printf hello | openssl dgst -sha256 -binary | base64") + ":"}});
		CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, 200, r.status);
		CPPUNIT_ASSERT_EQUAL(std::string("hello"), shell("cat " + target));
		// Past its size, unknown ids, bad starts.
		id = start({});
		CPPUNIT_ASSERT_EQUAL(400, request(execd.port(), "PUT", "/files/uploads/" + id, "toolong").status);
		CPPUNIT_ASSERT_EQUAL(200, request(execd.port(), "DELETE", "/files/uploads/" + id).status);
		CPPUNIT_ASSERT_EQUAL(404, request(execd.port(), "PUT", "/files/uploads/nosuch", "x").status);
		CPPUNIT_ASSERT_EQUAL(400, request(execd.port(), "POST", "/files/uploads", "{\"path\":" + quote(target) + "}").status);
		CPPUNIT_ASSERT_EQUAL(400, request(execd.port(), "POST", "/files/uploads", "{\"size\":3}").status);
		CPPUNIT_ASSERT_EQUAL(400, request(execd.port(), "POST", "/files/uploads", "{\"path\":" + quote(d) + ",\"size\":3}").status);
	}

	void testCapabilities()
	{
		ExecdProcess execd(runsOptions({"execd.runs.journalBytes = 131072", "module.files.walkMaxEntries = 77",
			"execd.modules.load = shell, jupyter, files"}));
		HttpResult r = request(execd.port(), "GET", "/capabilities");
		CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, 200, r.status);
		auto o = object(r.body);
		CPPUNIT_ASSERT(!o->getValue<std::string>("version").empty());
		std::string modules;
		for (const auto& m: *o->getArray("modules")) modules += m.toString() + ",";
		CPPUNIT_ASSERT_EQUAL(std::string("shell,jupyter,files,"), modules);
		CPPUNIT_ASSERT_EQUAL(std::string("jupyter"), o->getObject("languages")->getObject("python")->getValue<std::string>("module"));
		CPPUNIT_ASSERT_EQUAL(std::string("shell"), o->getObject("languages")->getObject("bash")->getValue<std::string>("module"));
		CPPUNIT_ASSERT_EQUAL(std::string("shell"), o->getObject("commands")->getObject("command")->getValue<std::string>("module"));
		for (const char* feature: {"resumable_streams", "exit_details", "idempotency_keys", "resumable_uploads"})
			CPPUNIT_ASSERT_MESSAGE(feature, o->getObject("features")->getValue<bool>(feature));
		auto limits = o->getObject("limits");
		CPPUNIT_ASSERT_EQUAL(131072, limits->getValue<int>("execd.runs.journalBytes"));
		CPPUNIT_ASSERT_EQUAL(77, limits->getValue<int>("module.files.walkMaxEntries"));
		CPPUNIT_ASSERT_EQUAL(33554432, limits->getValue<int>("execd.http.maxJsonBodyBytes"));
		CPPUNIT_ASSERT_EQUAL(64, limits->getValue<int>("json.maxDepth"));
		// The fixed bounds of POCO and of the modules, and the flood policy, off.
		CPPUNIT_ASSERT_EQUAL(16384, limits->getValue<int>("http.targetMaxBytes"));
		CPPUNIT_ASSERT_EQUAL(100, limits->getValue<int>("http.headerFieldsMax"));
		CPPUNIT_ASSERT_EQUAL(18, limits->getValue<int>("http.contentLengthMaxDigits"));
		CPPUNIT_ASSERT_EQUAL(65536, limits->getValue<int>("files.lineWindowReadBytes"));
		CPPUNIT_ASSERT_EQUAL(0, limits->getValue<int>("execd.runs.maxStreamBytes"));
		CPPUNIT_ASSERT(!o->getObject("features")->getValue<bool>("flood_policy"));
		// The target bound is POCO's indeed: at it a 404, one past it a 400.
		CPPUNIT_ASSERT_EQUAL(404, request(execd.port(), "GET", "/" + std::string(16383, 'a')).status);
		CPPUNIT_ASSERT_EQUAL(400, request(execd.port(), "GET", "/" + std::string(16384, 'a')).status);
	}
};


CPPUNIT_TEST_SUITE_REGISTRATION(IntegrationRunsTest);
