// The /code dispatcher in the core, driven through the probe module's executors.

#include "ExecdProcess.h"
#include "Poco/JSON/Array.h"
#include "Poco/JSON/Object.h"
#include "Poco/JSON/Parser.h"
#include <cppunit/extensions/HelperMacros.h>
#include <atomic>
#include <future>
#include <thread>


using namespace execd::test;


namespace {


ExecdProcess::Options probeOptions()
{
	ExecdProcess::Options o;
	o.properties = {"execd.modules.load = probe"};
	return o;
}


Poco::Dynamic::Var parse(const std::string& json)
{
	return Poco::JSON::Parser().parse(json);
}


std::string field(const std::string& json, const std::string& key)
{
	return parse(json).extract<Poco::JSON::Object::Ptr>()->getValue<std::string>(key);
}


std::string createContext(int port, const std::string& language)
{
	HttpResult r = request(port, "POST", "/code/context", "{\"language\":\"" + language + "\"}");
	CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, 200, r.status);
	return field(r.body, "id");
}


} // namespace


class IntegrationCodeTest: public CppUnit::TestFixture
{
	CPPUNIT_TEST_SUITE(IntegrationCodeTest);
	CPPUNIT_TEST(testNoLanguageRunsAShellCommand);
	CPPUNIT_TEST(testCommandModes);
	CPPUNIT_TEST(testUnknownLanguageFailsFast);
	CPPUNIT_TEST(testCreateGetListDeleteContext);
	CPPUNIT_TEST(testCreateContextErrors);
	CPPUNIT_TEST(testRunInContext);
	CPPUNIT_TEST(testRunInUnknownContext);
	CPPUNIT_TEST(testDefaultContextIsCreatedLazily);
	CPPUNIT_TEST(testListFiltersByLanguage);
	CPPUNIT_TEST(testDeleteByLanguage);
	CPPUNIT_TEST(testInterrupt);
	CPPUNIT_TEST(testBusyContextAppendsRawError);
	CPPUNIT_TEST(testConcurrentStreams);
	CPPUNIT_TEST_SUITE_END();

public:
	void testNoLanguageRunsAShellCommand()
	{
		ExecdProcess execd(probeOptions());
		for (std::string body: {"{\"code\":\"echo hi\"}", "{\"code\":\"echo hi\",\"context\":{}}", "{\"code\":\"echo hi\",\"context\":{\"id\":\"ignored\",\"language\":\"\"}}"})
		{
			HttpResult r = request(execd.port(), "POST", "/code", body);
			CPPUNIT_ASSERT_EQUAL(200, r.status);
			std::vector<std::string> events = withoutPings(sseEvents(r.body));
			CPPUNIT_ASSERT_EQUAL(std::string("init"), field(events[0], "type"));
			CPPUNIT_ASSERT_EQUAL(std::string("command:echo hi"), field(events[1], "text"));
			CPPUNIT_ASSERT_EQUAL(std::string("execution_complete"), field(events[2], "type"));
		}
	}

	void testCommandModes()
	{
		ExecdProcess execd(probeOptions());
		HttpResult r = request(execd.port(), "POST", "/code", "{\"code\":\"x\",\"context\":{\"language\":\"background-command\"}}");
		CPPUNIT_ASSERT_EQUAL(std::string("background-command:x"), field(withoutPings(sseEvents(r.body))[1], "text"));
		r = request(execd.port(), "POST", "/code", "{\"code\":\"x\",\"context\":{\"language\":\"command\"}}");
		CPPUNIT_ASSERT_EQUAL(std::string("command:x"), field(withoutPings(sseEvents(r.body))[1], "text"));
	}

	void testUnknownLanguageFailsFast()
	{
		ExecdProcess execd(probeOptions());
		auto start = std::chrono::steady_clock::now();
		HttpResult r = request(execd.port(), "POST", "/code", "{\"code\":\"puts 1\",\"context\":{\"language\":\"ruby\"}}");
		CPPUNIT_ASSERT(std::chrono::steady_clock::now() - start < std::chrono::seconds(1));
		CPPUNIT_ASSERT_EQUAL(500, r.status);
		CPPUNIT_ASSERT_EQUAL(std::string("{\"code\":\"RUNTIME_ERROR\",\"message\":\"error running codes unknown language: ruby\"}"), r.body);
	}

