#include "ExecdProcess.h"
#include "execd/SseWriter.h"
#include "execd/StreamRegistry.h"
#include "Poco/Exception.h"
#include "Poco/JSON/Object.h"
#include "Poco/Net/HTTPRequestHandler.h"
#include "Poco/Net/HTTPRequestHandlerFactory.h"
#include "Poco/Net/HTTPServer.h"
#include "Poco/Net/HTTPServerParams.h"
#include "Poco/Net/ServerSocket.h"
#include "Poco/Net/SocketAddress.h"
#include "Poco/Net/StreamSocket.h"
#include "Poco/String.h"
#include <cppunit/extensions/HelperMacros.h>
#include <chrono>
#include <functional>
#include <future>
#include <string>
#include <thread>
#include <vector>


using execd::SseWriter;
using execd::StreamEvent;
using execd::StreamRegistry;


namespace {


// Every wait in this suite ends after this long, far beyond what the step takes.
const std::chrono::seconds DEADLINE(10);

const std::string REQUEST = "POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n";

const Poco::Int64 T0 = 1767607200000;


const std::string INIT = "{\"type\":\"init\",\"text\":\"abc\",\"timestamp\":1767607200000}\n\n";
const std::string HELLO = "{\"type\":\"stdout\",\"text\":\"hello\\n\",\"timestamp\":1767607200001}\n\n";
const std::string RESULT = "{\"type\":\"result\",\"timestamp\":1767607200002,\"results\":{\"text\":\"42\"}}\n\n";
const std::string COMPLETE = "{\"type\":\"execution_complete\",\"execution_time\":12,\"timestamp\":1767607200003}\n\n";


using Script = std::function<void(Poco::Net::HTTPServerRequest&, Poco::Net::HTTPServerResponse&)>;


class ScriptHandler: public Poco::Net::HTTPRequestHandler
{
public:
	explicit ScriptHandler(const Script& script):
		_script(script)
	{
	}

	void handleRequest(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response) override
	{
		_script(request, response);
	}

private:
	const Script& _script;
};


class ScriptFactory: public Poco::Net::HTTPRequestHandlerFactory
{
public:
	explicit ScriptFactory(Script script):
		_script(std::move(script))
	{
	}

