// The shell module through the real daemon: exact event sequences, background
// commands, interrupts, timeouts and bad input.

#include "ExecdProcess.h"
#include "Poco/JSON/Object.h"
#include "Poco/JSON/Parser.h"
#include "Poco/SHA1Engine.h"
#include <atomic>
#include <cppunit/extensions/HelperMacros.h>
#include <future>
#include <regex>
#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>


using namespace execd::test;


namespace {


ExecdProcess::Options shellOptions()
{
	return ExecdProcess::modules("shell");
}


struct Event
{
	std::string type;
	std::string text;
	std::string json;
};


std::vector<Event> events(const HttpResult& r)
{
	std::vector<Event> result;
	for (const std::string& e: withoutPings(sseEvents(r.body)))
	{
		if (e.empty() || e[0] != '{') continue;
		auto o = object(e);
		result.push_back(Event{o->getValue<std::string>("type"), o->has("text") ? o->getValue<std::string>("text") : "", e});
	}
	return result;
}


std::string command(const std::string& cmd, const std::string& extra = "")
{
	std::string quoted;
	for (char c: cmd)
	{
		if (c == '"' || c == '\\') quoted += '\\';
		quoted += c;
	}
	return "{\"command\":\"" + quoted + "\"" + extra + "}";
}


HttpResult run(ExecdProcess& execd, const std::string& cmd, const std::string& extra = "")
{
	return request(execd.port(), "POST", "/command", command(cmd, extra));
}


std::string texts(const std::vector<Event>& evs, const std::string& type)
{
	std::string out;
	for (const Event& e: evs)
		if (e.type == type) out += "[" + e.text + "]";
	return out;
}


int connectTo(int port, int receiveBuffer = 0)
	// A client socket the test drives by hand: it can stop reading, or vanish.
{
	int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (receiveBuffer > 0) ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &receiveBuffer, sizeof(receiveBuffer));
	struct sockaddr_in addr{};
	addr.sin_family = AF_INET;
	addr.sin_port = htons(static_cast<uint16_t>(port));
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (::connect(fd, reinterpret_cast<struct sockaddr*>(&addr), sizeof(addr)) != 0) throw std::runtime_error("connect failed");
	return fd;
}


int localPort(int fd)
{
	struct sockaddr_in addr{};
	socklen_t len = sizeof(addr);
	::getsockname(fd, reinterpret_cast<struct sockaddr*>(&addr), &len);
	return ntohs(addr.sin_port);
}


void sendAll(int fd, const std::string& bytes)
{
	std::size_t off = 0;
	while (off < bytes.size())
	{
		ssize_t n = ::send(fd, bytes.data() + off, bytes.size() - off, MSG_NOSIGNAL);
		if (n <= 0) throw std::runtime_error("send failed");
		off += static_cast<std::size_t>(n);
	}
}


enum class ReadEnd { FOUND, CLOSED, TIMEOUT };


ReadEnd readFor(int fd, std::string& received, const std::string& needle, std::chrono::milliseconds timeout, std::size_t keep = 1 << 20)
	// Reads until needle appears (needle "" = until the server closes), keeping
	// the last `keep` bytes.
{
	auto deadline = std::chrono::steady_clock::now() + timeout;
	char buffer[65536];
	for (;;)
	{
		if (!needle.empty() && received.find(needle) != std::string::npos) return ReadEnd::FOUND;
		int left = static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count());
		if (left <= 0) return ReadEnd::TIMEOUT;
		struct pollfd p{fd, POLLIN, 0};
		if (::poll(&p, 1, left) <= 0) continue;
		ssize_t n = ::recv(fd, buffer, sizeof(buffer), 0);
		if (n <= 0) return ReadEnd::CLOSED;
		received.append(buffer, static_cast<std::size_t>(n));
		if (received.size() > 2 * keep) received.erase(0, received.size() - keep);
	}
}


