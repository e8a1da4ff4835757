// /pty with real PTYs and a real WebSocket client (POCO).

#include "ExecdProcess.h"
#include "Poco/File.h"
#include "Poco/Buffer.h"
#include "Poco/JSON/Object.h"
#include "Poco/Net/HTTPClientSession.h"
#include "Poco/Net/HTTPRequest.h"
#include "Poco/Net/HTTPResponse.h"
#include "Poco/Net/NetException.h"
#include "Poco/Net/WebSocket.h"
#include <cppunit/extensions/HelperMacros.h>
#include <fstream>
#include <regex>
#include <thread>


using namespace execd::test;


namespace {


ExecdProcess& daemon()
{
	static std::unique_ptr<ExecdProcess> pExecd;
	ExecdProcess::Options o;
	o.testModules = false;
	o.properties = {"execd.modules.load = pty"};
	return ExecdProcess::keep(pExecd, o);
}


int port()
{
	return daemon().port();
}


std::string createSession(const std::string& body = "{}")
{
	HttpResult r = request(port(), "POST", "/pty", body);
	CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, 201, r.status);
	return object(r.body)->getValue<std::string>("session_id");
}


class Terminal
	/// A WebSocket client of one PTY session.
{
public:
	Terminal(const std::string& id, const std::string& query = "", int port = 0,
		const std::string& token = ""):
		_session("127.0.0.1", static_cast<Poco::UInt16>(port ? port : ::port()))
	{
		Poco::Net::HTTPRequest request(Poco::Net::HTTPRequest::HTTP_GET, "/pty/" + id + "/ws" + (query.empty() ? "" : "?" + query), Poco::Net::HTTPMessage::HTTP_1_1);
		if (!token.empty()) request.set("X-EXECD-ACCESS-TOKEN", token);
		Poco::Net::HTTPResponse response;
		_pSocket = std::make_unique<Poco::Net::WebSocket>(_session, request, response);
		_pSocket->setReceiveTimeout(Poco::Timespan(0, 200000));
	}

	struct Frame
	{
		int op = 0;                 ///< WebSocket opcode; 0 = nothing within the timeout
		std::string data;
	};

	Frame next(std::chrono::milliseconds timeout)
	{
		auto deadline = std::chrono::steady_clock::now() + timeout;
		while (std::chrono::steady_clock::now() < deadline)
		{
			Frame f;
			int flags = 0;
			try
			{
				Poco::Buffer<char> buffer(0);
				int n = _pSocket->receiveFrame(buffer, flags);
				f.op = flags & Poco::Net::WebSocket::FRAME_OP_BITMASK;
				f.data.assign(buffer.begin(), buffer.size());
				if (n == 0 && flags == 0) f.op = Poco::Net::WebSocket::FRAME_OP_CLOSE;
				if (f.op == Poco::Net::WebSocket::FRAME_OP_PING) continue;
				if (f.op == Poco::Net::WebSocket::FRAME_OP_BINARY && !f.data.empty())
				{
					if (f.data[0] == 0x01) _out += f.data.substr(1);
					if (f.data[0] == 0x02) _err += f.data.substr(1);
					if (f.data[0] == 0x03 && f.data.size() >= 9) _replay += f.data.substr(9);
				}
				if (f.op == Poco::Net::WebSocket::FRAME_OP_TEXT) _texts.push_back(f.data);
				return f;
			}
			catch (Poco::TimeoutException&)
			{
				continue;
			}
			catch (Poco::Exception&)
			{
				f.op = Poco::Net::WebSocket::FRAME_OP_CLOSE;
				return f;
			}
		}
		return Frame();
	}

	bool waitOutput(const std::string& needle, std::chrono::milliseconds timeout = std::chrono::seconds(5))
	{
		auto deadline = std::chrono::steady_clock::now() + timeout;
		while (_out.find(needle) == std::string::npos && _err.find(needle) == std::string::npos)
		{
			if (std::chrono::steady_clock::now() > deadline) return false;
			if (next(std::chrono::milliseconds(200)).op == Poco::Net::WebSocket::FRAME_OP_CLOSE) return _out.find(needle) != std::string::npos;
		}
		return true;
	}

	bool waitOutputOrReplay(const std::string& needle, std::chrono::milliseconds timeout = std::chrono::seconds(5))
		/// As waitOutput(), also finding it in the replay frame: output a shell
		/// wrote before this client was attached (a fast command) arrives there.
	{
		auto deadline = std::chrono::steady_clock::now() + timeout;
		auto found = [&] { return (_out + _err + _replay).find(needle) != std::string::npos; };
		while (!found())
		{
			if (std::chrono::steady_clock::now() > deadline) return false;
			if (next(std::chrono::milliseconds(200)).op == Poco::Net::WebSocket::FRAME_OP_CLOSE) return found();
		}
		return true;
	}

	bool waitText(const std::string& needle, std::chrono::milliseconds timeout = std::chrono::seconds(5))
	{
		auto deadline = std::chrono::steady_clock::now() + timeout;
		for (;;)
		{
			for (const auto& t: _texts)
				if (t.find(needle) != std::string::npos) return true;
			if (std::chrono::steady_clock::now() > deadline) return false;
			if (next(std::chrono::milliseconds(200)).op == Poco::Net::WebSocket::FRAME_OP_CLOSE)
			{
				for (const auto& t: _texts)
					if (t.find(needle) != std::string::npos) return true;
				return false;
			}
		}
	}

	void input(const std::string& text)
	{
		std::string frame = std::string(1, '\0') + text;
		_pSocket->sendFrame(frame.data(), static_cast<int>(frame.size()), Poco::Net::WebSocket::FRAME_BINARY);
	}

	void text(const std::string& json)
	{
		_pSocket->sendFrame(json.data(), static_cast<int>(json.size()), Poco::Net::WebSocket::FRAME_TEXT);
	}

	void close()
	{
		try
		{
			_pSocket->shutdown();
		}
		catch (...)
		{
		}
		_pSocket->close();
	}

	std::string& out() { return _out; }
	std::string& err() { return _err; }
	std::string& replayed() { return _replay; }
	std::vector<std::string>& texts() { return _texts; }

private:
	Poco::Net::HTTPClientSession _session;
	std::unique_ptr<Poco::Net::WebSocket> _pSocket;
	std::string _out;
	std::string _err;
	std::string _replay;
	std::vector<std::string> _texts;
};