	Poco::Net::HTTPRequestHandler* createRequestHandler(const Poco::Net::HTTPServerRequest&) override
	{
		return new ScriptHandler(_script);
	}

private:
	Script _script;
};


class ScriptedServer
	/// An HTTPServer on 127.0.0.1, port 0, that answers every request with the script.
	/// Declare it after whatever the script captures: it is stopped first.
{
public:
	explicit ScriptedServer(Script script):
		_server(new ScriptFactory(std::move(script)),
			Poco::Net::ServerSocket(Poco::Net::SocketAddress("127.0.0.1", 0)), new Poco::Net::HTTPServerParams)
	{
		_server.start();
	}

	~ScriptedServer()
	{
		_server.stopAll(true);
	}

	int port() const
	{
		return _server.port();
	}

	execd::test::HttpResult post(const std::string& headers = "") const
	{
		std::string bytes = REQUEST;
		bytes.insert(bytes.size() - 2, headers);
		return execd::test::rawRequest(port(), bytes, DEADLINE);
	}

private:
	Poco::Net::HTTPServer _server;
};


StreamEvent at(StreamEvent event, Poco::Int64 timestamp)
{
	event.timestamp = timestamp;
	return event;
}


std::vector<std::string> chunksOf(const std::string& rawBody, bool& terminated)
	/// The chunks of a chunked body as sent; terminated when it ends with the
	/// 0-chunk and nothing follows it.
{
	std::vector<std::string> chunks;
	terminated = false;
	std::size_t pos = 0;
	while (pos < rawBody.size())
	{
		std::size_t eol = rawBody.find("\r\n", pos);
		if (eol == std::string::npos || eol == pos) break;
		std::size_t size = std::stoul(rawBody.substr(pos, eol - pos), nullptr, 16);
		pos = eol + 2;
		if (size == 0)
		{
			terminated = rawBody.compare(pos, std::string::npos, "\r\n") == 0;
			break;
		}
		if (pos + size + 2 > rawBody.size() || rawBody.compare(pos + size, 2, "\r\n") != 0) break;
		chunks.push_back(rawBody.substr(pos, size));
		pos += size + 2;
	}
	return chunks;
}


bool isPing(const std::string& chunk);


std::vector<std::string> streamChunks(const std::string& rawBody, std::size_t expected)
	/// The chunks of a complete stream: terminated, that many (0: any number),
	/// and starting with init and the ping that follows it.
{
	bool terminated = false;
	std::vector<std::string> chunks = chunksOf(rawBody, terminated);
	CPPUNIT_ASSERT(terminated);
	if (expected != 0) CPPUNIT_ASSERT_EQUAL(expected, chunks.size());
	CPPUNIT_ASSERT(chunks.size() >= 2);
	CPPUNIT_ASSERT_EQUAL(INIT, chunks[0]);
	CPPUNIT_ASSERT(isPing(chunks[1]));
	return chunks;
}


bool isPing(const std::string& chunk)
	/// The ping is stamped when sent: everything but the time is fixed.
{
	const std::string head = "{\"type\":\"ping\",\"text\":\"pong\",\"timestamp\":";
	const std::string tail = "}\n\n";
	if (chunk.size() <= head.size() + tail.size()) return false;
	if (chunk.compare(0, head.size(), head) != 0) return false;
	if (chunk.compare(chunk.size() - tail.size(), tail.size(), tail) != 0) return false;
	std::string stamp = chunk.substr(head.size(), chunk.size() - head.size() - tail.size());
	return stamp.find_first_not_of("0123456789") == std::string::npos;
}


std::size_t count(const std::string& text, const std::string& needle)
{
	std::size_t n = 0;
	for (std::size_t pos = text.find(needle); pos != std::string::npos; pos = text.find(needle, pos + needle.size()))
		++n;
	return n;
}


std::string receiveUntil(Poco::Net::StreamSocket& socket, const std::function<bool(const std::string&)>& done)
	/// Reads until done(everything so far), the peer closes, or the deadline.
{
	std::string received;
	auto deadline = std::chrono::steady_clock::now() + DEADLINE;
	char buffer[4096];
	try
	{
		while (!done(received))
		{
			auto left = std::chrono::duration_cast<std::chrono::microseconds>(deadline - std::chrono::steady_clock::now());
			if (left.count() <= 0) break;
			socket.setReceiveTimeout(Poco::Timespan(left.count()));
			int n = socket.receiveBytes(buffer, sizeof(buffer));
			if (n <= 0) break;
			received.append(buffer, static_cast<std::size_t>(n));
		}
	}
	catch (Poco::Exception&)
	{
	}
	return received;
}


bool eventually(const std::function<bool()>& condition)
{
	auto deadline = std::chrono::steady_clock::now() + DEADLINE;
	while (!condition())
	{
		if (std::chrono::steady_clock::now() >= deadline) return false;
		std::this_thread::sleep_for(std::chrono::milliseconds(10));
	}
	return true;
}


} // namespace


class SseWriterTest: public CppUnit::TestFixture
{
	CPPUNIT_TEST_SUITE(SseWriterTest);
	CPPUNIT_TEST(testWireFormatOfAStream);
	CPPUNIT_TEST(testConnectionCloseIsHonoured);
	CPPUNIT_TEST(testEmitAllIsOneChunk);
	CPPUNIT_TEST(testEmitAllStartingWithInitIsOneChunkEach);
	CPPUNIT_TEST(testLargeEventEndsAtAChunkBoundary);
	CPPUNIT_TEST(testNothingEmittedLeavesAnOrdinaryResponse);
	CPPUNIT_TEST(testAppendRawIsUnframed);
	CPPUNIT_TEST(testEmitsAfterFinishAreDropped);
	CPPUNIT_TEST(testPingOnlyOnceStarted);
	CPPUNIT_TEST(testClientHangUpClosesWithoutThrowing);
	CPPUNIT_TEST(testRegistersWithStreamRegistry);
	CPPUNIT_TEST(testRegistryPingsOpenStreams);
	CPPUNIT_TEST_SUITE_END();

public:
	void setUp() override
	{
		// The daemon starts the registry's ping thread (ExecdServer); the writer
		// works without it, and only testRegistryPingsOpenStreams wants its pings
		// on the wire, which the other tests assert byte for byte.
		StreamRegistry::instance().stop();
	}

