// HTTP hygiene (RFC 9112) and crowds of connections, against the real execd binary:
// body framing that could smuggle a request, versions, HTTP/1.0 clients, bodies
// that never arrive, connection caps, and idle or slow-loris crowds that must not
// hold threads.

#include "ExecdProcess.h"
#include "Poco/Net/SocketAddress.h"
#include "Poco/Net/StreamSocket.h"
#include <cppunit/extensions/HelperMacros.h>
#include <fstream>
#include <memory>
#include <sstream>
#include <thread>


using namespace execd::test;


namespace {


ExecdProcess::Options probeOptions(const std::vector<std::string>& extra = {})
{
	return ExecdProcess::probe(extra);
}


using Clock = std::chrono::steady_clock;


long long millisSince(Clock::time_point start)
{
	return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();
}


std::size_t count(const std::string& text, const std::string& what)
{
	std::size_t n = 0;
	for (std::size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
	return n;
}


int threadsOf(pid_t pid)
{
	std::ifstream in("/proc/" + std::to_string(pid) + "/status");
	std::string line;
	while (std::getline(in, line))
	{
		if (line.rfind("Threads:", 0) == 0) return std::stoi(line.substr(8));
	}
	return -1;
}


std::unique_ptr<Poco::Net::StreamSocket> open(int port)
{
	auto s = std::make_unique<Poco::Net::StreamSocket>();
	s->connect(Poco::Net::SocketAddress("127.0.0.1", static_cast<Poco::UInt16>(port)));
	s->setReceiveTimeout(Poco::Timespan(10, 0));
	return s;
}


std::string receiveSome(Poco::Net::StreamSocket& s)
{
	char buffer[4096];
	int n = s.receiveBytes(buffer, sizeof(buffer));
	return n > 0 ? std::string(buffer, static_cast<std::size_t>(n)) : std::string();
}


// A request whose answer must be one error and a closed connection, at once.
void assertRejectedAndClosed(int port, const std::string& bytes, int status, const std::string& fragment)
{
	auto start = Clock::now();
	HttpResult r = rawRequest(port, bytes, std::chrono::seconds(10), true);
	CPPUNIT_ASSERT_EQUAL_MESSAGE(bytes, status, r.status);
	CPPUNIT_ASSERT_MESSAGE(r.raw, r.body.find(fragment) != std::string::npos);
	CPPUNIT_ASSERT_EQUAL_MESSAGE(r.raw, std::size_t(1), count(r.raw, "HTTP/1."));
	CPPUNIT_ASSERT_MESSAGE(r.raw, r.header("Connection") == "Close" || r.header("Connection") == "close");
	CPPUNIT_ASSERT_MESSAGE(std::to_string(millisSince(start)) + " ms", millisSince(start) < 3000);
}


} // namespace


class IntegrationHttpTest: public CppUnit::TestFixture
{
	CPPUNIT_TEST_SUITE(IntegrationHttpTest);
	CPPUNIT_TEST(testSmuggledRequestIsRejected);
	CPPUNIT_TEST(testMalformedContentLengthIsRejected);
	CPPUNIT_TEST(testEqualContentLengthsAreAccepted);
	CPPUNIT_TEST(testTransferCodingsOtherThanChunked);
	CPPUNIT_TEST(testUnsupportedVersionIs505);
	CPPUNIT_TEST(testHttp10StreamIsNotChunked);
	CPPUNIT_TEST(testHttp10KeepAlive);
	CPPUNIT_TEST(testUnreadBodyIsNotWaitedFor);
	CPPUNIT_TEST(testExpectContinueWithoutBodyIsNotWaitedFor);
	CPPUNIT_TEST(testBodyThatNeverArrivesIs408);
	CPPUNIT_TEST(testPipelinedRequests);
	CPPUNIT_TEST(testHeadSizeLimit);
	CPPUNIT_TEST(testHeaderLimitsAtTheBoundary);
	CPPUNIT_TEST(testJsonLimitsAtTheBoundary);
	CPPUNIT_TEST(testIdleConnectionIsClosedAfterKeepAlive);
	CPPUNIT_TEST(testPerPeerConnectionLimit);
	CPPUNIT_TEST(testGlobalConnectionLimit);
	CPPUNIT_TEST(testCrowdHoldsNoThreads);
	CPPUNIT_TEST_SUITE_END();

public:
	void setUp() override
	{
		ExecdProcess::keep(_pExecd, probeOptions({"execd.http.requestTimeoutMillis = 1500"}));
	}