const std::map<std::string, std::string> UPGRADE{{"Connection", "Upgrade"}, {"Upgrade", "websocket"},
	{"Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="}, {"Sec-WebSocket-Version", "13"}};


} // namespace


class IntegrationPtyTest: public CppUnit::TestFixture
{
	CPPUNIT_TEST_SUITE(IntegrationPtyTest);
	CPPUNIT_TEST(testRest);
	CPPUNIT_TEST(testEchoResizeAndBadFrames);
	CPPUNIT_TEST(testPipeMode);
	CPPUNIT_TEST(testSignalStopsSleep);
	CPPUNIT_TEST(testExitFrameAndRestart);
	CPPUNIT_TEST(testReconnectGetsExactlyTheMissedBytes);
	CPPUNIT_TEST(testRingWrapAround);
	CPPUNIT_TEST(testTakeover);
	CPPUNIT_TEST(testDeleteWithClientAttached);
	CPPUNIT_TEST(testTokenRequired);
	CPPUNIT_TEST(testEnvsFileReachesEachShell);
	CPPUNIT_TEST(testTokensDoNotReachShells);
	CPPUNIT_TEST(testTerminalSizeIsNotInTheEnvironment);
	CPPUNIT_TEST_SUITE_END();

public:
	void testRest()
	{
		HttpResult r = request(port(), "POST", "/pty", "");
		CPPUNIT_ASSERT_EQUAL(201, r.status);
		std::string id = object(r.body)->getValue<std::string>("session_id");
		CPPUNIT_ASSERT(std::regex_match(id, std::regex("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")));
		r = request(port(), "GET", "/pty/" + id);
		CPPUNIT_ASSERT_EQUAL(std::string("{\"session_id\":\"" + id + "\",\"running\":false,\"output_offset\":0}"), r.body);
		CPPUNIT_ASSERT(request(port(), "GET", "/pty").body.find(id) != std::string::npos);
		char dir[] = "/tmp/execd-pty-XXXXXX";
		CPPUNIT_ASSERT(::mkdtemp(dir));
		r = request(port(), "POST", "/pty", "{\"cwd\":\"" + std::string(dir) + "/new/sub\",\"command\":\"pwd\"}");
		CPPUNIT_ASSERT_EQUAL(201, r.status);
		Terminal t(object(r.body)->getValue<std::string>("session_id"));
		CPPUNIT_ASSERT(t.waitOutput(std::string(dir) + "/new/sub"));
		CPPUNIT_ASSERT_EQUAL(400, request(port(), "POST", "/pty", "{bad").status);
		r = request(port(), "GET", "/pty/nope");
		CPPUNIT_ASSERT_EQUAL(404, r.status);
		CPPUNIT_ASSERT_EQUAL(std::string("{\"code\":\"CONTEXT_NOT_FOUND\",\"message\":\"pty session nope not found\"}"), r.body);
		CPPUNIT_ASSERT_EQUAL(404, request(port(), "GET", "/pty/nope/ws", "", UPGRADE).status);
		CPPUNIT_ASSERT_EQUAL(404, request(port(), "DELETE", "/pty/nope").status);
		r = request(port(), "DELETE", "/pty/" + id);
		CPPUNIT_ASSERT_EQUAL(200, r.status);
		CPPUNIT_ASSERT_EQUAL(std::string("0"), r.header("Content-Length"));
		CPPUNIT_ASSERT_EQUAL(404, request(port(), "GET", "/pty/" + id).status);
		Poco::File(dir).remove(true);
	}