	void tearDown() override
	{
		StreamRegistry::instance().stop();
	}

	void testWireFormatOfAStream()
	{
		bool startedBefore = true, startedAfter = false;
		std::size_t written = 0;
		ScriptedServer server([&](Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response) {
			SseWriter writer(request, response);
			startedBefore = writer.started();
			writer.emit(at(StreamEvent::init("abc"), T0));
			startedAfter = writer.started();
			writer.emit(at(StreamEvent::stdoutText("hello\n"), T0 + 1));
			Poco::JSON::Object::Ptr results = new Poco::JSON::Object;
			results->set("text", "42");
			writer.emit(at(StreamEvent::result(results), T0 + 2));
			writer.emit(at(StreamEvent::complete(12), T0 + 3));
			writer.finish();
			written = writer.eventsWritten();
		});
		execd::test::HttpResult r = server.post();
		CPPUNIT_ASSERT_EQUAL(std::string("HTTP/1.1 200 OK"), r.head.substr(0, r.head.find("\r\n")));
		CPPUNIT_ASSERT_EQUAL(std::string("text/event-stream"), r.header("Content-Type"));
		CPPUNIT_ASSERT_EQUAL(std::string("no-cache"), r.header("Cache-Control"));
		CPPUNIT_ASSERT_EQUAL(std::string("keep-alive"), r.header("Connection"));
		CPPUNIT_ASSERT_EQUAL(std::string("no"), r.header("X-Accel-Buffering"));
		CPPUNIT_ASSERT_EQUAL(std::string("chunked"), r.header("Transfer-Encoding"));
		CPPUNIT_ASSERT(!r.hasHeader("Content-Length"));
		std::vector<std::string> chunks = streamChunks(r.rawBody, 5);
		CPPUNIT_ASSERT_EQUAL(HELLO, chunks[2]);
		CPPUNIT_ASSERT_EQUAL(RESULT, chunks[3]);
		CPPUNIT_ASSERT_EQUAL(COMPLETE, chunks[4]);
		// The ping that follows init is not one of the stream's events.
		CPPUNIT_ASSERT_EQUAL(std::size_t(4), written);
		CPPUNIT_ASSERT(!startedBefore);
		CPPUNIT_ASSERT(startedAfter);
	}

	void testConnectionCloseIsHonoured()
	{
		ScriptedServer server([&](Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response) {
			SseWriter writer(request, response);
			writer.emit(at(StreamEvent::init("abc"), T0));
			writer.finish();
		});
		execd::test::HttpResult r = server.post("Connection: close\r\n");
		CPPUNIT_ASSERT_EQUAL(200, r.status);
		// Poco spells it "Close"; header values are case-insensitive.
		CPPUNIT_ASSERT_EQUAL(0, Poco::icompare(r.header("Connection"), std::string("close")));
		CPPUNIT_ASSERT_EQUAL(std::string("text/event-stream"), r.header("Content-Type"));
		std::vector<std::string> chunks = streamChunks(r.rawBody, 2);
	}

	void testEmitAllIsOneChunk()
	{
		std::size_t written = 0;
		ScriptedServer server([&](Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response) {
			SseWriter writer(request, response);
			writer.emit(at(StreamEvent::init("abc"), T0));
			writer.emitAll({at(StreamEvent::stdoutText("hello\n"), T0 + 1), at(StreamEvent::stdoutText("a"), T0 + 2),
				at(StreamEvent::stderrText("b"), T0 + 3)});
			writer.emitAll({});
			writer.emitAll({at(StreamEvent::complete(12), T0 + 3)});
			writer.finish();
			written = writer.eventsWritten();
		});
		execd::test::HttpResult r = server.post();
		std::vector<std::string> chunks = streamChunks(r.rawBody, 4);
		CPPUNIT_ASSERT_EQUAL(HELLO +
			"{\"type\":\"stdout\",\"text\":\"a\",\"timestamp\":1767607200002}\n\n"
			"{\"type\":\"stderr\",\"text\":\"b\",\"timestamp\":1767607200003}\n\n", chunks[2]);
		CPPUNIT_ASSERT_EQUAL(COMPLETE, chunks[3]);
		CPPUNIT_ASSERT_EQUAL(std::size_t(5), written);
	}

