// The metrics module (/metrics, /metrics/watch, /metrics/prometheus) and the
// proxy module (/proxy/{port}/...), against a real execd.

#include "ExecdProcess.h"
#include "Poco/DigestEngine.h"
#include "Poco/JSON/Object.h"
#include "Poco/Net/HTTPClientSession.h"
#include "Poco/Net/HTTPRequest.h"
#include "Poco/Net/HTTPRequestHandler.h"
#include "Poco/Net/HTTPRequestHandlerFactory.h"
#include "Poco/Net/HTTPResponse.h"
#include "Poco/Net/HTTPServer.h"
#include "Poco/Net/HTTPServerRequest.h"
#include "Poco/Net/HTTPServerResponse.h"
#include "Poco/Net/ServerSocket.h"
#include "Poco/Net/SocketAddress.h"
#include "Poco/Net/StreamSocket.h"
#include "Poco/Net/WebSocket.h"
#include "Poco/String.h"
#include "Poco/SHA2Engine.h"
#include "Poco/SHA1Engine.h"
#include "Poco/Base64Encoder.h"
#include <atomic>
#include <cppunit/extensions/HelperMacros.h>
#include <fstream>
#include <future>
#include <regex>
#include <sstream>
#include <thread>
#include <unistd.h>


using namespace execd::test;