	void testEchoResizeAndBadFrames()
	{
		Terminal t(createSession());
		auto first = t.next(std::chrono::seconds(5));
		CPPUNIT_ASSERT_EQUAL(static_cast<int>(Poco::Net::WebSocket::FRAME_OP_TEXT), first.op);
		CPPUNIT_ASSERT(std::regex_match(first.data, std::regex("\\{\"type\":\"connected\",\"session_id\":\"[0-9a-f-]+\",\"mode\":\"pty\"\\}\n")));
		t.input("stty size\n");
		CPPUNIT_ASSERT(t.waitOutput("24 80\r\n"));
		t.text("{\"type\":\"resize\",\"cols\":120,\"rows\":40}");
		t.text("{\"type\":\"resize\",\"cols\":0,\"rows\":10}");   // ignored
		t.text("not json at all");                              // ignored
		t.text("{\"type\":\"stdin\",\"data\":\"stty size\\n\"}");
		CPPUNIT_ASSERT(t.waitOutput("40 120\r\n"));
		t.text("{\"type\":\"teleport\"}");
		CPPUNIT_ASSERT(t.waitText("{\"type\":\"error\",\"error\":\"unknown frame type \\\"teleport\\\"\",\"code\":\"INVALID_FRAME\"}\n"));
		t.text("{\"type\":\"ping\"}");
		CPPUNIT_ASSERT(t.waitText("{\"type\":\"pong\"}\n"));
		t.input("echo still-$((6*7))\n");
		CPPUNIT_ASSERT(t.waitOutput("still-42"));
		// UTF-8 passes through as bytes.
		t.input("echo 'héllo 文字'\n");
		CPPUNIT_ASSERT(t.waitOutput("héllo 文字\r\n"));
	}

	void testPipeMode()
	{
		Terminal t(createSession(), "pty=0");
		CPPUNIT_ASSERT(t.waitText("\"mode\":\"pipe\""));
		t.input("echo out; echo err >&2\n");
		CPPUNIT_ASSERT(t.waitOutput("out\n"));
		CPPUNIT_ASSERT(t.waitOutput("err\n"));
		CPPUNIT_ASSERT_EQUAL(std::string("out\n"), t.out());
		CPPUNIT_ASSERT_EQUAL(std::string("err\n"), t.err());
	}

	void testSignalStopsSleep()
	{
		Terminal t(createSession());
		t.input("sleep 100; echo after-$((2+3))\n");
		std::this_thread::sleep_for(std::chrono::milliseconds(500));
		auto start = std::chrono::steady_clock::now();
		t.text("{\"type\":\"signal\",\"signal\":\"SIGINT\"}");
		t.input("echo done-$((1+1))\n");
		CPPUNIT_ASSERT(t.waitOutput("done-2\r\n", std::chrono::seconds(5)));
		CPPUNIT_ASSERT(std::chrono::steady_clock::now() - start < std::chrono::seconds(3));
		CPPUNIT_ASSERT(t.out().find("after-5") == std::string::npos);   // the list was interrupted
	}