	void testSmuggledRequestIsRejected()
	{
		// Both framings: a proxy that reads Content-Length and one that reads the
		// chunks disagree on where the body ends, so the trailing request must
		// never be served.
		assertRejectedAndClosed(port(),
			"POST /code HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n"
			"0\r\n\r\nGET /ping HTTP/1.1\r\nHost: x\r\n\r\n",
			400, "both Transfer-Encoding and Content-Length");
		assertRejectedAndClosed(port(),
			"POST /code HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 0\r\n\r\n"
			"0\r\n\r\nGET /ping HTTP/1.1\r\nHost: x\r\n\r\n",
			400, "both Transfer-Encoding and Content-Length");
	}

	void testMalformedContentLengthIsRejected()
	{
		for (const std::string& value: std::vector<std::string>{"+18", "-1", "0x12", "1 8", "18a", "", "1234567890123456789", "5, 6"})
		{
			assertRejectedAndClosed(port(),
				"POST /code HTTP/1.1\r\nHost: x\r\nContent-Length: " + value + "\r\n\r\n{\"code\":\"1\"}      ",
				400, "Content-Length");
		}
		assertRejectedAndClosed(port(),
			"POST /code HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!",
			400, "conflicting Content-Length");
	}

	void testEqualContentLengthsAreAccepted()
	{
		// RFC 9110 §8.6: identical values may be taken as one.
		std::string body = "{\"code\":\"1\",\"context\":{\"language\":\"sleepy\"}}";
		std::string n = std::to_string(body.size());
		HttpResult r = rawRequest(port(), "POST /code HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: " + n
			+ "\r\nContent-Length: " + n + "\r\n\r\n" + body, std::chrono::seconds(10), true);
		CPPUNIT_ASSERT_EQUAL_MESSAGE(r.raw, 200, r.status);
		CPPUNIT_ASSERT(r.body.find("execution_complete") != std::string::npos);
		// 18 digits is the longest accepted value.
		r = rawRequest(port(), "POST /code HTTP/1.1\r\nHost: x\r\nContent-Length: 000000000000000005\r\n\r\n{\"a\":",
			std::chrono::seconds(10));
		CPPUNIT_ASSERT_EQUAL_MESSAGE(r.raw, 400, r.status);
		CPPUNIT_ASSERT_MESSAGE(r.raw, r.body.find("Content-Length") == std::string::npos);
	}