	void testEmitAllStartingWithInitIsOneChunkEach()
	{
		std::size_t written = 0;
		ScriptedServer server([&](Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response) {
			SseWriter writer(request, response);
			// init is followed by its ping, so a batch that starts with it goes out one by one.
			writer.emitAll({at(StreamEvent::init("abc"), T0), at(StreamEvent::stdoutText("hello\n"), T0 + 1),
				at(StreamEvent::complete(12), T0 + 3)});
			writer.finish();
			written = writer.eventsWritten();
		});
		execd::test::HttpResult r = server.post();
		std::vector<std::string> chunks = streamChunks(r.rawBody, 4);
		CPPUNIT_ASSERT_EQUAL(HELLO, chunks[2]);
		CPPUNIT_ASSERT_EQUAL(COMPLETE, chunks[3]);
		CPPUNIT_ASSERT_EQUAL(std::size_t(3), written);
	}

	void testLargeEventEndsAtAChunkBoundary()
	{
		// Larger than Poco's chunk buffer: it may take several chunks, but every
		// event is flushed whole, so the next event starts a chunk of its own.
		const std::string big(100000, 'x');
		ScriptedServer server([&](Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response) {
			SseWriter writer(request, response);
			writer.emit(at(StreamEvent::init("abc"), T0));
			writer.emit(at(StreamEvent::stdoutText(big), T0 + 1));
			writer.emit(at(StreamEvent::complete(12), T0 + 3));
			writer.finish();
		});
		execd::test::HttpResult r = server.post();
		std::vector<std::string> chunks = streamChunks(r.rawBody, 0);
		CPPUNIT_ASSERT_EQUAL(COMPLETE, chunks.back());
		std::string middle;
		for (std::size_t i = 2; i + 1 < chunks.size(); ++i) middle += chunks[i];
		CPPUNIT_ASSERT_EQUAL("{\"type\":\"stdout\",\"text\":\"" + big + "\",\"timestamp\":1767607200001}\n\n", middle);
	}

	void testNothingEmittedLeavesAnOrdinaryResponse()
	{
		bool started = true;
		ScriptedServer server([&](Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response) {
			SseWriter writer(request, response);
			started = writer.started();
			// A failure before the first event: the handler answers with a JSON error.
			response.setStatusAndReason(Poco::Net::HTTPResponse::HTTP_BAD_REQUEST);
			response.setContentType("application/json");
			const std::string body = "{\"code\":\"INVALID_REQUEST\",\"message\":\"no\"}";
			response.sendBuffer(body.data(), body.size());
		});
		execd::test::HttpResult r = server.post();
		CPPUNIT_ASSERT(!started);
		CPPUNIT_ASSERT_EQUAL(400, r.status);
		CPPUNIT_ASSERT_EQUAL(std::string("application/json"), r.header("Content-Type"));
		CPPUNIT_ASSERT(!r.hasHeader("Transfer-Encoding"));
		CPPUNIT_ASSERT(!r.hasHeader("X-Accel-Buffering"));
		CPPUNIT_ASSERT(!r.hasHeader("Cache-Control"));
		CPPUNIT_ASSERT_EQUAL(std::string("41"), r.header("Content-Length"));
		// Nothing of the writer's follows the body.
		CPPUNIT_ASSERT_EQUAL(std::string("{\"code\":\"INVALID_REQUEST\",\"message\":\"no\"}"), r.rawBody);
	}

