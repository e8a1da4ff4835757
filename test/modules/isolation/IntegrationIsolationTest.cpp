// The isolation module in the real execd with the real bubblewrap (setup.sh installs it; CI runs as root).

#include "ExecdProcess.h"
#include "Poco/File.h"
#include <cppunit/extensions/HelperMacros.h>
#include <regex>
#include <sys/stat.h>
#include <unistd.h>


using namespace execd::test;


namespace {


struct Scratch
{
	char path[48] = "/var/tmp/execd-isolation-XXXXXX";
	Scratch() { CPPUNIT_ASSERT(::mkdtemp(path)); ::chmod(path, 0755); }
	~Scratch() { Poco::File(path).remove(true); }
};


ExecdProcess::Options options(const Scratch& scratch)
{
	ExecdProcess::Options o;
	o.testModules = false;
	o.properties = {"execd.modules.load = isolation", "module.isolation.upperRoot = " + std::string(scratch.path) + "/upper",
		"module.isolation.allowedWritable = " + std::string(scratch.path)};
	return o;
}


} // namespace


class IntegrationIsolationTest: public CppUnit::TestFixture
{
	CPPUNIT_TEST_SUITE(IntegrationIsolationTest);
	CPPUNIT_TEST(testSessionLifecycle);
	CPPUNIT_TEST(testErrors);
	CPPUNIT_TEST(testRuns);
	CPPUNIT_TEST_SUITE_END();

public:
	void testSessionLifecycle()
	{
		if (::access("/usr/bin/bwrap", X_OK) != 0 || ::getuid() != 0) return;
		Scratch scratch;
		ExecdProcess execd(options(scratch));
		HttpResult r = request(execd.port(), "GET", "/v1/isolated/capabilities");
		CPPUNIT_ASSERT_EQUAL(200, r.status);
		CPPUNIT_ASSERT_MESSAGE(r.body, r.body.rfind("{\"available\":true,\"isolator\":\"bwrap\",\"version\":\"", 0) == 0);
		CPPUNIT_ASSERT(r.body.find("\"commit_supported\":false,\"diff_supported\":false}") != std::string::npos);
		const std::string ws = std::string(scratch.path) + "/ws";
		r = request(execd.port(), "POST", "/v1/isolated/session", "{\"workspace\":{\"path\":\"" + ws + "\"},\"idle_timeout_seconds\":0,\"uid\":65534}");
		CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, 201, r.status);
		auto created = object(r.body);
		CPPUNIT_ASSERT_EQUAL(std::size_t(2), created->size());
		const std::string id = created->getValue<std::string>("session_id");
		CPPUNIT_ASSERT_EQUAL(std::size_t(36), id.size());
		CPPUNIT_ASSERT(Poco::File(ws).isDirectory());   // created on the host
		r = request(execd.port(), "GET", "/v1/isolated/session/" + id);
		CPPUNIT_ASSERT_EQUAL(200, r.status);
		auto state = object(r.body);
		CPPUNIT_ASSERT_EQUAL(std::string("active"), state->getValue<std::string>("status"));
		CPPUNIT_ASSERT_EQUAL(std::string("overlay"), state->getObject("workspace")->getValue<std::string>("mode"));
		CPPUNIT_ASSERT_EQUAL(0, state->getValue<int>("idle_timeout_seconds"));   // always echoed
		CPPUNIT_ASSERT_EQUAL(65534, state->getValue<int>("uid"));
		CPPUNIT_ASSERT(!state->has("gid") && !state->has("share_net") && !state->has("idle_remaining_seconds"));
		r = request(execd.port(), "GET", "/v1/isolated/sessions");
		CPPUNIT_ASSERT(r.body.find(id) != std::string::npos);
		r = request(execd.port(), "DELETE", "/v1/isolated/session/" + id);
		CPPUNIT_ASSERT_EQUAL(200, r.status);
		CPPUNIT_ASSERT_EQUAL(std::string("0"), r.header("Content-Length"));
		CPPUNIT_ASSERT_EQUAL(std::string("{\"sessions\":[]}"), request(execd.port(), "GET", "/v1/isolated/sessions").body);
		Poco::File upper(std::string(scratch.path) + "/upper");
		std::vector<std::string> left;
		upper.list(left);
		CPPUNIT_ASSERT(left.empty());   // the overlay went with it
	}

	void testErrors()
	{
		if (::access("/usr/bin/bwrap", X_OK) != 0 || ::getuid() != 0) return;
		Scratch scratch;
		ExecdProcess execd(options(scratch));
		HttpResult r = request(execd.port(), "POST", "/v1/isolated/session", "");
		CPPUNIT_ASSERT_EQUAL(400, r.status);
		CPPUNIT_ASSERT_EQUAL(std::string("{\"code\":\"INVALID_REQUEST_BODY\",\"message\":\"EOF\"}"), r.body);
		r = request(execd.port(), "POST", "/v1/isolated/session", "{\"workspace\":{\"path\":\"/w\"},\"extra_writable\":[\"/etc\"]}");
		CPPUNIT_ASSERT_EQUAL(400, r.status);
		CPPUNIT_ASSERT_EQUAL(std::string("{\"code\":\"RUNTIME_ERROR\",\"message\":\"extra_writable path \\\"/etc\\\": not in allowlist\"}"), r.body);
		r = request(execd.port(), "GET", "/v1/isolated/session/nope");
		CPPUNIT_ASSERT_EQUAL(404, r.status);
		CPPUNIT_ASSERT_EQUAL(std::string("{\"code\":\"SESSION_NOT_FOUND\",\"message\":\"session not found\"}"), r.body);
		CPPUNIT_ASSERT_EQUAL(404, request(execd.port(), "DELETE", "/v1/isolated/session/nope").status);
		r = request(execd.port(), "POST", "/v1/isolated/session/x/commit");
		CPPUNIT_ASSERT_EQUAL(503, r.status);
		CPPUNIT_ASSERT(r.body.find("NOT_SUPPORTED") != std::string::npos);
	}

	void testRuns()
	{
		if (::access("/usr/bin/bwrap", X_OK) != 0 || ::getuid() != 0) return;
		Scratch scratch;
		ExecdProcess execd(options(scratch));
		HttpResult r = request(execd.port(), "POST", "/v1/isolated/session", "{\"workspace\":{\"path\":\"" + std::string(scratch.path) + "/ws\"}}");
		CPPUNIT_ASSERT_EQUAL(201, r.status);
		const std::string id = object(r.body)->getValue<std::string>("session_id");
		auto run = [&](const std::string& body) { return request(execd.port(), "POST", "/v1/isolated/session/" + id + "/run", body); };
		auto stripped = [](std::string body)
		{
			// The timestamps vary; everything else is the contract's literal stream.
			return std::regex_replace(body, std::regex("\"timestamp\":[0-9]+"), "\"timestamp\":T");
		};
		r = run("{\"code\":\"echo hi; echo oops >&2; printf 'a\\\\n\\\\nb'; cd /; X=1\"}");
		CPPUNIT_ASSERT_EQUAL(200, r.status);
		CPPUNIT_ASSERT_EQUAL(std::string("text/event-stream"), r.header("Content-Type"));
		CPPUNIT_ASSERT_EQUAL(std::string("{\"type\":\"stdout\",\"text\":\"hi\",\"timestamp\":T}\n\n{\"type\":\"stdout\",\"text\":\"oops\",\"timestamp\":T}\n\n"
			"{\"type\":\"stdout\",\"text\":\"a\",\"timestamp\":T}\n\n{\"type\":\"stdout\",\"text\":\"b\",\"timestamp\":T}\n\n"
			"{\"type\":\"execution_complete\",\"timestamp\":T}\n\n"), stripped(r.body));
		r = run("{\"code\":\"echo $X $PWD $Y; (exit 3)\",\"envs\":{\"Y\":\"it's\"}}");
		CPPUNIT_ASSERT_EQUAL(std::string("{\"type\":\"stdout\",\"text\":\"1 / it's\",\"timestamp\":T}\n\n"
			"{\"type\":\"error\",\"text\":\"command exited with code 3\",\"timestamp\":T,\"error\":{\"ename\":\"ExitError\",\"evalue\":\"3\",\"traceback\":null}}\n\n"),
			stripped(r.body));
		auto start = std::chrono::steady_clock::now();
		r = run("{\"code\":\"sleep 30\",\"timeout_seconds\":1}");
		CPPUNIT_ASSERT(std::chrono::steady_clock::now() - start < std::chrono::seconds(4));
		CPPUNIT_ASSERT_MESSAGE(r.body, r.body.find("\"ename\":\"RuntimeError\",\"evalue\":\"context deadline exceeded\"") != std::string::npos);
		r = run("{\"code\":\"echo still $X\"}");   // the session outlived the timeout
		CPPUNIT_ASSERT_MESSAGE(r.body, r.body.find("\"text\":\"still 1\"") != std::string::npos);
		CPPUNIT_ASSERT_EQUAL(404, request(execd.port(), "POST", "/v1/isolated/session/nope/run", "{\"code\":\"x\"}").status);
		r = run("{\"code\":\"x\",\"timeout_seconds\":-1}");
		CPPUNIT_ASSERT_EQUAL(400, r.status);
		r = run("{\"code\":\"exit 1\"}");
		CPPUNIT_ASSERT(r.body.find("exited without end marker") != std::string::npos);
		CPPUNIT_ASSERT(request(execd.port(), "GET", "/v1/isolated/session/" + id).body.find("\"status\":\"dead\"") != std::string::npos);
	}
};


CPPUNIT_TEST_SUITE_REGISTRATION(IntegrationIsolationTest);