namespace {


ExecdProcess& daemon()
{
	static std::unique_ptr<ExecdProcess> pExecd;
	ExecdProcess::Options o;
	o.testModules = false;
	o.properties = {"execd.modules.load = shell, files, metrics, proxy", "execd.http.threadIdleMillis = 1000"};
	return ExecdProcess::keep(pExecd, o);
}


int port()
{
	return daemon().port();
}


std::string proxied(const std::string& path)
{
	return "/proxy/" + std::to_string(port()) + path;
}


int threadsOf(int pid)
{
	std::ifstream in("/proc/" + std::to_string(pid) + "/status");
	std::string line;
	while (std::getline(in, line))
		if (line.rfind("Threads:", 0) == 0) return std::atoi(line.c_str() + 8);
	return -1;
}


double memTotalMiB()
{
	std::ifstream in("/proc/meminfo");
	std::string key;
	double kb = 0;
	in >> key >> kb;
	return kb / 1024;
}


std::string sha256(const std::string& data)
{
	Poco::SHA2Engine engine(Poco::SHA2Engine::SHA_256);
	engine.update(data);
	return Poco::DigestEngine::digestToHex(engine.digest());
}


class EchoServer
	/// A minimal WebSocket echo (RFC 6455 handshake, masked client frames) on a
	/// thread of its own, for the proxy test: one connection, then it stops.
{
public:
	EchoServer():
		_listener(Poco::Net::SocketAddress("127.0.0.1", 0)),
		_thread([this] { run(); })
	{
	}

	~EchoServer()
	{
		_listener.close();
		if (_thread.joinable()) _thread.join();
	}

	int port() const
	{
		return _port;
	}

private:
	void run()
	{
		try
		{
			Poco::Net::StreamSocket s = _listener.acceptConnection();
			s.setReceiveTimeout(Poco::Timespan(10, 0));
			std::string head;
			char c;
			while (head.find("\r\n\r\n") == std::string::npos && s.receiveBytes(&c, 1) == 1) head += c;
			std::smatch key;
			if (!std::regex_search(head, key, std::regex("Sec-WebSocket-Key: *([^\r]+)", std::regex::icase))) return;
			Poco::SHA1Engine sha1;
			sha1.update(key[1].str() + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11");
			Poco::DigestEngine::Digest digest = sha1.digest();
			std::ostringstream accept;
			Poco::Base64Encoder encoder(accept);
			encoder.write(reinterpret_cast<const char*>(digest.data()), static_cast<std::streamsize>(digest.size()));
			encoder.close();
			std::string reply = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: " + accept.str() + "\r\n\r\n";
			s.sendBytes(reply.data(), static_cast<int>(reply.size()));
			for (;;)
			{
				unsigned char h[2];
				if (!readAll(s, reinterpret_cast<char*>(h), 2)) return;
				std::uint64_t len = h[1] & 127;
				if (len == 126 || len == 127)
				{
					unsigned char ext[8];
					std::size_t n = len == 126 ? 2 : 8;
					if (!readAll(s, reinterpret_cast<char*>(ext), n)) return;
					len = 0;
					for (std::size_t i = 0; i < n; ++i) len = (len << 8) | ext[i];
				}
				unsigned char mask[4];
				if (!readAll(s, reinterpret_cast<char*>(mask), 4)) return;
				std::string payload(len, '\0');
				if (!readAll(s, &payload[0], payload.size())) return;
				for (std::size_t i = 0; i < payload.size(); ++i) payload[i] = static_cast<char>(payload[i] ^ mask[i % 4]);
				if ((h[0] & 15) == 8) return;   // close
				std::string frame(1, static_cast<char>(h[0]));
				if (len < 126) frame += static_cast<char>(len);
				else if (len < 65536) { frame += static_cast<char>(126); frame += static_cast<char>(len >> 8); frame += static_cast<char>(len & 255); }
				else { frame += static_cast<char>(127); for (int i = 7; i >= 0; --i) frame += static_cast<char>((len >> (8 * i)) & 255); }
				frame += payload;
				std::size_t sent = 0;
				while (sent < frame.size()) sent += static_cast<std::size_t>(s.sendBytes(frame.data() + sent, static_cast<int>(frame.size() - sent)));
			}
		}
		catch (Poco::Exception&)
		{
		}
	}

	static bool readAll(Poco::Net::StreamSocket& s, char* out, std::size_t n)
	{
		std::size_t got = 0;
		while (got < n)
		{
			int r = s.receiveBytes(out + got, static_cast<int>(n - got));
			if (r <= 0) return false;
			got += static_cast<std::size_t>(r);
		}
		return true;
	}

	Poco::Net::ServerSocket _listener;
	int _port = _listener.address().port();
	std::thread _thread;
};


} // namespace


class IntegrationMetricsProxyTest: public CppUnit::TestFixture
{
	CPPUNIT_TEST_SUITE(IntegrationMetricsProxyTest);
	CPPUNIT_TEST(testMetricsShape);
	CPPUNIT_TEST(testWatchCadence);
	CPPUNIT_TEST(testWatchersGoAway);
	CPPUNIT_TEST(testPrometheus);
	CPPUNIT_TEST(testProxyRequests);
	CPPUNIT_TEST(testProxySseIsNotBuffered);
	CPPUNIT_TEST(testProxyUploadAndRange);
	CPPUNIT_TEST(testProxyWebSocket);
	CPPUNIT_TEST(testProxyBadPorts);
	CPPUNIT_TEST(testProxyWithToken);
	CPPUNIT_TEST_SUITE_END();

public:
	void testMetricsShape()
	{
		request(port(), "GET", "/metrics");
		auto start = std::chrono::steady_clock::now();
		HttpResult r = request(port(), "GET", "/metrics");
		auto took = std::chrono::steady_clock::now() - start;
		CPPUNIT_ASSERT_EQUAL(200, r.status);
		CPPUNIT_ASSERT_MESSAGE("answered from the sampler, not after a second of sampling", took < std::chrono::milliseconds(200));
		CPPUNIT_ASSERT(std::regex_match(r.body, std::regex(
			"\\{\"cpu_count\":\\d+,\"cpu_used_pct\":[0-9.]+,\"mem_total_mib\":[0-9.]+,\"mem_used_mib\":[0-9.]+,\"timestamp\":\\d{13}\\}")));
		auto o = object(r.body);
		int cpus = o->getValue<int>("cpu_count");
		CPPUNIT_ASSERT(cpus >= 1 && cpus <= static_cast<int>(::sysconf(_SC_NPROCESSORS_CONF)));
		double pct = o->getValue<double>("cpu_used_pct");
		CPPUNIT_ASSERT(pct >= 0 && pct <= 100);
		CPPUNIT_ASSERT_DOUBLES_EQUAL(memTotalMiB(), o->getValue<double>("mem_total_mib"), 1e-9);
		double used = o->getValue<double>("mem_used_mib");
		CPPUNIT_ASSERT(used > 0 && used < memTotalMiB());
		long long now = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
		CPPUNIT_ASSERT(std::llabs(now - o->getValue<Poco::Int64>("timestamp")) < 5000);
	}