	void testTransferCodingsOtherThanChunked()
	{
		assertRejectedAndClosed(port(),
			"POST /code HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n", 501, "not supported");
		assertRejectedAndClosed(port(),
			"POST /code HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, gzip\r\n\r\n0\r\n\r\n", 400, "chunked");
		assertRejectedAndClosed(port(),
			"POST /code HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400, "chunked");
		assertRejectedAndClosed(port(),
			"POST /code HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: identity\r\n\r\n", 400, "chunked");
		// Case-insensitive, as the RFC says.
		std::string body = "{\"code\":\"1\",\"context\":{\"language\":\"sleepy\"}}";
		char size[16];
		std::snprintf(size, sizeof(size), "%zx", body.size());
		HttpResult r = rawRequest(port(), "POST /code HTTP/1.1\r\nHost: x\r\nConnection: close\r\nTransfer-Encoding: Chunked\r\n\r\n"
			+ std::string(size) + "\r\n" + body + "\r\n0\r\n\r\n", std::chrono::seconds(10), true);
		CPPUNIT_ASSERT_EQUAL_MESSAGE(r.raw, 200, r.status);
	}

	void testUnsupportedVersionIs505()
	{
		for (const std::string& version: std::vector<std::string>{"HTTP/9.9", "HTTP/2.0", "HTTP/1.2", "HTTP/0.9"})
		{
			auto start = Clock::now();
			HttpResult r = rawRequest(port(), "GET /ping " + version + "\r\nHost: x\r\n\r\n", std::chrono::seconds(10), true);
			CPPUNIT_ASSERT_EQUAL_MESSAGE(r.raw, 505, r.status);
			CPPUNIT_ASSERT_MESSAGE(r.raw, r.raw.rfind("HTTP/1.1 505 ", 0) == 0);   // never the client's version echoed
			CPPUNIT_ASSERT(r.body.find("\"code\":\"UNSUPPORTED_HTTP_VERSION\"") != std::string::npos);
			CPPUNIT_ASSERT(millisSince(start) < 3000);
		}
		HttpResult r = rawRequest(port(), "GET /ping HTTX/1.1\r\nHost: x\r\n\r\n", std::chrono::seconds(10), true);
		CPPUNIT_ASSERT_EQUAL_MESSAGE(r.raw, 400, r.status);
	}

	void testHttp10StreamIsNotChunked()
	{
		std::string body = "{\"code\":\"50\",\"context\":{\"language\":\"sleepy\"}}";
		HttpResult r = rawRequest(port(), "POST /code HTTP/1.0\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body,
			std::chrono::seconds(10), true);
		CPPUNIT_ASSERT_MESSAGE(r.raw, r.raw.rfind("HTTP/1.0 200 OK\r\n", 0) == 0);
		CPPUNIT_ASSERT_MESSAGE(r.raw, !r.hasHeader("Transfer-Encoding"));
		CPPUNIT_ASSERT_MESSAGE(r.raw, !r.hasHeader("Content-Length"));
		CPPUNIT_ASSERT_EQUAL(std::string("text/event-stream"), r.header("Content-Type"));
		// Close-delimited: the events as they are, no chunk sizes between them.
		std::size_t bodyStart = r.raw.find("\r\n\r\n") + 4;
		CPPUNIT_ASSERT_MESSAGE(r.raw, r.raw.compare(bodyStart, 15, "{\"type\":\"init\",") == 0);
		CPPUNIT_ASSERT_MESSAGE(r.raw, r.raw.find("\"type\":\"execution_complete\"") != std::string::npos);
		CPPUNIT_ASSERT_MESSAGE(r.raw, r.raw.back() == '\n');
	}

	void testHttp10KeepAlive()
	{
		// A sized answer can keep a 1.0 connection open when the client asks.
		HttpResult r = rawRequest(port(), "GET /ping HTTP/1.0\r\nConnection: keep-alive\r\n\r\nGET /ping HTTP/1.0\r\n\r\n",
			std::chrono::seconds(10), true);
		CPPUNIT_ASSERT_EQUAL_MESSAGE(r.raw, std::size_t(2), count(r.raw, "HTTP/1.0 200 OK"));
	}

	void testUnreadBodyIsNotWaitedFor()
	{
		// 404, 405 and 401 are answered without reading the body; a body that has
		// not arrived is not waited for: the answer comes at once and the
		// connection closes.
		std::string partial = "Content-Length: 500\r\n\r\nabc";
		for (const std::string& line: std::vector<std::string>{"POST /nope HTTP/1.1\r\n", "PUT /ping HTTP/1.1\r\n"})
		{
			auto start = Clock::now();
			HttpResult r = rawRequest(port(), line + "Host: x\r\n" + partial, std::chrono::seconds(10), true);
			CPPUNIT_ASSERT_MESSAGE(r.raw, r.status == 404 || r.status == 405);
			CPPUNIT_ASSERT_MESSAGE(std::to_string(millisSince(start)) + " ms", millisSince(start) < 1000);
		}
		ExecdProcess secured([] { auto o = probeOptions(); o.args = {"--access-token", "s3cret"}; return o; }());
		auto start = Clock::now();
		HttpResult r = rawRequest(secured.port(), "POST /code HTTP/1.1\r\nHost: x\r\n" + partial, std::chrono::seconds(10), true);
		CPPUNIT_ASSERT_EQUAL_MESSAGE(r.raw, 401, r.status);
		CPPUNIT_ASSERT_MESSAGE(std::to_string(millisSince(start)) + " ms", millisSince(start) < 1000);
	}

	void testExpectContinueWithoutBodyIsNotWaitedFor()
	{
		auto start = Clock::now();
		HttpResult r = rawRequest(port(), "POST /nope HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\nExpect: 100-continue\r\n\r\n",
			std::chrono::seconds(10), true);
		CPPUNIT_ASSERT_EQUAL_MESSAGE(r.raw, 404, r.status);
		CPPUNIT_ASSERT_MESSAGE(r.raw, r.raw.find("100 Continue") == std::string::npos);
		CPPUNIT_ASSERT_MESSAGE(std::to_string(millisSince(start)) + " ms", millisSince(start) < 1000);
	}

	void testBodyThatNeverArrivesIs408()
	{
		// requestTimeoutMillis is 1500 in this suite.
		auto start = Clock::now();
		HttpResult r = rawRequest(port(), "POST /code HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{\"code\":", std::chrono::seconds(10), true);
		long long ms = millisSince(start);
		CPPUNIT_ASSERT_EQUAL_MESSAGE(r.raw, 408, r.status);
		CPPUNIT_ASSERT_MESSAGE(r.raw, r.body.find("\"code\":") != std::string::npos);
		CPPUNIT_ASSERT_MESSAGE(std::to_string(ms) + " ms", ms >= 1400 && ms < 4000);
	}

	void testPipelinedRequests()
	{
		std::string ping = "GET /ping HTTP/1.1\r\nHost: x\r\n\r\n";
		HttpResult r = rawRequest(port(), ping + ping + ping + "GET /ping HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
			std::chrono::seconds(10), true);
		CPPUNIT_ASSERT_EQUAL_MESSAGE(r.raw, std::size_t(4), count(r.raw, "HTTP/1.1 200 OK"));
	}

	void testHeadSizeLimit()
	{
		ExecdProcess small(probeOptions({"execd.http.maxHeadBytes = 2048"}));
		auto headOf = [](std::size_t size)
		{
			std::string start = "GET /ping HTTP/1.1\r\nHost: x\r\nX-Fill: ";
			std::string end = "\r\nConnection: close\r\n\r\n";
			return start + std::string(size - start.size() - end.size(), 'a') + end;
		};
		HttpResult r = rawRequest(small.port(), headOf(2048), std::chrono::seconds(10), true);
		CPPUNIT_ASSERT_EQUAL_MESSAGE(r.raw.substr(0, 200), 200, r.status);
		r = rawRequest(small.port(), headOf(2049), std::chrono::seconds(10), true);
		CPPUNIT_ASSERT_EQUAL_MESSAGE(r.raw.substr(0, 200), 431, r.status);
		CPPUNIT_ASSERT(r.body.find("exceeds 2048 bytes") != std::string::npos);
		// A head that never ends is cut off as soon as it is too long.
		auto start = Clock::now();
		r = rawRequest(small.port(), "GET /ping HTTP/1.1\r\nX-Fill: " + std::string(4000, 'a'), std::chrono::seconds(10), true);
		CPPUNIT_ASSERT_EQUAL_MESSAGE(r.raw.substr(0, 200), 431, r.status);
		CPPUNIT_ASSERT(millisSince(start) < 3000);
	}

	void testHeaderLimitsAtTheBoundary()
	{
		auto withFields = [](int count, std::size_t nameSize, std::size_t valueSize)
		{
			std::string head = "GET /ping HTTP/1.1\r\nConnection: close\r\n";   // one field already
			for (int i = 1; i < count; ++i) head += "X-" + std::to_string(i) + ": v\r\n";
			if (nameSize > 0) head += std::string(nameSize, 'n') + ": " + std::string(valueSize, 'v') + "\r\n";
			return head + "\r\n";
		};
		CPPUNIT_ASSERT_EQUAL(200, rawRequest(port(), withFields(100, 0, 0), std::chrono::seconds(10), true).status);
		CPPUNIT_ASSERT_EQUAL(431, rawRequest(port(), withFields(101, 0, 0), std::chrono::seconds(10), true).status);
		CPPUNIT_ASSERT_EQUAL(200, rawRequest(port(), withFields(1, 256, 8192), std::chrono::seconds(10), true).status);
		CPPUNIT_ASSERT_EQUAL(431, rawRequest(port(), withFields(1, 257, 10), std::chrono::seconds(10), true).status);
		CPPUNIT_ASSERT_EQUAL(431, rawRequest(port(), withFields(1, 10, 8193), std::chrono::seconds(10), true).status);
		auto withTarget = [](std::size_t size)
		{
			return "GET /ping?" + std::string(size - 6, 'q') + " HTTP/1.1\r\nConnection: close\r\n\r\n";
		};
		CPPUNIT_ASSERT_EQUAL(200, rawRequest(port(), withTarget(16384), std::chrono::seconds(10), true).status);
		CPPUNIT_ASSERT_EQUAL(400, rawRequest(port(), withTarget(16385), std::chrono::seconds(10), true).status);
	}

	void testJsonLimitsAtTheBoundary()
	{
		ExecdProcess small(probeOptions({"execd.http.maxJsonBodyBytes = 2048"}));
		auto bodyOf = [](std::size_t size)
		{
			std::string start = "{\"code\":\"1\",\"context\":{\"language\":\"sleepy\"},\"x\":\"";
			return start + std::string(size - start.size() - 2, 'x') + "\"}";
		};
		CPPUNIT_ASSERT_EQUAL(200, request(small.port(), "POST", "/code", bodyOf(2048)).status);
		HttpResult r = request(small.port(), "POST", "/code", bodyOf(2049));
		CPPUNIT_ASSERT_EQUAL(413, r.status);
		CPPUNIT_ASSERT(r.body.find("\"code\":\"PAYLOAD_TOO_LARGE\"") != std::string::npos);
		auto nested = [](int depth)
		{
			// The object itself is one level.
			return "{\"code\":\"1\",\"context\":{\"language\":\"sleepy\"},\"x\":" + std::string(static_cast<std::size_t>(depth - 1), '[')
				+ std::string(static_cast<std::size_t>(depth - 1), ']') + "}";
		};
		CPPUNIT_ASSERT_EQUAL(200, request(port(), "POST", "/code", nested(64)).status);
		r = request(port(), "POST", "/code", nested(65));
		CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, 400, r.status);
		CPPUNIT_ASSERT(r.body.find("\"code\":\"INVALID_REQUEST_BODY\"") != std::string::npos);
	}