	void testExitFrameAndRestart()
	{
		std::string id = createSession("{\"command\":\"echo bye; exit 7\"}");
		{
			Terminal t(id);
			CPPUNIT_ASSERT(t.waitText("{\"type\":\"exit\",\"exit_code\":7}\n"));
			CPPUNIT_ASSERT((t.out() + t.replayed()).find("bye") != std::string::npos);   // a quick shell may end before the attachment
			auto f = t.next(std::chrono::seconds(3));
			CPPUNIT_ASSERT_EQUAL(static_cast<int>(Poco::Net::WebSocket::FRAME_OP_CLOSE), f.op);
			if (f.data.size() >= 2)
				CPPUNIT_ASSERT_EQUAL(1000, (static_cast<unsigned char>(f.data[0]) << 8) | static_cast<unsigned char>(f.data[1]));
		}
		std::this_thread::sleep_for(std::chrono::milliseconds(200));
		HttpResult r = request(port(), "GET", "/pty/" + id);
		CPPUNIT_ASSERT(r.body.find("\"running\":false") != std::string::npos);
		// The next connection replays the old output first, then runs a new shell.
		Terminal again(id);
		auto replay = again.next(std::chrono::seconds(3));
		CPPUNIT_ASSERT_EQUAL(static_cast<int>(Poco::Net::WebSocket::FRAME_OP_BINARY), replay.op);
		CPPUNIT_ASSERT_EQUAL('\x03', replay.data[0]);
		CPPUNIT_ASSERT_EQUAL(std::string(8, '\0'), replay.data.substr(1, 8));
		CPPUNIT_ASSERT(replay.data.find("bye") != std::string::npos);
		CPPUNIT_ASSERT(again.next(std::chrono::seconds(3)).data.find("\"type\":\"connected\"") != std::string::npos);
		CPPUNIT_ASSERT(again.waitText("\"exit_code\":7"));
	}

	void testReconnectGetsExactlyTheMissedBytes()
	{
		// 4,000 numbered lines (about 200 KB) written over a few seconds, in pipe
		// mode so that bytes are exactly what the shell wrote.
		std::string id = createSession("{\"command\":\"for i in $(seq 1 4000); do printf '%050d\\\\n' $i; [ $((i % 100)) = 0 ] && sleep 0.05; done; sleep 0.3\"}");
		std::string received;
		long long offset = 0;
		{
			Terminal a(id, "pty=0");
			CPPUNIT_ASSERT(a.waitOutput("00000000500\n"));
			received = a.out();
			offset = static_cast<long long>(received.size());
			a.close();
		}
		std::this_thread::sleep_for(std::chrono::milliseconds(400));   // output goes on meanwhile
		Terminal b(id, "pty=0&since=" + std::to_string(offset));
		auto first = b.next(std::chrono::seconds(3));
		CPPUNIT_ASSERT_EQUAL(static_cast<int>(Poco::Net::WebSocket::FRAME_OP_BINARY), first.op);
		CPPUNIT_ASSERT_EQUAL('\x03', first.data[0]);
		long long at = 0;
		for (int i = 1; i <= 8; ++i) at = (at << 8) | static_cast<unsigned char>(first.data[static_cast<std::size_t>(i)]);
		CPPUNIT_ASSERT_EQUAL(offset, at);
		received += first.data.substr(9);
		CPPUNIT_ASSERT(b.waitText("\"type\":\"exit\"", std::chrono::seconds(20)));
		received += b.out();
		std::string expected;
		char line[64];
		for (int i = 1; i <= 4000; ++i)
		{
			std::snprintf(line, sizeof(line), "%050d\n", i);
			expected += line;
		}
		CPPUNIT_ASSERT_EQUAL(expected.size(), received.size());
		CPPUNIT_ASSERT(expected == received);
	}