	void testWatchCadence()
	{
		std::vector<std::chrono::steady_clock::time_point> arrivals;
		std::size_t lines = 0;
		auto start = std::chrono::steady_clock::now();
		std::string head;
		HttpResult r = rawRequest(port(), "GET /metrics/watch HTTP/1.1\r\nHost: x\r\n\r\n", std::chrono::milliseconds(5500), true,
			[&](const std::string& soFar) {
				std::size_t n = 0;
				for (std::size_t at = soFar.find("\"timestamp\""); at != std::string::npos; at = soFar.find("\"timestamp\"", at + 1)) ++n;
				while (lines < n)
				{
					arrivals.push_back(std::chrono::steady_clock::now());
					++lines;
				}
			});
		CPPUNIT_ASSERT_EQUAL(200, r.status);
		CPPUNIT_ASSERT_EQUAL(std::string("text/event-stream"), r.header("Content-Type"));
		CPPUNIT_ASSERT_EQUAL(std::string("no-cache"), r.header("Cache-Control"));
		CPPUNIT_ASSERT_EQUAL(std::string("no"), r.header("X-Accel-Buffering"));
		CPPUNIT_ASSERT_EQUAL(std::string("chunked"), r.header("Transfer-Encoding"));
		CPPUNIT_ASSERT_MESSAGE(std::to_string(arrivals.size()) + " lines", arrivals.size() >= 3);
		CPPUNIT_ASSERT(arrivals[0] - start < std::chrono::milliseconds(1500));
		for (std::size_t i = 1; i < arrivals.size(); ++i)
		{
			auto gap = std::chrono::duration_cast<std::chrono::milliseconds>(arrivals[i] - arrivals[i - 1]).count();
			CPPUNIT_ASSERT_MESSAGE(std::to_string(gap) + " ms between lines", gap > 1500 && gap < 2600);
		}
		// Bare JSON lines, each followed by a blank line; no "data:" prefix.
		std::string body = r.body;
		CPPUNIT_ASSERT(body.rfind("{\"cpu_count\":", 0) == 0);
		CPPUNIT_ASSERT(body.find("}\n\n{\"cpu_count\":") != std::string::npos);
		CPPUNIT_ASSERT(body.find("data:") == std::string::npos);
	}

	void testWatchersGoAway()
	{
		request(port(), "GET", "/metrics");
		int idle = threadsOf(daemon().pid());
		std::vector<std::unique_ptr<Poco::Net::StreamSocket>> clients;
		for (int i = 0; i < 20; ++i)
		{
			clients.push_back(std::make_unique<Poco::Net::StreamSocket>(Poco::Net::SocketAddress("127.0.0.1", static_cast<Poco::UInt16>(port()))));
			std::string req = "GET /metrics/watch HTTP/1.1\r\nHost: x\r\n\r\n";
			clients.back()->sendBytes(req.data(), static_cast<int>(req.size()));
		}
		// Every watcher gets its first line.
		for (auto& c: clients)
		{
			c->setReceiveTimeout(Poco::Timespan(3, 0));
			std::string got;
			char buffer[4096];
			while (got.find("cpu_count") == std::string::npos)
			{
				int n = c->receiveBytes(buffer, sizeof(buffer));
				CPPUNIT_ASSERT(n > 0);
				got.append(buffer, static_cast<std::size_t>(n));
			}
		}
		CPPUNIT_ASSERT(threadsOf(daemon().pid()) >= idle + 10);
		clients.clear();
		// Their threads end at the next tick, and the pool lets idle ones go.
		auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
		while (threadsOf(daemon().pid()) > idle + 2 && std::chrono::steady_clock::now() < deadline)
			std::this_thread::sleep_for(std::chrono::milliseconds(100));
		CPPUNIT_ASSERT_MESSAGE(std::to_string(threadsOf(daemon().pid())) + " threads, idle " + std::to_string(idle),
			threadsOf(daemon().pid()) <= idle + 2);
	}