	void testIdleConnectionIsClosedAfterKeepAlive()
	{
		ExecdProcess quick(probeOptions({"execd.http.keepAliveTimeoutMillis = 500"}));
		auto s = open(quick.port());
		std::string ping = "GET /ping HTTP/1.1\r\nHost: x\r\n\r\n";
		s->sendBytes(ping.data(), static_cast<int>(ping.size()));
		CPPUNIT_ASSERT(receiveSome(*s).rfind("HTTP/1.1 200 OK", 0) == 0);
		auto start = Clock::now();
		CPPUNIT_ASSERT_EQUAL(std::string(), receiveSome(*s));   // closed by execd
		long long ms = millisSince(start);
		CPPUNIT_ASSERT_MESSAGE(std::to_string(ms) + " ms", ms >= 400 && ms < 2500);
	}

	void testPerPeerConnectionLimit()
	{
		ExecdProcess capped(probeOptions({"execd.http.maxConnectionsPerPeer = 5"}));
		std::vector<std::unique_ptr<Poco::Net::StreamSocket>> held;
		std::string ping = "GET /ping HTTP/1.1\r\nHost: x\r\n\r\n";
		for (int i = 0; i < 5; ++i)   // at the limit: every one is served
		{
			held.push_back(open(capped.port()));
			held.back()->sendBytes(ping.data(), static_cast<int>(ping.size()));
			CPPUNIT_ASSERT(receiveSome(*held.back()).rfind("HTTP/1.1 200 OK", 0) == 0);
		}
		auto start = Clock::now();
		HttpResult r = rawRequest(capped.port(), ping, std::chrono::seconds(10), true);   // one past it
		CPPUNIT_ASSERT_EQUAL_MESSAGE(r.raw, 503, r.status);
		CPPUNIT_ASSERT(r.body.find("\"code\":\"TOO_MANY_CONNECTIONS\"") != std::string::npos);
		CPPUNIT_ASSERT(r.body.find("execd.http.maxConnectionsPerPeer") != std::string::npos);
		CPPUNIT_ASSERT(millisSince(start) < 1000);
		// Another address is not counted with them.
		Poco::Net::StreamSocket other;
		other.impl()->bind(Poco::Net::SocketAddress("127.0.0.2", 0), false);
		other.connect(Poco::Net::SocketAddress("127.0.0.1", static_cast<Poco::UInt16>(capped.port())));
		other.setReceiveTimeout(Poco::Timespan(10, 0));
		other.sendBytes(ping.data(), static_cast<int>(ping.size()));
		CPPUNIT_ASSERT(receiveSome(other).rfind("HTTP/1.1 200 OK", 0) == 0);
		// A closed connection frees its place.
		held.pop_back();
		bool served = false;
		for (int i = 0; i < 50 && !served; ++i)
		{
			served = rawRequest(capped.port(), ping, std::chrono::seconds(10)).status == 200;
			if (!served) std::this_thread::sleep_for(std::chrono::milliseconds(20));
		}
		CPPUNIT_ASSERT(served);
	}

