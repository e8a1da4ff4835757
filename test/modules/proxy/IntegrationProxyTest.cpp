// The proxy module with request bodies that do not arrive whole: cut off in a
// chunk, short of their Content-Length, or stalled, against an upstream that
// records what reaches it.

#include "ExecdProcess.h"
#include "Poco/String.h"
#include <arpa/inet.h>
#include <atomic>
#include <condition_variable>
#include <cppunit/extensions/HelperMacros.h>
#include <functional>
#include <mutex>
#include <netinet/in.h>
#include <poll.h>
#include <stdexcept>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>


using namespace execd::test;


namespace {


int listenOrConnect(int port, bool listen)
{
	int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in addr{};
	addr.sin_family = AF_INET;
	addr.sin_port = htons(static_cast<uint16_t>(port));
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	auto* pAddr = reinterpret_cast<struct sockaddr*>(&addr);
	bool ok = listen ? ::bind(fd, pAddr, sizeof(addr)) == 0 && ::listen(fd, 8) == 0 : ::connect(fd, pAddr, sizeof(addr)) == 0;
	if (!ok) throw std::runtime_error("socket setup failed");
	return fd;
}


void sendAll(int fd, const std::string& bytes)
{
	if (::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(bytes.size()))
		throw std::runtime_error("send failed");
}


std::string readAll(int fd, std::chrono::milliseconds timeout)
	// What arrives until the peer closes, or until the timeout.
{
	std::string received;
	auto deadline = std::chrono::steady_clock::now() + timeout;
	char buffer[4096];
	for (;;)
	{
		int left = static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count());
		struct pollfd p{fd, POLLIN, 0};
		if (left <= 0 || ::poll(&p, 1, left) <= 0) return received;
		ssize_t n = ::recv(fd, buffer, sizeof(buffer), 0);
		if (n <= 0) return received;
		received.append(buffer, static_cast<std::size_t>(n));
	}
}


class RecordingUpstream
	/// A one-connection-at-a-time HTTP server on a free port that records what it
	/// receives and when the connection ends; it answers "ok" once `complete`
	/// says the request has arrived whole, and never otherwise.
{
public:
	using Complete = std::function<bool(const std::string&)>;

	explicit RecordingUpstream(Complete complete):
		_complete(std::move(complete)),
		_listener(listenOrConnect(0, true))
	{
		struct sockaddr_in addr{};
		socklen_t len = sizeof(addr);
		::getsockname(_listener, reinterpret_cast<struct sockaddr*>(&addr), &len);
		_port = ntohs(addr.sin_port);
		_thread = std::thread([this] { serve(); });
	}

	~RecordingUpstream()
	{
		_stop = true;
		_thread.join();
		::close(_listener);
	}

	int port() const
	{
		return _port;
	}

	bool waitClosed(std::chrono::milliseconds timeout, std::string& received)
		/// True once a connection was closed by execd (not by us) within timeout.
	{
		std::unique_lock<std::mutex> lock(_mutex);
		bool closed = _changed.wait_for(lock, timeout, [this] { return _closed; });
		received = _received;
		return closed;
	}

private:
	void serve()
	{
		while (!_stop)
		{
			struct pollfd p{_listener, POLLIN, 0};
			if (::poll(&p, 1, 100) <= 0) continue;
			int fd = ::accept4(_listener, nullptr, nullptr, SOCK_CLOEXEC);
			if (fd < 0) continue;
			char buffer[4096];
			bool answered = false;
			while (!_stop)
			{
				struct pollfd c{fd, POLLIN, 0};
				if (::poll(&c, 1, 100) <= 0) continue;
				ssize_t n = ::recv(fd, buffer, sizeof(buffer), 0);
				std::lock_guard<std::mutex> lock(_mutex);
				if (n <= 0)
				{
					_closed = true;
					_changed.notify_all();
					break;
				}
				_received.append(buffer, static_cast<std::size_t>(n));
				if (!answered && _complete(_received))
				{
					answered = true;
					sendAll(fd, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
				}
			}
			::close(fd);
		}
	}

	Complete _complete;
	int _listener;
	int _port = 0;
	std::thread _thread;
	std::atomic<bool> _stop{false};
	std::mutex _mutex;
	std::condition_variable _changed;
	std::string _received;
	bool _closed = false;
};


bool endsChunked(const std::string& received)
{
	return received.size() >= 5 && received.compare(received.size() - 5, 5, "0\r\n\r\n") == 0;
}


bool contains(const std::string& haystack, const std::string& needle)
{
	return haystack.find(needle) != std::string::npos;
}


ExecdProcess::Options proxyOptions(const std::string& bodyTimeout = "1000")
{
	ExecdProcess::Options o;
	o.testModules = false;
	o.properties = {"execd.modules.load = proxy", "module.proxy.bodyTimeoutMillis = " + bodyTimeout};
	return o;
}


std::string head(int upstreamPort, const std::string& framing)
{
	return "POST /proxy/" + std::to_string(upstreamPort) + "/upload HTTP/1.1\r\nHost: localhost\r\n" + framing + "\r\n\r\n";
}


} // namespace