	void testPrometheus()
	{
		request(port(), "GET", "/metrics");
		HttpResult r = request(port(), "POST", "/command", "{\"command\":\"sleep 3\",\"background\":true}");
		CPPUNIT_ASSERT_EQUAL(200, r.status);
		r = request(port(), "GET", "/metrics/prometheus");
		CPPUNIT_ASSERT_EQUAL(200, r.status);
		CPPUNIT_ASSERT_EQUAL(std::string("text/plain; version=0.0.4; charset=utf-8"), r.header("Content-Type"));
		for (const char* name: {"process_resident_memory_bytes ", "process_open_fds ", "process_threads ", "process_cpu_seconds_total ",
			"execd_host_cpu_used_percent ", "execd_host_memory_total_bytes ", "execd_cpu_count ", "execd_active_streams "})
			CPPUNIT_ASSERT_MESSAGE(name, r.body.find(std::string("\n") + name) != std::string::npos);
		CPPUNIT_ASSERT(r.body.find("execd_http_requests_total{method=\"GET\",route=\"/metrics\",status=\"200\"} ") != std::string::npos);
		CPPUNIT_ASSERT(r.body.find("execd_http_requests_total{method=\"POST\",route=\"/command\",status=\"200\"} ") != std::string::npos);
		CPPUNIT_ASSERT_MESSAGE(r.body, r.body.find("\nexecd_running_commands 1\n") != std::string::npos);
		request(port(), "GET", "/nowhere");
		r = request(port(), "GET", "/metrics/prometheus");
		CPPUNIT_ASSERT(r.body.find("execd_http_requests_total{method=\"GET\",route=\"unmatched\",status=\"404\"} ") != std::string::npos);
		// Every line is a comment or "name[{labels}] value".
		std::istringstream lines(r.body);
		std::string line;
		while (std::getline(lines, line))
			CPPUNIT_ASSERT_MESSAGE(line, line[0] == '#' || std::regex_match(line, std::regex("[a-z_]+(\\{[^}]*\\})? [0-9.e+-]+")));
	}

	void testProxyRequests()
	{
		char dir[] = "/tmp/execd-proxy-XXXXXX";
		CPPUNIT_ASSERT(::mkdtemp(dir));
		std::ofstream(std::string(dir) + "/a.txt") << "through the proxy";
		// GET with a query string; the answer passes unchanged.
		HttpResult direct = request(port(), "GET", "/files/info?path=" + std::string(dir) + "/a.txt");
		HttpResult r = request(port(), "GET", proxied("/files/info?path=" + std::string(dir) + "/a.txt"));
		CPPUNIT_ASSERT_EQUAL(200, r.status);
		CPPUNIT_ASSERT_EQUAL(direct.body, r.body);
		CPPUNIT_ASSERT_EQUAL(std::string("application/json; charset=utf-8"), r.header("Content-Type"));
		// POST with a body; an empty 200 keeps Content-Length: 0.
		r = request(port(), "POST", proxied("/files/mv"), "[{\"src\":\"" + std::string(dir) + "/a.txt\",\"dest\":\"" + std::string(dir) + "/b.txt\"}]");
		CPPUNIT_ASSERT_EQUAL(200, r.status);
		CPPUNIT_ASSERT_EQUAL(std::string("0"), r.header("Content-Length"));
		CPPUNIT_ASSERT_EQUAL(std::string("through the proxy"), request(port(), "GET", proxied("/files/download?path=" + std::string(dir) + "/b.txt")).body);
		// Errors pass through with their status and body.
		r = request(port(), "GET", proxied("/files/info?path=/nope/nope"));
		CPPUNIT_ASSERT_EQUAL(404, r.status);
		CPPUNIT_ASSERT(r.body.find("FILE_NOT_FOUND") != std::string::npos);
		// /proxy/{port} alone is "/".
		CPPUNIT_ASSERT_EQUAL(404, request(port(), "GET", "/proxy/" + std::to_string(port())).status);
		CPPUNIT_ASSERT_EQUAL(200, request(port(), "GET", proxied("/ping")).status);
		request(port(), "DELETE", "/directories?path=" + std::string(dir));
	}