	void testCreateGetListDeleteContext()
	{
		ExecdProcess execd(probeOptions());
		HttpResult r = request(execd.port(), "POST", "/code/context", "{\"language\":\"sleepy\"}");
		CPPUNIT_ASSERT_EQUAL(200, r.status);
		std::string id = field(r.body, "id");
		CPPUNIT_ASSERT_EQUAL("{\"id\":\"" + id + "\",\"language\":\"sleepy\"}", r.body);

		r = request(execd.port(), "POST", "/code/context", "{\"language\":\"sleepy\",\"cwd\":\"/tmp\"}");
		CPPUNIT_ASSERT_EQUAL(std::string("/tmp"), field(r.body, "cwd"));
		std::string second = field(r.body, "id");

		r = request(execd.port(), "GET", "/code/contexts/" + id);
		CPPUNIT_ASSERT_EQUAL(200, r.status);
		CPPUNIT_ASSERT_EQUAL("{\"id\":\"" + id + "\",\"language\":\"sleepy\"}", r.body);

		r = request(execd.port(), "GET", "/code/contexts");
		CPPUNIT_ASSERT_EQUAL(std::size_t(2), parse(r.body).extract<Poco::JSON::Array::Ptr>()->size());

		r = request(execd.port(), "DELETE", "/code/contexts/" + id);
		CPPUNIT_ASSERT_EQUAL(200, r.status);
		CPPUNIT_ASSERT_EQUAL(std::string("0"), r.header("Content-Length"));
		CPPUNIT_ASSERT(!r.hasHeader("Content-Type"));

		r = request(execd.port(), "GET", "/code/contexts/" + id);
		CPPUNIT_ASSERT_EQUAL(404, r.status);
		CPPUNIT_ASSERT_EQUAL("{\"code\":\"CONTEXT_NOT_FOUND\",\"message\":\"context " + id + " not found\"}", r.body);
		r = request(execd.port(), "DELETE", "/code/contexts/" + id);
		CPPUNIT_ASSERT_EQUAL(404, r.status);
		CPPUNIT_ASSERT(r.body.find("CONTEXT_NOT_FOUND") != std::string::npos);

		r = request(execd.port(), "GET", "/code/contexts");
		CPPUNIT_ASSERT_EQUAL(std::size_t(1), parse(r.body).extract<Poco::JSON::Array::Ptr>()->size());
		CPPUNIT_ASSERT(r.body.find(second) != std::string::npos);
	}

	void testCreateContextErrors()
	{
		ExecdProcess execd(probeOptions());
		HttpResult r = request(execd.port(), "POST", "/code/context", "{\"language\":\"ruby\"}");
		CPPUNIT_ASSERT_EQUAL(500, r.status);
		CPPUNIT_ASSERT_EQUAL(std::string("{\"code\":\"RUNTIME_ERROR\",\"message\":\"error creating code context. unknown language: ruby\"}"), r.body);
		r = request(execd.port(), "POST", "/code/context", "{}");
		CPPUNIT_ASSERT_EQUAL(500, r.status);
		r = request(execd.port(), "POST", "/code/context", "{\"language\":\"command\"}");
		CPPUNIT_ASSERT_EQUAL(500, r.status);
		r = request(execd.port(), "POST", "/code/context", "{\"language\":");
		CPPUNIT_ASSERT_EQUAL(400, r.status);
	}

	void testRunInContext()
	{
		ExecdProcess execd(probeOptions());
		std::string id = createContext(execd.port(), "sleepy");
		HttpResult r = request(execd.port(), "POST", "/code", "{\"code\":\"1\",\"context\":{\"id\":\"" + id + "\",\"language\":\"sleepy\"}}");
		CPPUNIT_ASSERT_EQUAL(200, r.status);
		std::vector<std::string> all = sseEvents(r.body);
		CPPUNIT_ASSERT_EQUAL(std::string("ping"), field(all[1], "type"));   // right after init
		std::vector<std::string> events = withoutPings(all);
		CPPUNIT_ASSERT_EQUAL(std::size_t(4), events.size());
		CPPUNIT_ASSERT_EQUAL(id, field(events[0], "text"));
		CPPUNIT_ASSERT_EQUAL(std::string("started"), field(events[1], "text"));
		CPPUNIT_ASSERT_EQUAL(std::string("done"), field(events[2], "text"));
		CPPUNIT_ASSERT_EQUAL(std::string("execution_complete"), field(events[3], "type"));
	}