std::string postCommand(const std::string& body)
{
	return "POST /command HTTP/1.1\r\nHost: localhost\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}


std::string streamId(int fd)
	// Reads a stream up to its init event; returns the command id.
{
	std::string received;
	if (readFor(fd, received, "\"type\":\"ping\"", std::chrono::seconds(10)) != ReadEnd::FOUND) return "";
	std::smatch m;
	if (!std::regex_search(received, m, std::regex("\"type\":\"init\",\"text\":\"([0-9a-f]{32})\""))) return "";
	return m[1].str();
}


std::string serverSocketState(int serverPort, int clientPort)
	// The state of execd's end of a connection in /proc/net/tcp ("01" is
	// ESTABLISHED), "" once it is gone.
{
	std::ifstream in("/proc/net/tcp");
	std::string line;
	char local[16], remote[16];
	std::snprintf(local, sizeof(local), ":%04X ", serverPort);
	std::snprintf(remote, sizeof(remote), ":%04X ", clientPort);
	while (std::getline(in, line))
	{
		std::istringstream fields(line);
		std::string slot, localAddress, remoteAddress, state;
		fields >> slot >> localAddress >> remoteAddress >> state;
		if ((localAddress + " ").find(local) != std::string::npos && (remoteAddress + " ").find(remote) != std::string::npos)
			return state;
	}
	return "";
}


double cpuPercent(pid_t pid, std::chrono::milliseconds interval)
	// utime + stime of pid over the interval, in per cent of one core.
{
	auto ticks = [pid] {
		std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
		std::string all((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
		std::istringstream rest(all.substr(all.rfind(')') + 2));
		std::string field;
		long long utime = 0, stime = 0;
		for (int i = 3; i <= 15 && rest >> field; ++i)
		{
			if (i == 14) utime = std::stoll(field);
			if (i == 15) stime = std::stoll(field);
		}
		return utime + stime;
	};
	long long before = ticks();
	std::this_thread::sleep_for(interval);
	long long after = ticks();
	return 100.0 * static_cast<double>(after - before) / static_cast<double>(::sysconf(_SC_CLK_TCK)) / (static_cast<double>(interval.count()) / 1000.0);
}


Poco::JSON::Object::Ptr waitFinished(ExecdProcess& execd, const std::string& id, std::chrono::milliseconds timeout)
{
	auto deadline = std::chrono::steady_clock::now() + timeout;
	for (;;)
	{
		auto status = object(request(execd.port(), "GET", "/command/status/" + id).body);
		if (!status->getValue<bool>("running") || std::chrono::steady_clock::now() > deadline) return status;
		std::this_thread::sleep_for(std::chrono::milliseconds(50));
	}
}


} // namespace


class IntegrationShellTest: public CppUnit::TestFixture
{
	CPPUNIT_TEST_SUITE(IntegrationShellTest);
	CPPUNIT_TEST(testEcho);
	CPPUNIT_TEST(testMultiLineAndBlankLines);
	CPPUNIT_TEST(testStdoutAndStderr);
	CPPUNIT_TEST(testExitCode);
	CPPUNIT_TEST(testCommandNotFound);
	CPPUNIT_TEST(testTimeout);
	CPPUNIT_TEST(testInterrupt);
	CPPUNIT_TEST(testCwdAndEnvs);
	CPPUNIT_TEST(testUidGid);
	CPPUNIT_TEST(testTenMegabytes);
	CPPUNIT_TEST(testLongLineWithoutNewline);
	CPPUNIT_TEST(testUtf8ByteByByte);
	CPPUNIT_TEST(testCarriageReturnProgress);
	CPPUNIT_TEST(testBackgroundStatusAndLogs);
	CPPUNIT_TEST(testBackgroundTimeout);
	CPPUNIT_TEST(testCodeWithoutLanguageRunsACommand);
	CPPUNIT_TEST(testConcurrentCommands);
	CPPUNIT_TEST(testBadInput);
	CPPUNIT_TEST(testNoInheritedDescriptors);
	CPPUNIT_TEST(testOrphansAreReapedAndExitCodesKept);
	CPPUNIT_TEST(testEnvsFile);
	CPPUNIT_TEST(testEnvsFileProblemsAndReservedNames);
	CPPUNIT_TEST(testTokensDoNotReachBackgroundCommands);
	CPPUNIT_TEST(testRetention);
	CPPUNIT_TEST(testAbandonedStreamIsDrainedCheaply);
	CPPUNIT_TEST(testAbandonedCommandRunsToItsEndOrTimeout);
	CPPUNIT_TEST(testClientThatStopsReadingIsDropped);
	CPPUNIT_TEST(testNulByteIsRefused);
	CPPUNIT_TEST(testWithoutNewerSystemCalls);
	CPPUNIT_TEST_SUITE_END();

public:
	void testEcho()
	{
		ExecdProcess execd(shellOptions());
		HttpResult r = run(execd, "echo 'Hello OpenSandbox E2E'");
		CPPUNIT_ASSERT_EQUAL(200, r.status);
		auto evs = events(r);
		CPPUNIT_ASSERT_EQUAL(std::size_t(3), evs.size());
		CPPUNIT_ASSERT_EQUAL(std::string("init"), evs[0].type);
		CPPUNIT_ASSERT(std::regex_match(evs[0].text, std::regex("^[0-9a-f]{32}$")));
		CPPUNIT_ASSERT_EQUAL(std::string("stdout"), evs[1].type);
		CPPUNIT_ASSERT_EQUAL(std::string("Hello OpenSandbox E2E"), evs[1].text);
		CPPUNIT_ASSERT_EQUAL(std::string("execution_complete"), evs[2].type);
		// The second event on the wire is the ping that follows init.
		CPPUNIT_ASSERT(sseEvents(r.body)[1].find("\"type\":\"ping\"") != std::string::npos);
		auto status = object(request(execd.port(), "GET", "/command/status/" + evs[0].text).body);
		CPPUNIT_ASSERT_EQUAL(false, status->getValue<bool>("running"));
		CPPUNIT_ASSERT_EQUAL(0, status->getValue<int>("exit_code"));
		CPPUNIT_ASSERT(!status->has("error"));
	}

	void testMultiLineAndBlankLines()
	{
		ExecdProcess execd(shellOptions());
		auto evs = events(run(execd, "printf 'a\\n\\nb\\n\\n\\nc\\n'"));
		CPPUNIT_ASSERT_EQUAL(std::string("[a][\n][b][\n][\n][c]"), texts(evs, "stdout"));
		CPPUNIT_ASSERT_EQUAL(std::string("execution_complete"), evs.back().type);
	}

	void testStdoutAndStderr()
	{
		ExecdProcess execd(shellOptions());
		auto evs = events(run(execd, "echo hello; echo oops >&2"));
		CPPUNIT_ASSERT_EQUAL(std::string("[hello]"), texts(evs, "stdout"));
		CPPUNIT_ASSERT_EQUAL(std::string("[oops]"), texts(evs, "stderr"));
		CPPUNIT_ASSERT_EQUAL(std::string("execution_complete"), evs.back().type);
	}

	void testExitCode()
	{
		ExecdProcess execd(shellOptions());
		HttpResult r = run(execd, "echo before; exit 3");
		auto evs = events(r);
		CPPUNIT_ASSERT_EQUAL(std::string("[before]"), texts(evs, "stdout"));
		CPPUNIT_ASSERT_EQUAL(std::string("error"), evs.back().type);
		CPPUNIT_ASSERT(evs.back().json.find("\"error\":{\"ename\":\"CommandExecError\",\"evalue\":\"3\",\"traceback\":[\"exit status 3\"]}") != std::string::npos);
		for (const Event& e: evs) CPPUNIT_ASSERT(e.type != "execution_complete");
		auto status = object(request(execd.port(), "GET", "/command/status/" + evs[0].text).body);
		CPPUNIT_ASSERT_EQUAL(3, status->getValue<int>("exit_code"));
		CPPUNIT_ASSERT_EQUAL(std::string("exit status 3"), status->getValue<std::string>("error"));
	}

	void testCommandNotFound()
	{
		ExecdProcess execd(shellOptions());
		auto evs = events(run(execd, "no-such-command-xyz"));
		CPPUNIT_ASSERT(texts(evs, "stderr").find("no-such-command-xyz: command not found") != std::string::npos);
		CPPUNIT_ASSERT(evs.back().json.find("\"evalue\":\"127\"") != std::string::npos);
	}

	void testTimeout()
	{
		ExecdProcess execd(shellOptions());
		auto start = std::chrono::steady_clock::now();
		auto evs = events(run(execd, "echo start; sleep 10 & sleep 10", ",\"timeout\":500"));
		CPPUNIT_ASSERT(std::chrono::steady_clock::now() - start < std::chrono::seconds(3));
		CPPUNIT_ASSERT_EQUAL(std::string("[start]"), texts(evs, "stdout"));
		CPPUNIT_ASSERT(evs.back().json.find("\"error\":{\"ename\":\"CommandExecError\",\"evalue\":\"-1\",\"traceback\":[\"signal: killed\"]}") != std::string::npos);
		auto status = object(request(execd.port(), "GET", "/command/status/" + evs[0].text).body);
		CPPUNIT_ASSERT_EQUAL(-1, status->getValue<int>("exit_code"));
		CPPUNIT_ASSERT_EQUAL(std::string("signal: killed"), status->getValue<std::string>("error"));
	}

	void testInterrupt()
	{
		ExecdProcess execd(shellOptions());
		// The id arrives with init; read the stream as it comes.
		std::promise<std::string> idSeen;
		std::atomic<bool> seen{false};
		auto stream = std::async(std::launch::async, [&] {
			return request(execd.port(), "POST", "/command", command("sleep 30"), {}, [&](const std::string& soFar) {
				std::smatch m;
				if (!seen && std::regex_search(soFar, m, std::regex("\"type\":\"init\",\"text\":\"([0-9a-f]{32})\"")))
				{
					seen = true;
					idSeen.set_value(m[1].str());
				}
			});
		});
		auto f = idSeen.get_future();
		CPPUNIT_ASSERT(f.wait_for(std::chrono::seconds(5)) == std::future_status::ready);
		std::string id = f.get();
		CPPUNIT_ASSERT(object(request(execd.port(), "GET", "/command/status/" + id).body)->getValue<bool>("running"));
		auto start = std::chrono::steady_clock::now();
		HttpResult r = request(execd.port(), "DELETE", "/command?id=" + id);
		CPPUNIT_ASSERT_EQUAL(200, r.status);
		CPPUNIT_ASSERT_EQUAL(std::string("0"), r.header("Content-Length"));
		CPPUNIT_ASSERT(std::chrono::steady_clock::now() - start < std::chrono::seconds(2));
		auto evs = events(stream.get());
		CPPUNIT_ASSERT(evs.back().json.find("\"evalue\":\"-1\",\"traceback\":[\"signal: terminated\"]") != std::string::npos);
		r = request(execd.port(), "DELETE", "/command?id=" + id);
		CPPUNIT_ASSERT_EQUAL(500, r.status);
		CPPUNIT_ASSERT_EQUAL("{\"code\":\"RUNTIME_ERROR\",\"message\":\"error interruptting code context. command session " + id + " is not running\"}", r.body);
		r = request(execd.port(), "DELETE", "/code?id=" + id);   // the same through /code
		CPPUNIT_ASSERT_EQUAL(500, r.status);
		r = request(execd.port(), "DELETE", "/command");
		CPPUNIT_ASSERT_EQUAL(400, r.status);
		CPPUNIT_ASSERT_EQUAL(std::string("{\"code\":\"MISSING_QUERY\",\"message\":\"missing query parameter 'id'\"}"), r.body);
		r = request(execd.port(), "DELETE", "/command?id=unknown");
		CPPUNIT_ASSERT_EQUAL(500, r.status);
		CPPUNIT_ASSERT(r.body.find("no such session") != std::string::npos);

		// A command that ignores SIGTERM is killed after the grace period.
		std::promise<std::string> stubbornId;
		std::atomic<bool> seen2{false};
		auto stubborn = std::async(std::launch::async, [&] {
			return request(execd.port(), "POST", "/command", command("trap '' TERM; echo ready; sleep 30"), {}, [&](const std::string& soFar) {
				std::smatch m;
				if (!seen2 && soFar.find("ready") != std::string::npos && std::regex_search(soFar, m, std::regex("\"type\":\"init\",\"text\":\"([0-9a-f]{32})\"")))
				{
					seen2 = true;
					stubbornId.set_value(m[1].str());
				}
			});
		});
		auto g = stubbornId.get_future();
		CPPUNIT_ASSERT(g.wait_for(std::chrono::seconds(5)) == std::future_status::ready);
		CPPUNIT_ASSERT_EQUAL(200, request(execd.port(), "DELETE", "/command?id=" + g.get()).status);
		evs = events(stubborn.get());
		CPPUNIT_ASSERT(evs.back().json.find("\"traceback\":[\"signal: killed\"]") != std::string::npos);
	}

	void testCwdAndEnvs()
	{
		ExecdProcess execd(shellOptions());
		auto evs = events(run(execd, "pwd; echo $GREETING-$HOME", ",\"cwd\":\"/tmp\",\"envs\":{\"GREETING\":\"hi\"}"));
		CPPUNIT_ASSERT_EQUAL(std::string("[/tmp][hi-") + std::getenv("HOME") + "]", texts(evs, "stdout"));
		evs = events(run(execd, "pwd", ",\"cwd\":\"~\""));
		CPPUNIT_ASSERT_EQUAL(std::string("[") + std::getenv("HOME") + "]", texts(evs, "stdout"));
		HttpResult r = run(execd, "pwd", ",\"cwd\":\"/nonexistent-dir\"");
		CPPUNIT_ASSERT_EQUAL(400, r.status);
		CPPUNIT_ASSERT_EQUAL(std::string("{\"code\":\"INVALID_REQUEST_BODY\",\"message\":\"invalid request, validation error working directory does not exist: /nonexistent-dir: stat /nonexistent-dir: no such file or directory\"}"), r.body);
		r = run(execd, "pwd", ",\"cwd\":\"/etc/hostname\"");
		CPPUNIT_ASSERT_EQUAL(400, r.status);
		CPPUNIT_ASSERT(r.body.find("working directory path is not a directory: /etc/hostname") != std::string::npos);
		r = run(execd, "pwd", ",\"cwd\":\"$NO_SUCH_VARIABLE_X/y\"");
		CPPUNIT_ASSERT_EQUAL(400, r.status);
		CPPUNIT_ASSERT(r.body.find("NO_SUCH_VARIABLE_X") != std::string::npos);
	}

	void testUidGid()
	{
		if (::geteuid() != 0) return;   // switching users needs root
		ExecdProcess execd(shellOptions());
		auto evs = events(run(execd, "id -u; id -g", ",\"uid\":65534"));
		CPPUNIT_ASSERT_EQUAL(std::string("[65534][65534]"), texts(evs, "stdout"));
		evs = events(run(execd, "id -u; id -g", ",\"uid\":65534,\"gid\":100"));
		CPPUNIT_ASSERT_EQUAL(std::string("[65534][100]"), texts(evs, "stdout"));
	}

	void testTenMegabytes()
	{
		ExecdProcess execd(shellOptions());
		HttpResult r = run(execd, "seq 1 1300000");   // about 9.3 MB
		auto evs = events(r);
		std::size_t count = 0;
		long long expect = 1;
		bool ordered = true;
		for (const Event& e: evs)
		{
			if (e.type != "stdout") continue;
			++count;
			if (std::stoll(e.text) != expect++) ordered = false;
		}
		CPPUNIT_ASSERT_EQUAL(std::size_t(1300000), count);
		CPPUNIT_ASSERT(ordered);
		CPPUNIT_ASSERT_EQUAL(std::string("execution_complete"), evs.back().type);
	}

	void testLongLineWithoutNewline()
	{
		ExecdProcess execd(shellOptions());
		auto evs = events(run(execd, "head -c 1048576 /dev/zero | tr '\\\\0' 'x'"));
		std::size_t total = 0;
		for (const Event& e: evs)
		{
			if (e.type != "stdout") continue;
			CPPUNIT_ASSERT(e.text.size() <= 65536);
			total += e.text.size();
		}
		CPPUNIT_ASSERT_EQUAL(std::size_t(1048576), total);
	}

	void testUtf8ByteByByte()
	{
		ExecdProcess execd(shellOptions());
		auto evs = events(run(execd, "for b in e6 8a a5 e5 91 8a; do printf \"\\\\x$b\"; sleep 0.02; done; echo"));
		CPPUNIT_ASSERT_EQUAL(std::string("[\xE6\x8A\xA5\xE5\x91\x8A]"), texts(evs, "stdout"));
		// Invalid bytes become U+FFFD; the JSON stays valid.
		evs = events(run(execd, "printf 'a\\xffb\\n'"));
		CPPUNIT_ASSERT_EQUAL(std::string("[a\xEF\xBF\xBD" "b]"), texts(evs, "stdout"));
	}

	void testCarriageReturnProgress()
	{
		ExecdProcess execd(shellOptions());
		auto evs = events(run(execd, "printf '10%%\\r50%%\\r100%%\\r\\ndone\\n'"));
		CPPUNIT_ASSERT_EQUAL(std::string("[10%][50%][100%][done]"), texts(evs, "stdout"));
	}

	void testBackgroundStatusAndLogs()
	{
		ExecdProcess execd(shellOptions());
		auto start = std::chrono::steady_clock::now();
		HttpResult r = run(execd, "echo one; echo two >&2; sleep 0.5; printf 'three\\r\\n'", ",\"background\":true");
		CPPUNIT_ASSERT(std::chrono::steady_clock::now() - start < std::chrono::seconds(1));
		auto evs = events(r);
		CPPUNIT_ASSERT_EQUAL(std::size_t(2), evs.size());
		CPPUNIT_ASSERT_EQUAL(std::string("init"), evs[0].type);
		CPPUNIT_ASSERT_EQUAL(std::string("execution_complete"), evs[1].type);
		std::string id = evs[0].text;

		auto status = object(request(execd.port(), "GET", "/command/status/" + id).body);
		CPPUNIT_ASSERT_EQUAL(id, status->getValue<std::string>("id"));
		CPPUNIT_ASSERT(status->getValue<std::string>("content").find("echo one") == 0);
		CPPUNIT_ASSERT(status->getValue<bool>("running"));
		CPPUNIT_ASSERT(!status->has("exit_code") && !status->has("finished_at"));
		CPPUNIT_ASSERT(std::regex_match(status->getValue<std::string>("started_at"), std::regex("^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d(\\.\\d{1,9})?Z$")));

		auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
		while (status->getValue<bool>("running") && std::chrono::steady_clock::now() < deadline)
			status = object(request(execd.port(), "GET", "/command/status/" + id).body);
		CPPUNIT_ASSERT_EQUAL(0, status->getValue<int>("exit_code"));
		CPPUNIT_ASSERT(status->has("finished_at"));

		HttpResult logs = request(execd.port(), "GET", "/command/" + id + "/logs");
		CPPUNIT_ASSERT_EQUAL(200, logs.status);
		CPPUNIT_ASSERT_EQUAL(std::string("text/plain; charset=utf-8"), logs.header("Content-Type"));
		CPPUNIT_ASSERT_EQUAL(std::string("one\ntwo\nthree\r\n"), logs.body);
		CPPUNIT_ASSERT_EQUAL(std::string("15"), logs.header("EXECD-COMMANDS-TAIL-CURSOR"));
		logs = request(execd.port(), "GET", "/command/" + id + "/logs?cursor=8");
		CPPUNIT_ASSERT_EQUAL(std::string("three\r\n"), logs.body);
		logs = request(execd.port(), "GET", "/command/" + id + "/logs?cursor=100");
		CPPUNIT_ASSERT_EQUAL(std::string(""), logs.body);
		CPPUNIT_ASSERT_EQUAL(std::string("100"), logs.header("EXECD-COMMANDS-TAIL-CURSOR"));
		logs = request(execd.port(), "GET", "/command/" + id + "/logs?cursor=abc");
		CPPUNIT_ASSERT_EQUAL(std::string("one\ntwo\nthree\r\n"), logs.body);
		CPPUNIT_ASSERT_EQUAL(400, request(execd.port(), "GET", "/command/" + id + "/logs?cursor=-1").status);

		HttpResult unknown = request(execd.port(), "GET", "/command/status/nope");
		CPPUNIT_ASSERT_EQUAL(404, unknown.status);
		CPPUNIT_ASSERT_EQUAL(std::string("{\"code\":\"INVALID_REQUEST_BODY\",\"message\":\"command not found: nope\"}"), unknown.body);
		unknown = request(execd.port(), "GET", "/command/nope/logs");
		CPPUNIT_ASSERT_EQUAL(400, unknown.status);
		CPPUNIT_ASSERT_EQUAL(std::string("{\"code\":\"INVALID_REQUEST_BODY\",\"message\":\"command not found: nope\"}"), unknown.body);
		std::string fg = events(run(execd, "true"))[0].text;
		unknown = request(execd.port(), "GET", "/command/" + fg + "/logs");
		CPPUNIT_ASSERT_EQUAL(400, unknown.status);
		CPPUNIT_ASSERT(unknown.body.find("is not running in background") != std::string::npos);
	}

	void testBackgroundTimeout()
	{
		ExecdProcess execd(shellOptions());
		std::string id = events(run(execd, "sleep 10", ",\"background\":true,\"timeout\":300"))[0].text;
		auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
		Poco::JSON::Object::Ptr status;
		do
		{
			status = object(request(execd.port(), "GET", "/command/status/" + id).body);
		}
		while (status->getValue<bool>("running") && std::chrono::steady_clock::now() < deadline);
		CPPUNIT_ASSERT_EQUAL(-1, status->getValue<int>("exit_code"));
		CPPUNIT_ASSERT_EQUAL(std::string("signal: killed"), status->getValue<std::string>("error"));
	}

	void testCodeWithoutLanguageRunsACommand()
	{
		ExecdProcess execd(shellOptions());
		auto evs = events(request(execd.port(), "POST", "/code", "{\"code\":\"echo from code\"}"));
		CPPUNIT_ASSERT_EQUAL(std::string("[from code]"), texts(evs, "stdout"));
		evs = events(request(execd.port(), "POST", "/code", "{\"code\":\"echo bg\",\"context\":{\"language\":\"background-command\"}}"));
		CPPUNIT_ASSERT_EQUAL(std::size_t(2), evs.size());
	}

	void testConcurrentCommands()
	{
		ExecdProcess execd(shellOptions());
		std::vector<std::future<HttpResult>> runs;
		for (int i = 0; i < 16; ++i)
			runs.push_back(std::async(std::launch::async, [&execd, i] { return run(execd, "seq 1 2000; echo end" + std::to_string(i)); }));
		for (int i = 0; i < 16; ++i)
		{
			auto evs = events(runs[static_cast<std::size_t>(i)].get());
			std::size_t lines = 0;
			for (const Event& e: evs) lines += e.type == "stdout";
			CPPUNIT_ASSERT_EQUAL(std::size_t(2001), lines);
			CPPUNIT_ASSERT_EQUAL("end" + std::to_string(i), evs[evs.size() - 2].text);
		}
	}

	void testBadInput()
	{
		ExecdProcess execd(shellOptions());
		struct Case
		{
			std::string body;
			std::string message;
		};
		for (const Case& c: std::vector<Case>{
			{"{}", "invalid request, validation error Key: 'RunCommandRequest.Command' Error:Field validation for 'Command' failed on the 'required' tag"},
			{"{\"command\":\"\"}", "invalid request, validation error Key: 'RunCommandRequest.Command' Error:Field validation for 'Command' failed on the 'required' tag"},
			{"{\"command\":\"ls\",\"timeout\":-5}", "invalid request, validation error Key: 'RunCommandRequest.Timeout' Error:Field validation for 'Timeout' failed on the 'gte' tag"},
			{"{\"command\":\"ls\",\"gid\":5}", "invalid request, validation error uid is required when gid is provided"},
			// exec() would cut these strings at the NUL ("echo a"): refused, as /session does.
			{"{\"command\":\"echo a\\u0000b\"}", "invalid request, validation error the command contains a NUL byte"},
			{"{\"command\":\"echo a\\u0000b\",\"background\":true}", "invalid request, validation error the command contains a NUL byte"},
			{"{\"command\":\"pwd\",\"cwd\":\"/tmp\\u0000/x\"}", "invalid request, validation error the working directory contains a NUL byte"},
			{"{\"command\":\"env\",\"envs\":{\"A\":\"1\\u00002\"}}", "invalid request, validation error the environment variable A contains a NUL byte"},
		})
		{
			HttpResult r = request(execd.port(), "POST", "/command", c.body);
			CPPUNIT_ASSERT_EQUAL_MESSAGE(c.body, 400, r.status);
			CPPUNIT_ASSERT_EQUAL("{\"code\":\"INVALID_REQUEST_BODY\",\"message\":\"" + jsonEscape(c.message) + "\"}", r.body);
		}
		for (std::string body: {"{\"command\":5}", "{\"command\":\"ls\",\"timeout\":\"5\"}", "{\"command\":\"ls\",\"uid\":-1}",
			"{\"command\":\"ls\",\"envs\":{\"A\":1}}", "{\"command\":\"ls\",\"background\":\"yes\"}", "{\"command\":", ""})
		{
			HttpResult r = request(execd.port(), "POST", "/command", body);
			CPPUNIT_ASSERT_EQUAL_MESSAGE(body, 400, r.status);
			CPPUNIT_ASSERT_MESSAGE(r.body, r.body.find("\"message\":\"error parsing request, MAYBE invalid body format. ") != std::string::npos);
		}
		CPPUNIT_ASSERT_EQUAL(200, request(execd.port(), "GET", "/ping").status);
	}

	void testNoInheritedDescriptors()
	{
		ExecdProcess execd(shellOptions());
		auto evs = events(run(execd, "ls /proc/self/fd | wc -l; grep -E '^Sig(Blk|Ign)' /proc/self/status"));
		// 0, 1, 2 and the directory ls reads.
		CPPUNIT_ASSERT_EQUAL(std::string("4"), evs[1].text);
		CPPUNIT_ASSERT(texts(evs, "stdout").find("SigBlk:\t0000000000000000") != std::string::npos);
	}

	void testOrphansAreReapedAndExitCodesKept()
	{
		ExecdProcess execd(shellOptions());
		// Each command leaves an orphan behind (reparented to execd, a subreaper),
		// and exits with its own code; the reaper must take the orphans and leave
		// the commands' statuses to their owners.
		std::vector<std::future<HttpResult>> runs;
		for (int i = 0; i < 24; ++i)
			runs.push_back(std::async(std::launch::async, [&execd, i] {
				return run(execd, "(sleep 0.1 &) ; exit " + std::to_string(i % 7));
			}));
		for (int i = 0; i < 24; ++i)
		{
			auto evs = events(runs[static_cast<std::size_t>(i)].get());
			if (i % 7 == 0)
				CPPUNIT_ASSERT_EQUAL(std::string("execution_complete"), evs.back().type);
			else
				CPPUNIT_ASSERT_MESSAGE(evs.back().json, evs.back().json.find("\"evalue\":\"" + std::to_string(i % 7) + "\"") != std::string::npos);
		}
		// Zombies come and go for a moment (a command between its exit and its
		// reaping, an orphan until the reaper's next round); a leak is a zombie
		// that stays.
		auto zombies = [&]
		{
			std::string out = texts(events(run(execd, "ps -o pid=,stat= --ppid " + std::to_string(execd.pid()) + " | awk '$2 ~ /Z/ {print $1}' | tr '\\n' ' '")), "stdout");
			std::set<std::string> pids;
			std::istringstream in(out.size() > 2 ? out.substr(1, out.size() - 2) : "");
			std::string pid;
			while (in >> pid) pids.insert(pid);
			return pids;
		};
		std::this_thread::sleep_for(std::chrono::milliseconds(300));   // every orphan has exited
		std::set<std::string> first = zombies();
		std::this_thread::sleep_for(std::chrono::milliseconds(500));
		std::set<std::string> second = zombies();
		std::vector<std::string> stuck;
		std::set_intersection(first.begin(), first.end(), second.begin(), second.end(), std::back_inserter(stuck));
		CPPUNIT_ASSERT_EQUAL(std::size_t(0), stuck.size());
	}

	void testEnvsFile()
	{
		// The file's entries reach foreground and background commands, under the
		// request's envs; the file is read again for each command.
		std::string path = "/tmp/execd-envs-" + std::to_string(::getpid());
		std::ofstream(path) << "# comment\n\nFROM_FILE=file-value\nEXPANDED=$HOME/x\nOVERRIDDEN=file\n"
			"export QUOTED=\"tab\\there\nsecond line\"\nLITERAL='$HOME'\r\n";
		ExecdProcess::Options o = shellOptions();
		o.env = {{"EXECD_ENVS", path}};
		ExecdProcess execd(o);
		const std::string print = "echo $FROM_FILE $EXPANDED $OVERRIDDEN \"$LITERAL\" \"$QUOTED\"";
		const std::string envs = ",\"envs\":{\"OVERRIDDEN\":\"request\"}";
		const std::string home = std::getenv("HOME");
		auto evs = events(run(execd, print, envs));
		CPPUNIT_ASSERT_EQUAL("[file-value " + home + "/x request $HOME tab\there][second line]", texts(evs, "stdout"));

		std::string id = events(run(execd, print, envs + ",\"background\":true"))[0].text;
		CPPUNIT_ASSERT_EQUAL(0, waitFinished(execd, id, std::chrono::seconds(10))->getValue<int>("exit_code"));
		CPPUNIT_ASSERT_EQUAL("file-value " + home + "/x request $HOME tab\there\nsecond line\n",
			request(execd.port(), "GET", "/command/" + id + "/logs").body);

		std::string dir = path + ".d";
		::mkdir(dir.c_str(), 0700);
		std::ofstream(path, std::ios::trunc) << "FROM_FILE=changed\nWORKDIR=" << dir << "\n";
		CPPUNIT_ASSERT_EQUAL(std::string("[changed|]"), texts(events(run(execd, "echo \"$FROM_FILE|$EXPANDED\"")), "stdout"));
		// The file also feeds the expansion of a command's cwd.
		CPPUNIT_ASSERT_EQUAL("[" + dir + "]", texts(events(run(execd, "pwd", ",\"cwd\":\"$WORKDIR\"")), "stdout"));
		::rmdir(dir.c_str());
		::unlink(path.c_str());
	}

	void testEnvsFileProblemsAndReservedNames()
	{
		// Bad entries are skipped with a warning that names the file and the line
		// but no value; execd's reserved names cannot come from the file.
		std::string path = "/tmp/execd-envs-bad-" + std::to_string(::getpid());
		std::ofstream(path) << "GOOD=1\nBROKEN=\"s3cr3t-value\nnot-an-entry-s3cr3t\nEXECD_ACCESS_TOKEN=file-token\n"
			"JUPYTER_TOKEN=file-token\nEXECD_ENVS=/elsewhere\nAFTER='ok'\n";
		ExecdProcess::Options o = shellOptions();
		o.env = {{"EXECD_ENVS", path}};
		ExecdProcess execd(o);
		HttpResult r = run(execd, "env");
		::unlink(path.c_str());
		CPPUNIT_ASSERT_MESSAGE(r.body, r.body.find("\"GOOD=1\"") != std::string::npos);
		CPPUNIT_ASSERT_MESSAGE(r.body, r.body.find("\"AFTER=ok\"") != std::string::npos);
		CPPUNIT_ASSERT_MESSAGE(r.body, r.body.find("file-token") == std::string::npos);
		CPPUNIT_ASSERT_MESSAGE(r.body, r.body.find("EXECD_ENVS") == std::string::npos);
		CPPUNIT_ASSERT_MESSAGE(r.body, r.body.find("BROKEN") == std::string::npos);
		run(execd, "true");   // the same problems again: not logged again
		CPPUNIT_ASSERT_EQUAL(0, execd.stop());   // flushes the log
		std::string log = execd.output();
		for (const std::string& expected: {"EXECD_ENVS file " + path + " line 2: BROKEN: unterminated double-quoted value; skipped",
			"EXECD_ENVS file " + path + " line 3: no '='; skipped",
			"EXECD_ENVS file " + path + ": EXECD_ACCESS_TOKEN is reserved by execd; ignored",
			"EXECD_ENVS file " + path + ": JUPYTER_TOKEN is reserved by execd; ignored"})
		{
			CPPUNIT_ASSERT_MESSAGE(log, log.find(expected) != std::string::npos);
			CPPUNIT_ASSERT_MESSAGE(log, log.find(expected) == log.rfind(expected));
		}
		CPPUNIT_ASSERT_MESSAGE(log, log.find("s3cr3t") == std::string::npos);
		CPPUNIT_ASSERT_MESSAGE(log, log.find("file-token") == std::string::npos);
	}

	void testTokensDoNotReachBackgroundCommands()
	{
		// Nor execd's own /proc/<pid>/environ and cmdline, which any command can read.
		ExecdProcess::Options o = shellOptions();
		Tokens::addTo(o);
		ExecdProcess execd(o);
		const std::map<std::string, std::string> auth = Tokens::header();
		const std::string show = "env; tr '\\0' '\\n' < /proc/" + std::to_string(execd.pid()) + "/environ; cat /proc/"
			+ std::to_string(execd.pid()) + "/cmdline";
		HttpResult r = request(execd.port(), "POST", "/command", command(show, ",\"background\":true"), auth);
		CPPUNIT_ASSERT_EQUAL(200, r.status);
		std::string id = events(r)[0].text;
		auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
		while (object(request(execd.port(), "GET", "/command/status/" + id, "", auth).body)->getValue<bool>("running")
			&& std::chrono::steady_clock::now() < deadline)
			std::this_thread::sleep_for(std::chrono::milliseconds(50));
		std::string output = request(execd.port(), "GET", "/command/" + id + "/logs", "", auth).body;
		CPPUNIT_ASSERT_MESSAGE(output, output.find("PATH=") != std::string::npos);
		CPPUNIT_ASSERT_MESSAGE(output, output.find("--access-token") != std::string::npos);   // the cmdline was read
		CPPUNIT_ASSERT_EQUAL_MESSAGE(output, std::string(), Tokens::leaked(output));
		r = request(execd.port(), "POST", "/command", command(show), auth);
		CPPUNIT_ASSERT_MESSAGE(r.body, r.body.find("--access-token") != std::string::npos);
		CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, std::string(), Tokens::leaked(r.body));
	}

	void testRetention()
	{
		ExecdProcess::Options o = shellOptions();
		o.properties.push_back("module.shell.keepFinishedCommands = 2");
		ExecdProcess execd(o);
		// One after the other: retention goes by finish time, and commands
		// started together may finish in any order (they did under ASan).
		std::vector<std::string> ids;
		for (int i = 0; i < 4; ++i)
		{
			ids.push_back(events(run(execd, "echo " + std::to_string(i), ",\"background\":true"))[0].text);
			auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
			while (object(request(execd.port(), "GET", "/command/status/" + ids.back()).body)->getValue<bool>("running")
				&& std::chrono::steady_clock::now() < deadline)
				std::this_thread::sleep_for(std::chrono::milliseconds(5));
			std::this_thread::sleep_for(std::chrono::milliseconds(2));   // distinct finish times
		}
		run(execd, "true");   // registering a command expires the oldest
		CPPUNIT_ASSERT_EQUAL(404, request(execd.port(), "GET", "/command/status/" + ids[0]).status);
		CPPUNIT_ASSERT(::access(("/tmp/" + ids[0] + ".output").c_str(), F_OK) != 0);
		CPPUNIT_ASSERT_EQUAL(200, request(execd.port(), "GET", "/command/status/" + ids[3]).status);
	}

	void testAbandonedStreamIsDrainedCheaply()
	{
		// The client of a chatty command goes away: the command is not killed (the
		// contract), but its output is discarded at a small cost, and it can still
		// be interrupted.
		ExecdProcess execd(shellOptions());
		int fd = connectTo(execd.port());
		sendAll(fd, postCommand(command("yes")));
		std::string id = streamId(fd);
		CPPUNIT_ASSERT_EQUAL(std::size_t(32), id.size());
		::close(fd);
		std::this_thread::sleep_for(std::chrono::milliseconds(500));
		double cpu = cpuPercent(execd.pid(), std::chrono::seconds(3));
		CPPUNIT_ASSERT_MESSAGE("execd used " + std::to_string(cpu) + " % of a core", cpu < 20.0);
		CPPUNIT_ASSERT(object(request(execd.port(), "GET", "/command/status/" + id).body)->getValue<bool>("running"));
		HttpResult r = request(execd.port(), "DELETE", "/command?id=" + id);
		CPPUNIT_ASSERT_EQUAL(200, r.status);
		auto status = object(request(execd.port(), "GET", "/command/status/" + id).body);
		CPPUNIT_ASSERT_EQUAL(false, status->getValue<bool>("running"));
		CPPUNIT_ASSERT_EQUAL(-1, status->getValue<int>("exit_code"));
		CPPUNIT_ASSERT_EQUAL(std::string("signal: terminated"), status->getValue<std::string>("error"));
		CPPUNIT_ASSERT_EQUAL(std::string("[ok]"), texts(events(run(execd, "echo ok")), "stdout"));
	}

	void testAbandonedCommandRunsToItsEndOrTimeout()
	{
		ExecdProcess execd(shellOptions());
		// 64 MiB nobody reads, then an exit code: the command is not held up.
		int fd = connectTo(execd.port());
		sendAll(fd, postCommand(command("yes | head -c 67108864; exit 7")));
		std::string id = streamId(fd);
		::close(fd);
		auto status = waitFinished(execd, id, std::chrono::seconds(20));
		CPPUNIT_ASSERT_EQUAL(false, status->getValue<bool>("running"));
		CPPUNIT_ASSERT_EQUAL(7, status->getValue<int>("exit_code"));
		CPPUNIT_ASSERT_EQUAL(std::string("exit status 7"), status->getValue<std::string>("error"));
		// Its own timeout still holds.
		fd = connectTo(execd.port());
		sendAll(fd, postCommand(command("yes", ",\"timeout\":1500")));
		auto start = std::chrono::steady_clock::now();
		id = streamId(fd);
		::close(fd);
		status = waitFinished(execd, id, std::chrono::seconds(10));
		CPPUNIT_ASSERT(std::chrono::steady_clock::now() - start < std::chrono::seconds(4));
		CPPUNIT_ASSERT_EQUAL(-1, status->getValue<int>("exit_code"));
		CPPUNIT_ASSERT_EQUAL(std::string("signal: killed"), status->getValue<std::string>("error"));
	}

	void testClientThatStopsReadingIsDropped()
	{
		// execd.http.sendTimeoutMillis: a client that pauses for less keeps its
		// stream; one that reads nothing for longer is dropped, while the command
		// runs on (it is a foreground /command) and stays interruptible.
		ExecdProcess::Options o = shellOptions();
		o.properties.push_back("execd.http.sendTimeoutMillis = 3000");
		ExecdProcess execd(o);
		int fd = connectTo(execd.port(), 16384);
		sendAll(fd, postCommand(command("yes")));
		std::string id = streamId(fd);
		CPPUNIT_ASSERT_EQUAL(std::size_t(32), id.size());
		const std::string established = "01";
		std::this_thread::sleep_for(std::chrono::milliseconds(1000));
		CPPUNIT_ASSERT_EQUAL(established, serverSocketState(execd.port(), localPort(fd)));
		std::string received;
		CPPUNIT_ASSERT(readFor(fd, received, "", std::chrono::milliseconds(1000)) == ReadEnd::TIMEOUT);
		CPPUNIT_ASSERT(received.size() > 100000);   // still streaming after a pause of 1 s

		auto start = std::chrono::steady_clock::now();
		while (serverSocketState(execd.port(), localPort(fd)) == established && std::chrono::steady_clock::now() - start < std::chrono::seconds(15))
			std::this_thread::sleep_for(std::chrono::milliseconds(100));
		auto dropped = std::chrono::steady_clock::now() - start;
		CPPUNIT_ASSERT_MESSAGE(std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(dropped).count()) + " ms",
			dropped >= std::chrono::milliseconds(2500) && dropped < std::chrono::seconds(10));
		// What was in flight arrives, then the end of the connection.
		received.clear();
		CPPUNIT_ASSERT(readFor(fd, received, "", std::chrono::seconds(10)) == ReadEnd::CLOSED);
		::close(fd);
		CPPUNIT_ASSERT(object(request(execd.port(), "GET", "/command/status/" + id).body)->getValue<bool>("running"));
		CPPUNIT_ASSERT_EQUAL(200, request(execd.port(), "DELETE", "/command?id=" + id).status);
		CPPUNIT_ASSERT_EQUAL(-1, object(request(execd.port(), "GET", "/command/status/" + id).body)->getValue<int>("exit_code"));
	}

	void testNulByteIsRefused()
	{
		// exec() would cut the string at the NUL and run "echo a": refused, as
		// /session does.
		ExecdProcess execd(shellOptions());
		// /command (foreground, background, cwd, envs) is covered by testBadInput.
		HttpResult r = request(execd.port(), "POST", "/code", "{\"code\":\"echo a\\u0000b\"}");
		CPPUNIT_ASSERT_EQUAL(400, r.status);
		CPPUNIT_ASSERT_EQUAL(std::string("{\"code\":\"INVALID_REQUEST_BODY\",\"message\":\"invalid request, validation error the command contains a NUL byte\"}"), r.body);
		// The byte just before the NUL is fine: "a" followed by U+0001.
		CPPUNIT_ASSERT_EQUAL(std::string("[a\x01" "b]"), texts(events(run(execd, "printf 'a\\001b\\n'")), "stdout"));
	}

	void testWithoutNewerSystemCalls()
	{
		// As on Linux 4.18 (execd_oldkernel): no pidfd_open, no close_range. The
		// start-up log says so, once; commands still end the moment they exit.
		ExecdProcess::Options o = shellOptions();
		o.wrapper = {ExecdProcess::oldKernelWrapper()};
		ExecdProcess execd(o);
		auto logged = std::chrono::steady_clock::now() + std::chrono::seconds(5);
		while (execd.output().find("kernel:") == std::string::npos && std::chrono::steady_clock::now() < logged)
			std::this_thread::sleep_for(std::chrono::milliseconds(10));
		const std::string log = execd.output();
		CPPUNIT_ASSERT_MESSAGE(log, log.find("no pidfd_open (Function not implemented)") != std::string::npos);
		CPPUNIT_ASSERT_MESSAGE(log, log.find("no close_range (Function not implemented)") != std::string::npos);
		CPPUNIT_ASSERT_MESSAGE(log, log.find("kernel:") == log.rfind("kernel:"));

		// What the command leaves behind holds its pipes open for 5 s: only the
		// exit itself can end the run before that.
		auto start = std::chrono::steady_clock::now();
		auto evs = events(run(execd, "sleep 5 & echo started; exit 4"));
		CPPUNIT_ASSERT(std::chrono::steady_clock::now() - start < std::chrono::seconds(2));
		CPPUNIT_ASSERT_EQUAL(std::string("[started]"), texts(evs, "stdout"));
		CPPUNIT_ASSERT_MESSAGE(evs.back().json, evs.back().json.find("\"evalue\":\"4\"") != std::string::npos);

		start = std::chrono::steady_clock::now();
		std::string id = events(run(execd, "sleep 5 & exit 5", ",\"background\":true"))[0].text;
		auto status = object(request(execd.port(), "GET", "/command/status/" + id).body);
		while (status->getValue<bool>("running") && std::chrono::steady_clock::now() - start < std::chrono::seconds(4))
			status = object(request(execd.port(), "GET", "/command/status/" + id).body);
		CPPUNIT_ASSERT(std::chrono::steady_clock::now() - start < std::chrono::seconds(2));
		CPPUNIT_ASSERT_EQUAL(5, status->getValue<int>("exit_code"));

		// A uid takes the fork path, which closes the inherited descriptors itself.
		if (::geteuid() == 0)
		{
			evs = events(run(execd, "ls /proc/self/fd | wc -l", ",\"uid\":0"));
			CPPUNIT_ASSERT_EQUAL(std::string("4"), evs[1].text);
		}
	}
};


CPPUNIT_TEST_SUITE_REGISTRATION(IntegrationShellTest);