	void testProxySseIsNotBuffered()
	{
		std::chrono::steady_clock::time_point first, second;
		auto start = std::chrono::steady_clock::now();
		HttpResult r = request(port(), "POST", proxied("/command"), "{\"command\":\"echo first; sleep 1; echo second\"}", {},
			[&](const std::string& soFar) {
				if (first == std::chrono::steady_clock::time_point() && soFar.find("first") != std::string::npos) first = std::chrono::steady_clock::now();
				if (second == std::chrono::steady_clock::time_point() && soFar.find("second") != std::string::npos) second = std::chrono::steady_clock::now();
			});
		CPPUNIT_ASSERT_EQUAL(200, r.status);
		CPPUNIT_ASSERT(first - start < std::chrono::milliseconds(500));
		CPPUNIT_ASSERT_MESSAGE("events arrive one by one", second - first > std::chrono::milliseconds(800));
		auto events = withoutPings(sseEvents(r.body));
		CPPUNIT_ASSERT_EQUAL(std::size_t(4), events.size());
		CPPUNIT_ASSERT(events[3].find("execution_complete") != std::string::npos);
	}

	void testProxyUploadAndRange()
	{
		char dir[] = "/tmp/execd-proxy-XXXXXX";
		CPPUNIT_ASSERT(::mkdtemp(dir));
		std::string data(100 << 20, '\0');
		for (std::size_t i = 0; i < data.size(); i += 4096) data[i] = static_cast<char>(i >> 12);
		std::string target = std::string(dir) + "/big.bin";
		std::string body = "--B0undary\r\nContent-Disposition: form-data; name=\"metadata\"; filename=\"metadata\"\r\n\r\n{\"path\":\"" + target +
			"\"}\r\n--B0undary\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.bin\"\r\n\r\n" + data + "\r\n--B0undary--\r\n";
		HttpResult r = request(port(), "POST", proxied("/files/upload"), body, {{"Content-Type", "multipart/form-data; boundary=B0undary"}});
		CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, 200, r.status);
		r = request(port(), "GET", proxied("/files/download?path=" + target));
		CPPUNIT_ASSERT_EQUAL(sha256(data), sha256(r.body));
		r = request(port(), "GET", proxied("/files/download?path=" + target), "", {{"Range", "bytes=4096-8191"}});
		CPPUNIT_ASSERT_EQUAL(206, r.status);
		CPPUNIT_ASSERT_EQUAL(std::string("bytes 4096-8191/104857600"), r.header("Content-Range"));
		CPPUNIT_ASSERT_EQUAL(data.substr(4096, 4096), r.body);
		// A chunked upload through the proxy.
		std::string small = "--B0undary\r\nContent-Disposition: form-data; name=\"metadata\"; filename=\"metadata\"\r\n\r\n{\"path\":\"" +
			std::string(dir) + "/small.txt\"}\r\n--B0undary\r\nContent-Disposition: form-data; name=\"file\"; filename=\"s\"\r\n\r\nchunked!\r\n--B0undary--\r\n";
		std::ostringstream chunked;
		for (std::size_t at = 0; at < small.size(); at += 50)
		{
			std::string piece = small.substr(at, 50);
			chunked << std::hex << piece.size() << "\r\n" << piece << "\r\n";
		}
		chunked << "0\r\n\r\n";
		r = rawRequest(port(), "POST " + proxied("/files/upload") + " HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
			"Content-Type: multipart/form-data; boundary=B0undary\r\n\r\n" + chunked.str());
		CPPUNIT_ASSERT_EQUAL_MESSAGE(r.raw, 200, r.status);
		CPPUNIT_ASSERT_EQUAL(std::string("chunked!"), request(port(), "GET", "/files/download?path=" + std::string(dir) + "/small.txt").body);
		request(port(), "DELETE", "/directories?path=" + std::string(dir));
	}