class IntegrationProxyTest: public CppUnit::TestFixture
{
	CPPUNIT_TEST_SUITE(IntegrationProxyTest);
	CPPUNIT_TEST(testChunkedBodyCutOffAbortsTheUpstreamRequest);
	CPPUNIT_TEST(testShortBodyOfAClientThatLeftAbortsAtOnce);
	CPPUNIT_TEST(testStalledBodyAbortsWithinTheBodyTimeout);
	CPPUNIT_TEST(testPausesShorterThanTheBodyTimeoutPass);
	CPPUNIT_TEST(testBodyTimeoutKey);
	CPPUNIT_TEST(testAccessTokenReachesOnlyExecd);
	CPPUNIT_TEST_SUITE_END();

public:
	void testChunkedBodyCutOffAbortsTheUpstreamRequest()
	{
		ExecdProcess execd(proxyOptions());
		// Inside a chunk, and between two chunks: the upstream must never see the
		// terminating chunk, and its connection must end.
		for (const std::string& body: {std::string("5\r\nhello\r\n7\r\npartial\r\n8\r\nabc"), std::string("5\r\nhello\r\n7\r\npartial\r\n")})
		{
			RecordingUpstream upstream(endsChunked);
			int fd = listenOrConnect(execd.port(), false);
			sendAll(fd, head(upstream.port(), "Transfer-Encoding: chunked") + body);
			std::this_thread::sleep_for(std::chrono::milliseconds(200));
			::close(fd);
			std::string received;
			CPPUNIT_ASSERT_MESSAGE(received, upstream.waitClosed(std::chrono::seconds(5), received));
			CPPUNIT_ASSERT_MESSAGE(received, contains(received, "hello") && contains(received, "partial"));
			CPPUNIT_ASSERT_MESSAGE(received, !contains(received, "0\r\n\r\n"));
		}
	}

	void testShortBodyOfAClientThatLeftAbortsAtOnce()
	{
		ExecdProcess execd(proxyOptions("60000"));
		RecordingUpstream upstream([](const std::string& r) { return contains(r, "\r\n\r\n0123456789"); });
		int fd = listenOrConnect(execd.port(), false);
		sendAll(fd, head(upstream.port(), "Content-Length: 10") + "01234");
		std::this_thread::sleep_for(std::chrono::milliseconds(200));
		::close(fd);
		std::string received;
		auto start = std::chrono::steady_clock::now();
		CPPUNIT_ASSERT(upstream.waitClosed(std::chrono::seconds(3), received));
		CPPUNIT_ASSERT(std::chrono::steady_clock::now() - start < std::chrono::seconds(2));
		CPPUNIT_ASSERT(contains(received, "Content-Length: 10\r\n"));
		CPPUNIT_ASSERT_EQUAL(std::string("01234"), received.substr(received.find("\r\n\r\n") + 4));
	}

	void testStalledBodyAbortsWithinTheBodyTimeout()
	{
		// module.proxy.bodyTimeoutMillis = 1000: the client stays connected but
		// sends no more of its body.
		ExecdProcess execd(proxyOptions());
		for (const std::string& framing: {std::string("Content-Length: 10"), std::string("Transfer-Encoding: chunked")})
		{
			RecordingUpstream upstream([](const std::string&) { return false; });
			int fd = listenOrConnect(execd.port(), false);
			auto start = std::chrono::steady_clock::now();
			sendAll(fd, head(upstream.port(), framing) + (framing[0] == 'C' ? "01234" : "5\r\n01234\r\n"));
			std::string answer = readAll(fd, std::chrono::seconds(5));
			auto took = std::chrono::steady_clock::now() - start;
			CPPUNIT_ASSERT_MESSAGE(answer, answer.compare(0, 12, "HTTP/1.1 408") == 0);
			CPPUNIT_ASSERT_MESSAGE(answer, contains(answer, "\r\nConnection: Close\r\n"));
			CPPUNIT_ASSERT(contains(answer, "\r\n\r\n{\"code\":\"INVALID_REQUEST_BODY\",\"message\":\"request body not received in time\"}"));
			CPPUNIT_ASSERT(took >= std::chrono::milliseconds(900) && took < std::chrono::seconds(3));
			std::string received;
			CPPUNIT_ASSERT(upstream.waitClosed(std::chrono::seconds(2), received));
			CPPUNIT_ASSERT_MESSAGE(received, !contains(received, "0\r\n\r\n"));
			::close(fd);
		}
	}