	void testAppendRawIsUnframed()
	{
		std::size_t written = 0;
		ScriptedServer server([&](Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response) {
			SseWriter writer(request, response);
			writer.emit(at(StreamEvent::init("abc"), T0));
			writer.emit(at(StreamEvent::stdoutText("hello\n"), T0 + 1));
			writer.appendRaw("{\"code\":\"RUNTIME_ERROR\",\"message\":\"boom\"}");
			writer.finish();
			written = writer.eventsWritten();
		});
		execd::test::HttpResult r = server.post();
		std::vector<std::string> chunks = streamChunks(r.rawBody, 4);
		CPPUNIT_ASSERT_EQUAL(HELLO, chunks[2]);
		CPPUNIT_ASSERT_EQUAL(std::string("{\"code\":\"RUNTIME_ERROR\",\"message\":\"boom\"}"), chunks[3]);
		CPPUNIT_ASSERT_EQUAL(std::size_t(2), written);
	}

	void testEmitsAfterFinishAreDropped()
	{
		std::size_t written = 0;
		bool openAfter = true;
		ScriptedServer server([&](Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response) {
			SseWriter writer(request, response);
			writer.emit(at(StreamEvent::init("abc"), T0));
			writer.finish();
			writer.finish();
			openAfter = writer.isOpen();
			writer.emit(at(StreamEvent::stdoutText("late"), T0 + 1));
			writer.emitAll({at(StreamEvent::stdoutText("late"), T0 + 1), at(StreamEvent::stdoutText("later"), T0 + 2)});
			writer.appendRaw("late");
			written = writer.eventsWritten();
		});
		execd::test::HttpResult r = server.post();
		std::vector<std::string> chunks = streamChunks(r.rawBody, 2);
		CPPUNIT_ASSERT_EQUAL(std::string::npos, r.raw.find("late"));
		CPPUNIT_ASSERT_EQUAL(std::size_t(1), written);
		CPPUNIT_ASSERT(!openAfter);
	}

	void testPingOnlyOnceStarted()
	{
		bool beforeStart = false, afterStart = false, afterFinish = true, startedByPing = true;
		ScriptedServer server([&](Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response) {
			SseWriter writer(request, response);
			beforeStart = writer.ping();
			startedByPing = writer.started();
			writer.emit(at(StreamEvent::init("abc"), T0));
			afterStart = writer.ping();
			writer.finish();
			afterFinish = writer.ping();
		});
		execd::test::HttpResult r = server.post();
		CPPUNIT_ASSERT(beforeStart);
		CPPUNIT_ASSERT(!startedByPing);
		CPPUNIT_ASSERT(afterStart);
		CPPUNIT_ASSERT(!afterFinish);
		std::vector<std::string> chunks = streamChunks(r.rawBody, 3);
		CPPUNIT_ASSERT(isPing(chunks[2]));
	}

	void testClientHangUpClosesWithoutThrowing()
	{
		for (bool reset: {false, true})
		{
			struct Outcome
			{
				bool sawClose = false;
				bool closed = false;
				bool threw = false;
				std::size_t written = 0;
			};
			std::promise<void> hungUp;
			std::shared_future<void> hungUpSeen = hungUp.get_future().share();
			std::promise<Outcome> done;
			std::future<Outcome> outcome = done.get_future();
			ScriptedServer server([&](Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response) {
				Outcome o;
				SseWriter writer(request, response);
				writer.emit(at(StreamEvent::init("abc"), T0));
				o.sawClose = hungUpSeen.wait_for(DEADLINE) == std::future_status::ready;
				o.closed = eventually([&] { return !writer.isOpen(); });
				try
				{
					writer.emit(at(StreamEvent::stdoutText("after"), T0 + 1));
					writer.emitAll({at(StreamEvent::stdoutText("a"), T0 + 2), at(StreamEvent::stdoutText("b"), T0 + 3)});
					writer.appendRaw("raw");
					writer.finish();
				}
				catch (...)
				{
					o.threw = true;
				}
				o.written = writer.eventsWritten();
				done.set_value(o);
			});
			Poco::Net::StreamSocket socket;
			socket.connect(Poco::Net::SocketAddress("127.0.0.1", static_cast<Poco::UInt16>(server.port())),
				Poco::Timespan(DEADLINE.count(), 0));
			socket.sendBytes(REQUEST.data(), static_cast<int>(REQUEST.size()));
			std::string received = receiveUntil(socket, [](const std::string& soFar) {
				return soFar.find("\"type\":\"ping\"") != std::string::npos;
			});
			CPPUNIT_ASSERT(received.find(INIT) != std::string::npos);
			if (reset) socket.setLinger(true, 0);
			socket.close();
			hungUp.set_value();
			CPPUNIT_ASSERT(outcome.wait_for(DEADLINE) == std::future_status::ready);
			Outcome o = outcome.get();
			CPPUNIT_ASSERT(o.sawClose);
			CPPUNIT_ASSERT(o.closed);
			CPPUNIT_ASSERT(!o.threw);
			CPPUNIT_ASSERT_EQUAL(std::size_t(1), o.written);
		}
	}