	void testGlobalConnectionLimit()
	{
		ExecdProcess capped(probeOptions({"execd.http.maxConnections = 16"}));
		std::vector<std::unique_ptr<Poco::Net::StreamSocket>> held;
		std::string ping = "GET /ping HTTP/1.1\r\nHost: x\r\n\r\n";
		for (int i = 0; i < 16; ++i)
		{
			held.push_back(open(capped.port()));
			held.back()->sendBytes(ping.data(), static_cast<int>(ping.size()));
			CPPUNIT_ASSERT(receiveSome(*held.back()).rfind("HTTP/1.1 200 OK", 0) == 0);
		}
		HttpResult r = rawRequest(capped.port(), ping, std::chrono::seconds(10), true);
		CPPUNIT_ASSERT_EQUAL_MESSAGE(r.raw, 503, r.status);
		CPPUNIT_ASSERT(r.body.find("execd.http.maxConnections") != std::string::npos);
	}

	void testCrowdHoldsNoThreads()
	{
		// 1,500 idle keep-alive connections and 500 slow-loris heads: none of them
		// holds a thread (the old design held one each), and /ping stays quick.
		ExecdProcess crowd(probeOptions());
		std::vector<std::unique_ptr<Poco::Net::StreamSocket>> held;
		std::string ping = "GET /ping HTTP/1.1\r\nHost: x\r\n\r\n";
		for (int i = 0; i < 1500; ++i)
		{
			held.push_back(open(crowd.port()));
			held.back()->sendBytes(ping.data(), static_cast<int>(ping.size()));
		}
		for (auto& s: held)
			CPPUNIT_ASSERT(receiveSome(*s).rfind("HTTP/1.1 200 OK", 0) == 0);
		std::string partial = "GET /ping HTTP/1.1\r\nHost: x\r\nX-Slow: ";
		for (int i = 0; i < 500; ++i)
		{
			held.push_back(open(crowd.port()));
			held.back()->sendBytes(partial.data(), static_cast<int>(partial.size()));
		}
		std::this_thread::sleep_for(std::chrono::milliseconds(300));
		long long slowest = 0;
		for (int i = 0; i < 20; ++i)
		{
			auto start = Clock::now();
			CPPUNIT_ASSERT_EQUAL(200, rawRequest(crowd.port(), ping, std::chrono::seconds(10)).status);
			slowest = std::max(slowest, millisSince(start));
		}
		int threads = threadsOf(crowd.pid());
		CPPUNIT_ASSERT_MESSAGE(std::to_string(threads) + " threads", threads > 0 && threads <= 64);
		CPPUNIT_ASSERT_MESSAGE(std::to_string(slowest) + " ms", slowest < 500);
	}

private:
	int port() const
	{
		return _pExecd->port();
	}

	static std::unique_ptr<ExecdProcess> _pExecd;
};


std::unique_ptr<ExecdProcess> IntegrationHttpTest::_pExecd;


CPPUNIT_TEST_SUITE_REGISTRATION(IntegrationHttpTest);