	void testRunInUnknownContext()
	{
		ExecdProcess execd(probeOptions());
		HttpResult r = request(execd.port(), "POST", "/code", "{\"code\":\"1\",\"context\":{\"id\":\"nope\",\"language\":\"sleepy\"}}");
		CPPUNIT_ASSERT_EQUAL(500, r.status);
		CPPUNIT_ASSERT_EQUAL(std::string("{\"code\":\"RUNTIME_ERROR\",\"message\":\"error running codes context not found\"}"), r.body);
		// A context of another language is not found either.
		std::string id = createContext(execd.port(), "sleepy");
		r = request(execd.port(), "POST", "/code", "{\"code\":\"1\",\"context\":{\"id\":\"" + id + "\",\"language\":\"sleepy2\"}}");
		CPPUNIT_ASSERT_EQUAL(500, r.status);
	}

	void testDefaultContextIsCreatedLazily()
	{
		ExecdProcess execd(probeOptions());
		CPPUNIT_ASSERT_EQUAL(std::string("[]"), request(execd.port(), "GET", "/code/contexts").body);
		HttpResult r = request(execd.port(), "POST", "/code", "{\"code\":\"1\",\"context\":{\"language\":\"sleepy\"}}");
		std::string id = field(sseEvents(r.body)[0], "text");
		r = request(execd.port(), "GET", "/code/contexts");
		CPPUNIT_ASSERT_EQUAL("[{\"id\":\"" + id + "\",\"language\":\"sleepy\"}]", r.body);
		r = request(execd.port(), "POST", "/code", "{\"code\":\"1\",\"context\":{\"language\":\"sleepy\"}}");
		CPPUNIT_ASSERT_EQUAL(id, field(sseEvents(r.body)[0], "text"));
	}

	void testListFiltersByLanguage()
	{
		ExecdProcess execd(probeOptions());
		createContext(execd.port(), "sleepy");
		createContext(execd.port(), "sleepy2");
		CPPUNIT_ASSERT_EQUAL(std::size_t(2), parse(request(execd.port(), "GET", "/code/contexts").body).extract<Poco::JSON::Array::Ptr>()->size());
		CPPUNIT_ASSERT_EQUAL(std::size_t(1), parse(request(execd.port(), "GET", "/code/contexts?language=sleepy2").body).extract<Poco::JSON::Array::Ptr>()->size());
		CPPUNIT_ASSERT_EQUAL(std::string("[]"), request(execd.port(), "GET", "/code/contexts?language=ruby").body);
		HttpResult r = request(execd.port(), "GET", "/code/contexts?language=command");
		CPPUNIT_ASSERT_EQUAL(500, r.status);
		CPPUNIT_ASSERT_EQUAL(std::string("{\"code\":\"RUNTIME_ERROR\",\"message\":\"unsupported language context operation: command\"}"), r.body);
	}

	void testDeleteByLanguage()
	{
		ExecdProcess execd(probeOptions());
		createContext(execd.port(), "sleepy");
		createContext(execd.port(), "sleepy");
		std::string keep = createContext(execd.port(), "sleepy2");
		HttpResult r = request(execd.port(), "DELETE", "/code/contexts?language=sleepy");
		CPPUNIT_ASSERT_EQUAL(200, r.status);
		CPPUNIT_ASSERT_EQUAL(std::string("0"), r.header("Content-Length"));
		CPPUNIT_ASSERT_EQUAL("[{\"id\":\"" + keep + "\",\"language\":\"sleepy2\"}]", request(execd.port(), "GET", "/code/contexts").body);
		CPPUNIT_ASSERT_EQUAL(200, request(execd.port(), "DELETE", "/code/contexts?language=ruby").status);
		r = request(execd.port(), "DELETE", "/code/contexts");
		CPPUNIT_ASSERT_EQUAL(400, r.status);
		CPPUNIT_ASSERT_EQUAL(std::string("{\"code\":\"MISSING_QUERY\",\"message\":\"missing query parameter 'language'\"}"), r.body);
	}