	void testRingWrapAround()
	{
		std::string id = createSession("{\"command\":\"head -c 1572864 /dev/zero | tr '\\\\0' x; sleep 0.2\"}");
		{
			Terminal a(id, "pty=0");
			a.close();
		}
		auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
		while (request(port(), "GET", "/pty/" + id).body.find("\"output_offset\":1572864") == std::string::npos && std::chrono::steady_clock::now() < deadline)
			std::this_thread::sleep_for(std::chrono::milliseconds(100));
		CPPUNIT_ASSERT(request(port(), "GET", "/pty/" + id).body.find("\"output_offset\":1572864") != std::string::npos);
		Terminal b(id, "pty=0&since=100");
		auto replay = b.next(std::chrono::seconds(3));
		CPPUNIT_ASSERT_EQUAL('\x03', replay.data[0]);
		long long at = 0;
		for (int i = 1; i <= 8; ++i) at = (at << 8) | static_cast<unsigned char>(replay.data[static_cast<std::size_t>(i)]);
		CPPUNIT_ASSERT_EQUAL(1572864LL - 1048576LL, at);
		CPPUNIT_ASSERT_EQUAL(std::size_t(1048576), replay.data.size() - 9);
		CPPUNIT_ASSERT(replay.data.find_first_not_of('x', 9) == std::string::npos);
	}

	void testTakeover()
	{
		std::string id = createSession();
		Terminal a(id);
		a.input("export KEPT=42\n");
		CPPUNIT_ASSERT(a.waitOutput("export KEPT=42"));
		HttpResult r = request(port(), "GET", "/pty/" + id + "/ws", "", UPGRADE);
		CPPUNIT_ASSERT_EQUAL(409, r.status);
		CPPUNIT_ASSERT_EQUAL(std::string("{\"code\":\"ALREADY_CONNECTED\",\"message\":\"another client is already connected to pty session " + id + "\"}"), r.body);
		Terminal b(id, "takeover=1");
		// The holder is told, with close code 4001.
		Terminal::Frame f;
		do
			f = a.next(std::chrono::seconds(3));
		while (f.op != 0 && f.op != Poco::Net::WebSocket::FRAME_OP_CLOSE);
		CPPUNIT_ASSERT_EQUAL(static_cast<int>(Poco::Net::WebSocket::FRAME_OP_CLOSE), f.op);
		CPPUNIT_ASSERT(f.data.size() >= 2);
		CPPUNIT_ASSERT_EQUAL(4001, (static_cast<unsigned char>(f.data[0]) << 8) | static_cast<unsigned char>(f.data[1]));
		CPPUNIT_ASSERT_EQUAL(std::string("TAKEN_OVER"), f.data.substr(2));
		// The shell survived.
		CPPUNIT_ASSERT(b.waitText("\"type\":\"connected\""));
		b.input("echo kept=$KEPT\n");
		CPPUNIT_ASSERT(b.waitOutput("kept=42"));
	}

	void testDeleteWithClientAttached()
	{
		std::string id = createSession();
		Terminal a(id);
		a.input("echo ready\n");
		CPPUNIT_ASSERT(a.waitOutput("ready\r\n"));
		CPPUNIT_ASSERT_EQUAL(200, request(port(), "DELETE", "/pty/" + id).status);
		bool exited = a.waitText("{\"type\":\"exit\",\"exit_code\":-1}\n");
		std::string texts;
		for (const auto& t: a.texts()) texts += t;
		CPPUNIT_ASSERT_MESSAGE(texts + daemon().output(), exited);
		CPPUNIT_ASSERT_EQUAL(404, request(port(), "GET", "/pty/" + id).status);
	}

	void testTokenRequired()
	{
		ExecdProcess::Options o;
		o.testModules = false;
		o.properties = {"execd.modules.load = pty"};
		o.args = {"--access-token", "pty-secret"};
		ExecdProcess secured(o);
		HttpResult r = request(secured.port(), "POST", "/pty", "{}", {{"X-EXECD-ACCESS-TOKEN", "pty-secret"}});
		CPPUNIT_ASSERT_EQUAL(201, r.status);
		std::string id = object(r.body)->getValue<std::string>("session_id");
		std::map<std::string, std::string> headers = UPGRADE;
		CPPUNIT_ASSERT_EQUAL(401, request(secured.port(), "GET", "/pty/" + id + "/ws", "", headers).status);
		Terminal t(id, "", secured.port(), "pty-secret");
		CPPUNIT_ASSERT(t.waitText("\"type\":\"connected\""));
	}