	void testProxyWebSocket()
	{
		EchoServer echo;
		int echoPort = echo.port();
		Poco::Net::HTTPClientSession session("127.0.0.1", static_cast<Poco::UInt16>(port()));
		Poco::Net::HTTPRequest req(Poco::Net::HTTPRequest::HTTP_GET, "/proxy/" + std::to_string(echoPort) + "/echo", Poco::Net::HTTPMessage::HTTP_1_1);
		Poco::Net::HTTPResponse resp;
		Poco::Net::WebSocket ws(session, req, resp);
		ws.setReceiveTimeout(Poco::Timespan(5, 0));
		// One Connection header: two ("Upgrade, Upgrade" when joined) fail
		// strict clients such as undici's WebSocket.
		int connectionHeaders = 0;
		for (const auto& h: resp)
			connectionHeaders += Poco::icompare(h.first, "Connection") == 0;
		CPPUNIT_ASSERT_EQUAL(1, connectionHeaders);
		for (const std::string& text: {std::string("hello"), std::string(70000, 'w'), std::string("bye")})
		{
			ws.sendFrame(text.data(), static_cast<int>(text.size()), Poco::Net::WebSocket::FRAME_TEXT);
			std::string got;
			int flags = 0;
			do
			{
				Poco::Buffer<char> buffer(0);
				ws.receiveFrame(buffer, flags);
				got.append(buffer.begin(), buffer.size());
			}
			while (!(flags & Poco::Net::WebSocket::FRAME_FLAG_FIN));
			CPPUNIT_ASSERT_EQUAL(text.size(), got.size());
			CPPUNIT_ASSERT(text == got);
		}
		ws.shutdown();
	}

	void testProxyBadPorts()
	{
		for (const char* bad: {"/proxy/abc/", "/proxy/0/", "/proxy/70000/", "/proxy/-1/x", "/proxy/99999999999/"})
		{
			HttpResult r = request(port(), "GET", bad);
			CPPUNIT_ASSERT_EQUAL_MESSAGE(bad, 400, r.status);
			CPPUNIT_ASSERT_EQUAL(std::string("INVALID_REQUEST_BODY"), object(r.body)->getValue<std::string>("code"));
		}
		Poco::Net::ServerSocket unused(Poco::Net::SocketAddress("127.0.0.1", 0));
		int closed = unused.address().port();
		unused.close();
		HttpResult r = request(port(), "GET", "/proxy/" + std::to_string(closed) + "/x");
		CPPUNIT_ASSERT_EQUAL(502, r.status);
		CPPUNIT_ASSERT(r.body.find("cannot connect") != std::string::npos);
		r = request(port(), "GET", "/proxy");
		CPPUNIT_ASSERT_EQUAL(400, r.status);
		CPPUNIT_ASSERT(r.body.find("port is required") != std::string::npos);
	}

	void testProxyWithToken()
	{
		ExecdProcess::Options o;
		o.testModules = false;
		o.properties = {"execd.modules.load = files, proxy"};
		o.args = {"--access-token", "s3cret"};
		ExecdProcess secured(o);
		std::string path = "/proxy/" + std::to_string(secured.port()) + "/ping";
		CPPUNIT_ASSERT_EQUAL(401, request(secured.port(), "GET", path).status);
		// The token is checked on both hops, so it must be forwarded.
		CPPUNIT_ASSERT_EQUAL(200, request(secured.port(), "GET", path, "", {{"X-EXECD-ACCESS-TOKEN", "s3cret"}}).status);
	}
};


CPPUNIT_TEST_SUITE_REGISTRATION(IntegrationMetricsProxyTest);