	void testRegistersWithStreamRegistry()
	{
		const std::size_t before = StreamRegistry::instance().active();
		std::size_t during = 0;
		ScriptedServer server([&](Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response) {
			SseWriter writer(request, response);
			during = StreamRegistry::instance().active();
			writer.emit(at(StreamEvent::init("abc"), T0));
			writer.finish();
		});
		execd::test::HttpResult r = server.post();
		CPPUNIT_ASSERT_EQUAL(200, r.status);
		CPPUNIT_ASSERT_EQUAL(before + 1, during);
		CPPUNIT_ASSERT(eventually([&] { return StreamRegistry::instance().active() == before; }));
		CPPUNIT_ASSERT(StreamRegistry::instance().waitIdle(DEADLINE));
	}

	void testRegistryPingsOpenStreams()
	{
		// As ExecdServer does, with an interval short enough for a test.
		StreamRegistry::instance().start(std::chrono::milliseconds(20));
		std::promise<void> pinged;
		std::shared_future<void> pingedSeen = pinged.get_future().share();
		std::promise<bool> done;
		std::future<bool> handlerSawPings = done.get_future();
		ScriptedServer server([&](Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response) {
			SseWriter writer(request, response);
			writer.emit(at(StreamEvent::init("abc"), T0));
			bool seen = pingedSeen.wait_for(DEADLINE) == std::future_status::ready;
			// No more pings, so that the last chunk is the last event's.
			StreamRegistry::instance().stop();
			writer.emit(at(StreamEvent::complete(12), T0 + 3));
			writer.finish();
			done.set_value(seen);
		});
		Poco::Net::StreamSocket socket;
		socket.connect(Poco::Net::SocketAddress("127.0.0.1", static_cast<Poco::UInt16>(server.port())),
			Poco::Timespan(DEADLINE.count(), 0));
		socket.sendBytes(REQUEST.data(), static_cast<int>(REQUEST.size()));
		// The ping after init, then at least two of the registry's.
		std::string received = receiveUntil(socket, [](const std::string& soFar) {
			return count(soFar, "\"type\":\"ping\"") >= 3;
		});
		pinged.set_value();
		CPPUNIT_ASSERT(count(received, "\"type\":\"ping\"") >= 3);
		CPPUNIT_ASSERT(handlerSawPings.wait_for(DEADLINE) == std::future_status::ready);
		CPPUNIT_ASSERT(handlerSawPings.get());
		received += receiveUntil(socket, [](const std::string& soFar) {
			return soFar.size() >= 5 && soFar.compare(soFar.size() - 5, 5, "0\r\n\r\n") == 0;
		});
		std::size_t head = received.find("\r\n\r\n");
		CPPUNIT_ASSERT(head != std::string::npos);
		std::vector<std::string> chunks = streamChunks(received.substr(head + 4), 0);
		for (std::size_t i = 1; i + 1 < chunks.size(); ++i) CPPUNIT_ASSERT(isPing(chunks[i]));
		CPPUNIT_ASSERT_EQUAL(COMPLETE, chunks.back());
	}
};

CPPUNIT_TEST_SUITE_REGISTRATION(SseWriterTest);