	void testEnvsFileReachesEachShell()
	{
		// Each shell of a session starts with the file as it is then.
		std::string path = "/tmp/execd-pty-envs-" + std::to_string(::getpid());
		std::ofstream(path) << "PTY_VALUE=\"from file\"\nEXECD_ACCESS_TOKEN=file-token\n";
		ExecdProcess::Options o;
		o.testModules = false;
		o.properties = {"execd.modules.load = pty"};
		o.env = {{"EXECD_ENVS", path}};
		ExecdProcess execd(o);
		HttpResult r = request(execd.port(), "POST", "/pty",
			"{\"command\":" + quote("echo \"<$PTY_VALUE|${EXECD_ACCESS_TOKEN-unset}|${EXECD_ENVS-unset}>\"") + "}");
		CPPUNIT_ASSERT_EQUAL(201, r.status);
		std::string id = object(r.body)->getValue<std::string>("session_id");
		{
			Terminal t(id, "", execd.port());
			CPPUNIT_ASSERT_MESSAGE(t.out(), t.waitOutputOrReplay("<from file|unset|unset>"));
			CPPUNIT_ASSERT(t.waitText("\"type\":\"exit\""));
		}
		std::ofstream(path, std::ios::trunc) << "PTY_VALUE=changed\n";
		Terminal again(id, "pty=0", execd.port());
		CPPUNIT_ASSERT_MESSAGE(again.out(), again.waitOutputOrReplay("<changed|unset|unset>"));
		::unlink(path.c_str());
	}

	void testTokensDoNotReachShells()
	{
		// Nor execd's own /proc/<pid>/environ and cmdline: the shell's parent is execd.
		ExecdProcess::Options o;
		o.testModules = false;
		o.properties = {"execd.modules.load = pty"};
		Tokens::addTo(o);
		ExecdProcess execd(o);
		HttpResult r = request(execd.port(), "POST", "/pty",
			"{\"command\":" + quote("env; tr '\\0' '\\n' < /proc/$PPID/environ; tr '\\0' ' ' < /proc/$PPID/cmdline; echo; echo ==DONE==") + "}",
			Tokens::header());
		CPPUNIT_ASSERT_EQUAL(201, r.status);
		std::string id = object(r.body)->getValue<std::string>("session_id");
		Terminal t(id, "", execd.port(), Tokens::FLAG);
		CPPUNIT_ASSERT_MESSAGE(t.out(), t.waitOutput("==DONE=="));
		CPPUNIT_ASSERT_MESSAGE(t.out(), t.out().find("PATH=") != std::string::npos);
		CPPUNIT_ASSERT_MESSAGE(t.out(), t.out().find("--access-token") != std::string::npos);
		CPPUNIT_ASSERT_EQUAL_MESSAGE(t.out(), std::string(), Tokens::leaked(t.out()));
	}

	void testTerminalSizeIsNotInTheEnvironment()
	{
		// execd started from a terminal: its LINES and COLUMNS are not the
		// session's, whose size the client sets; a program that prefers them
		// (busybox's stty) would report that terminal, not this one.
		ExecdProcess::Options o;
		o.testModules = false;
		o.properties = {"execd.modules.load = pty"};
		o.env = {{"LINES", "24"}, {"COLUMNS", "80"}, {"PTY_KEPT", "yes"}};
		ExecdProcess execd(o);
		std::string probe = "sh -c 'echo \"<${LINES-unset}|${COLUMNS-unset}|$PTY_KEPT>\"'";
		HttpResult r = request(execd.port(), "POST", "/pty", "{}");
		CPPUNIT_ASSERT_EQUAL(201, r.status);
		Terminal t(object(r.body)->getValue<std::string>("session_id"), "", execd.port());
		CPPUNIT_ASSERT(t.waitText("\"type\":\"connected\""));
		t.text("{\"type\":\"resize\",\"cols\":100,\"rows\":30}");
		t.input(probe + "; stty size\n");
		CPPUNIT_ASSERT_MESSAGE(t.out(), t.waitOutput("<unset|unset|yes>\r\n30 100\r\n"));
	}
};


CPPUNIT_TEST_SUITE_REGISTRATION(IntegrationPtyTest);