	void testPausesShorterThanTheBodyTimeoutPass()
	{
		// The timeout bounds each wait, not the whole body: two pauses of 600 ms
		// under a timeout of 1000 ms are fine, and a complete body is passed on
		// with its terminating chunk on a connection that stays open.
		ExecdProcess execd(proxyOptions());
		struct Case
		{
			std::string framing;
			std::vector<std::string> parts;
			RecordingUpstream::Complete complete;
		};
		for (const Case& c: std::vector<Case>{
			{"Content-Length: 10", {"012", "3456", "789"}, [](const std::string& r) { return contains(r, "\r\n\r\n0123456789"); }},
			{"Transfer-Encoding: chunked", {"3\r\n012\r\n", "4\r\n3456\r\n", "0\r\n\r\n"}, endsChunked},
		})
		{
			RecordingUpstream upstream(c.complete);
			int fd = listenOrConnect(execd.port(), false);
			sendAll(fd, head(upstream.port(), c.framing));
			for (const std::string& part: c.parts)
			{
				sendAll(fd, part);
				std::this_thread::sleep_for(std::chrono::milliseconds(600));
			}
			std::string answer = readAll(fd, std::chrono::milliseconds(1500));
			CPPUNIT_ASSERT_MESSAGE(answer, answer.compare(0, 12, "HTTP/1.1 200") == 0);
			CPPUNIT_ASSERT_MESSAGE(answer, answer.size() > 2 && answer.compare(answer.size() - 4, 4, "\r\nok") == 0);
			::close(fd);
		}
	}

	void testAccessTokenReachesOnlyExecd()
	{
		ExecdProcess::Options o = proxyOptions();
		o.args = {"--access-token", "s3cret-proxy-7"};
		ExecdProcess execd(o);
		RecordingUpstream upstream([](const std::string& r) { return contains(r, "\r\n\r\n"); });
		HttpResult r = request(execd.port(), "GET", "/proxy/" + std::to_string(upstream.port()) + "/echo", "",
			{{"X-EXECD-ACCESS-TOKEN", "s3cret-proxy-7"}, {"X-Other", "kept"}});
		CPPUNIT_ASSERT_EQUAL(200, r.status);
		std::string received;
		upstream.waitClosed(std::chrono::milliseconds(200), received);
		CPPUNIT_ASSERT_MESSAGE(received, contains(received, "X-Other: kept\r\n"));
		CPPUNIT_ASSERT_MESSAGE(received, !contains(received, "s3cret-proxy-7"));
		CPPUNIT_ASSERT_MESSAGE(received, !contains(Poco::toLower(received), "x-execd-access-token"));
		// execd through its own proxy still gets it: the token is checked on both hops.
		std::string self = "/proxy/" + std::to_string(execd.port()) + "/ping";
		CPPUNIT_ASSERT_EQUAL(200, request(execd.port(), "GET", self, "", {{"X-EXECD-ACCESS-TOKEN", "s3cret-proxy-7"}}).status);
	}

	void testBodyTimeoutKey()
	{
		for (std::string value: {"99", "2h", "soon"})
		{
			std::string output;
			int status = ExecdProcess::runToExit(proxyOptions(value), output);
			CPPUNIT_ASSERT_EQUAL_MESSAGE(output, 1, status);
			CPPUNIT_ASSERT_MESSAGE(output, contains(output, "module.proxy.bodyTimeoutMillis"));
		}
		ExecdProcess execd(proxyOptions("100"));   // the smallest allowed
		CPPUNIT_ASSERT_EQUAL(404, request(execd.port(), "GET", "/nowhere").status);
	}
};


CPPUNIT_TEST_SUITE_REGISTRATION(IntegrationProxyTest);