	void testInterrupt()
	{
		ExecdProcess execd(probeOptions());
		std::string id = createContext(execd.port(), "sleepy");
		HttpResult r = request(execd.port(), "DELETE", "/code?id=" + id);
		CPPUNIT_ASSERT_EQUAL(500, r.status);
		CPPUNIT_ASSERT_EQUAL("{\"code\":\"RUNTIME_ERROR\",\"message\":\"error interruptting code context. context " + id + " is not running\"}", r.body);

		auto running = std::async(std::launch::async, [&] {
			return request(execd.port(), "POST", "/code", "{\"code\":\"30000\",\"context\":{\"id\":\"" + id + "\",\"language\":\"sleepy\"}}");
		});
		auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
		do
		{
			r = request(execd.port(), "DELETE", "/code?id=" + id);
		}
		while (r.status != 200 && std::chrono::steady_clock::now() < deadline);
		CPPUNIT_ASSERT_EQUAL(200, r.status);
		CPPUNIT_ASSERT_EQUAL(std::string("0"), r.header("Content-Length"));
		HttpResult stream = running.get();
		std::vector<std::string> events = withoutPings(sseEvents(stream.body));
		CPPUNIT_ASSERT_EQUAL(std::string("status"), field(events[2], "type"));
		CPPUNIT_ASSERT(events[3].find("\"ename\":\"KeyboardInterrupt\"") != std::string::npos);
		CPPUNIT_ASSERT_EQUAL(std::string("execution_complete"), field(events[4], "type"));

		r = request(execd.port(), "DELETE", "/code");
		CPPUNIT_ASSERT_EQUAL(400, r.status);
		CPPUNIT_ASSERT_EQUAL(std::string("{\"code\":\"MISSING_QUERY\",\"message\":\"missing query parameter 'id'\"}"), r.body);
		r = request(execd.port(), "DELETE", "/code?id=unknown");
		CPPUNIT_ASSERT_EQUAL(500, r.status);
		CPPUNIT_ASSERT_EQUAL(std::string("{\"code\":\"RUNTIME_ERROR\",\"message\":\"error interruptting code context. no such session\"}"), r.body);
	}

	void testBusyContextAppendsRawError()
	{
		ExecdProcess execd(probeOptions());
		std::string id = createContext(execd.port(), "sleepy");
		std::string body = "{\"code\":\"30000\",\"context\":{\"id\":\"" + id + "\",\"language\":\"sleepy\"}}";
		std::promise<void> started;
		std::atomic<bool> seen{false};
		auto running = std::async(std::launch::async, [&] {
			return request(execd.port(), "POST", "/code", body, {}, [&](const std::string& soFar) {
				if (!seen && soFar.find("started") != std::string::npos)
				{
					seen = true;
					started.set_value();
				}
			});
		});
		CPPUNIT_ASSERT(started.get_future().wait_for(std::chrono::seconds(5)) == std::future_status::ready);
		HttpResult second = request(execd.port(), "POST", "/code", "{\"code\":\"1\",\"context\":{\"id\":\"" + id + "\",\"language\":\"sleepy\"}}");
		// The executor refuses before its first event: an ordinary JSON 500.
		CPPUNIT_ASSERT_EQUAL(500, second.status);
		CPPUNIT_ASSERT_EQUAL(std::string("{\"code\":\"RUNTIME_ERROR\",\"message\":\"error running codes session is busy\"}"), second.body);
		CPPUNIT_ASSERT_EQUAL(200, request(execd.port(), "DELETE", "/code?id=" + id).status);
		running.get();
	}

	void testConcurrentStreams()
	{
		ExecdProcess execd(probeOptions());
		std::vector<std::future<HttpResult>> runs;
		for (int i = 0; i < 200; ++i)
		{
			runs.push_back(std::async(std::launch::async, [&execd] {
				return request(execd.port(), "POST", "/code", "{\"code\":\"echo\"}");
			}));
		}
		for (auto& f: runs)
		{
			HttpResult r = f.get();
			CPPUNIT_ASSERT_EQUAL(200, r.status);
			CPPUNIT_ASSERT(r.body.find("command:echo") != std::string::npos);
		}
	}
};


CPPUNIT_TEST_SUITE_REGISTRATION(IntegrationCodeTest);
