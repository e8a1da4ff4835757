// The isolation module in the real execd with the real bubblewrap (setup.sh installs it; CI runs as root).

#include "ExecdProcess.h"
#include "Poco/File.h"
#include "Poco/JSON/Parser.h"
#include "Poco/String.h"
#include <cppunit/extensions/HelperMacros.h>
#include <fstream>
#include <future>
#include <regex>
#include <thread>
#include <csignal>
#include <cstdlib>
#include <sys/stat.h>
#include <unistd.h>


using namespace execd::test;


namespace {


struct Scratch
{
	char path[48] = "/var/tmp/execd-isolation-XXXXXX";
	Scratch() { CPPUNIT_ASSERT(::mkdtemp(path)); ::chmod(path, 0755); }
	~Scratch()
	{
		try
		{
			Poco::File(path).remove(true);
		}
		catch (Poco::Exception&)
		{
			// An overlay a failed test left mounted: detached, then removed.
			std::system(("grep -o ' " + std::string(path) + "[^ ]*' /proc/self/mountinfo | xargs -r -n1 umount -l").c_str());
			try { Poco::File(path).remove(true); } catch (Poco::Exception&) {}
		}
	}
};


std::string upload(const std::string& path, const std::string& content, const std::string& extra = "")
	// A multipart body of one metadata and one file part, boundary "b0undary".
{
	return "--b0undary\r\nContent-Disposition: form-data; name=\"metadata\"; filename=\"metadata\"\r\n\r\n{\"path\":\"" + path + "\"" + extra + "}\r\n"
		"--b0undary\r\nContent-Disposition: form-data; name=\"file\"; filename=\"f\"\r\n\r\n" + content + "\r\n--b0undary--\r\n";
}


Poco::JSON::Array::Ptr array(const std::string& json)
{
	return Poco::JSON::Parser().parse(json).extract<Poco::JSON::Array::Ptr>();
}


std::string slurp(const std::string& path)
{
	std::ifstream in(path);
	return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}


void spit(const std::string& path, const std::string& content)
{
	std::ofstream(path) << content;
}


ExecdProcess::Options options(const Scratch& scratch)
{
	ExecdProcess::Options o;
	o.testModules = false;
	o.properties = {"execd.modules.load = files, isolation", "module.isolation.upperRoot = " + std::string(scratch.path) + "/upper",
		"module.isolation.allowedWritable = " + std::string(scratch.path)};
	return o;
}


} // namespace


class IntegrationIsolationTest: public CppUnit::TestFixture
{
	CPPUNIT_TEST_SUITE(IntegrationIsolationTest);
	CPPUNIT_TEST(testSessionLifecycle);
	CPPUNIT_TEST(testErrors);
	CPPUNIT_TEST(testWithoutBubblewrap);
	CPPUNIT_TEST(testRuns);
	CPPUNIT_TEST(testNoPings);
	CPPUNIT_TEST(testOverlayFiles);
	CPPUNIT_TEST(testWorkspaceModes);
	CPPUNIT_TEST(testSessionOptions);
	CPPUNIT_TEST(testFileErrors);
	CPPUNIT_TEST(testDiffAndCommit);
	CPPUNIT_TEST(testEscapes);
	CPPUNIT_TEST(testMovedWorkspace);
	CPPUNIT_TEST(testSerialisedRuns);
	CPPUNIT_TEST(testOutlivesItsWorkerThread);
	CPPUNIT_TEST(testIdleExpiry);
	CPPUNIT_TEST(testLeftoversAfterKill);
	CPPUNIT_TEST(testIsolationConfig);
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
		// Beyond upstream: execd mounts overlays itself, and diffs and commits them.
		CPPUNIT_ASSERT_MESSAGE(r.body, r.body.find(",\"setpriv_available\":true,\"userns_available\":true,\"commit_supported\":true,\"diff_supported\":true}") != std::string::npos);
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
		CPPUNIT_ASSERT_EQUAL(404, r.status);
		CPPUNIT_ASSERT_EQUAL(404, request(execd.port(), "GET", "/v1/isolated/session/x/diff").status);
		r = request(execd.port(), "POST", "/v1/isolated/session", "{\"workspace\":{\"path\":\"" + std::string(scratch.path) + "/rw\",\"mode\":\"rw\"}}");
		r = request(execd.port(), "GET", "/v1/isolated/session/" + object(r.body)->getValue<std::string>("session_id") + "/diff");
		CPPUNIT_ASSERT_EQUAL(std::string("{\"code\":\"RUNTIME_ERROR\",\"message\":\"diff needs a session whose workspace mode is overlay\"}"), r.body);
	}

	void testWithoutBubblewrap()
	{
		// No bwrap where execd runs (hidden in a mount namespace of its own): execd
		// starts, capabilities say why, the isolated routes answer 503, the other
		// modules work.
		if (::access("/usr/bin/bwrap", X_OK) != 0 || ::getuid() != 0 || std::system("command -v unshare > /dev/null") != 0) return;
		Scratch scratch;
		ExecdProcess::Options o = options(scratch);
		o.wrapper = {"/usr/bin/unshare", "--mount", "--propagation", "private", "/bin/sh", "-c",
			"mount --bind /dev/null /usr/bin/bwrap && PATH=/usr/sbin:/usr/bin:/sbin:/bin exec \"$0\" \"$@\""};
		ExecdProcess execd(o);
		HttpResult r = request(execd.port(), "GET", "/v1/isolated/capabilities");
		CPPUNIT_ASSERT_EQUAL(200, r.status);
		CPPUNIT_ASSERT_EQUAL(std::string("{\"available\":false,\"message\":\"bwrap not found: bwrap not found (searched: $PATH, /opt/opensandbox/bwrap, "
			"/usr/bin/bwrap, /usr/local/bin/bwrap)\",\"setpriv_available\":false,\"userns_available\":false,\"commit_supported\":false,\"diff_supported\":false}"), r.body);
		const std::string unavailable = "{\"code\":\"SERVICE_UNAVAILABLE\",\"message\":\"isolation unavailable\"}";
		r = request(execd.port(), "POST", "/v1/isolated/session", "{\"workspace\":{\"path\":\"/w\"}}");
		CPPUNIT_ASSERT_EQUAL(503, r.status);
		CPPUNIT_ASSERT_EQUAL(unavailable, r.body);
		CPPUNIT_ASSERT_EQUAL(unavailable, request(execd.port(), "POST", "/v1/isolated/session/x/run", "{\"code\":\"true\"}").body);
		CPPUNIT_ASSERT_EQUAL(unavailable, request(execd.port(), "GET", "/v1/isolated/session/x/files/info?path=a").body);
		CPPUNIT_ASSERT_EQUAL(unavailable, request(execd.port(), "GET", "/v1/isolated/sessions").body);
		r = request(execd.port(), "GET", "/v1/isolated/session/x/diff");
		CPPUNIT_ASSERT_EQUAL(503, r.status);
		CPPUNIT_ASSERT_EQUAL(std::string("{\"code\":\"NOT_SUPPORTED\",\"message\":\"diff is not supported here: no overlay can be mounted\"}"), r.body);
		CPPUNIT_ASSERT_EQUAL(200, request(execd.port(), "GET", "/files/info?path=/").status);   // the files module
	}

	void testRuns()
	{
		if (::access("/usr/bin/bwrap", X_OK) != 0 || ::getuid() != 0) return;
		Scratch scratch;
		ExecdProcess execd(options(scratch));
		HttpResult r = request(execd.port(), "POST", "/v1/isolated/session", "{\"workspace\":{\"path\":\"" + std::string(scratch.path) + "/ws\"}}");
		CPPUNIT_ASSERT_EQUAL(201, r.status);
		std::string id = object(r.body)->getValue<std::string>("session_id");
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
		// A line past 16 MiB fails the run as upstream's scanner does; the rest of
		// the run's output does not leak into the next run.
		r = run("{\"code\":\"head -c 17000000 /dev/zero | tr '\\\\0' x; echo; echo rest\"}");
		CPPUNIT_ASSERT_MESSAGE(r.body.substr(0, 300), r.body.find("\"evalue\":\"read stdout: bufio.Scanner: token too long\"") != std::string::npos);
		CPPUNIT_ASSERT(r.body.size() < 1000 && r.body.find("rest") == std::string::npos);
		r = run("{\"code\":\"echo next\"}");
		CPPUNIT_ASSERT_EQUAL(std::string("{\"type\":\"stdout\",\"text\":\"next\",\"timestamp\":T}\n\n{\"type\":\"execution_complete\",\"timestamp\":T}\n\n"), stripped(r.body));
		// A long script whose first lines print a lot: its input goes in while its
		// output is read (no deadlock on the two pipes).
		std::string code = "head -c 300000 /dev/zero | tr '\\\\0' y; echo; echo printed\\n";
		for (int i = 0; i < 20000; ++i) code += "Z" + std::to_string(i) + "=" + std::to_string(i) + "\\n";
		code += "echo $Z19999";
		auto started = std::chrono::steady_clock::now();
		r = run("{\"code\":\"" + code + "\",\"timeout_seconds\":20}");
		CPPUNIT_ASSERT(std::chrono::steady_clock::now() - started < std::chrono::seconds(15));
		CPPUNIT_ASSERT_MESSAGE(r.body.substr(r.body.size() > 300 ? r.body.size() - 300 : 0), r.body.find("\"text\":\"19999\"") != std::string::npos);
		// A timeout while the shell sits in an unfinished statement: the marker can
		// never come, so after the grace the session ends instead of hanging.
		started = std::chrono::steady_clock::now();
		r = run("{\"code\":\"echo 'open quote; sleep 30\",\"timeout_seconds\":1}");
		CPPUNIT_ASSERT(std::chrono::steady_clock::now() - started < std::chrono::seconds(10));
		CPPUNIT_ASSERT_MESSAGE(r.body, r.body.find("context deadline exceeded") != std::string::npos);
		CPPUNIT_ASSERT(request(execd.port(), "GET", "/v1/isolated/session/" + id).body.find("\"status\":\"dead\"") != std::string::npos);
		r = request(execd.port(), "POST", "/v1/isolated/session", "{\"workspace\":{\"path\":\"" + std::string(scratch.path) + "/ws\"}}");
		id = object(r.body)->getValue<std::string>("session_id");
		r = run("{\"code\":\"echo bye; exit 1\"}");
		CPPUNIT_ASSERT(r.body.find("exited without end marker") != std::string::npos);
		CPPUNIT_ASSERT_EQUAL(std::size_t(2), sseEvents(r.body).size());   // "bye" once, then the error
		CPPUNIT_ASSERT(request(execd.port(), "GET", "/v1/isolated/session/" + id).body.find("\"status\":\"dead\"") != std::string::npos);
	}

	void testNoPings()
	{
		// A silent run longer than the ping interval: still no ping event, and no
		// headers before the terminal event (trap 2).
		if (::access("/usr/bin/bwrap", X_OK) != 0 || ::getuid() != 0) return;
		Scratch scratch;
		ExecdProcess::Options o = options(scratch);
		o.properties.push_back("execd.sse.pingIntervalMillis = 100");
		ExecdProcess execd(o);
		HttpResult r = request(execd.port(), "POST", "/v1/isolated/session", "{\"workspace\":{\"path\":\"" + std::string(scratch.path) + "/ws\"}}");
		const std::string base = "/v1/isolated/session/" + object(r.body)->getValue<std::string>("session_id");
		std::string firstBytes;
		const auto start = std::chrono::steady_clock::now();
		std::chrono::steady_clock::duration firstAt{};
		r = request(execd.port(), "POST", base + "/run", "{\"code\":\"sleep 0.6\"}", {}, [&](const std::string& received)
		{
			if (firstBytes.empty() && !received.empty())
			{
				firstBytes = received;
				firstAt = std::chrono::steady_clock::now() - start;
			}
		});
		CPPUNIT_ASSERT_EQUAL(std::size_t(1), sseEvents(r.body).size());
		CPPUNIT_ASSERT(r.body.find("execution_complete") != std::string::npos);
		CPPUNIT_ASSERT(firstAt > std::chrono::milliseconds(500));   // nothing at all before the end
	}

	void testOverlayFiles()
	{
		// Every file route on an overlay session: the proxy sees what the session
		// writes and the session sees what the proxy writes; the host's workspace
		// never changes.
		if (::access("/usr/bin/bwrap", X_OK) != 0 || ::getuid() != 0) return;
		Scratch scratch;
		const std::string ws = std::string(scratch.path) + "/ws";
		Poco::File(ws + "/src").createDirectories();
		spit(ws + "/src/a.txt", "alpha beta alpha\n");
		spit(ws + "/keep.txt", "host\n");
		::chmod(ws.c_str(), 0777);   // the session runs as nobody
		ExecdProcess execd(options(scratch));
		HttpResult r = request(execd.port(), "POST", "/v1/isolated/session", "{\"workspace\":{\"path\":\"" + ws + "\"},\"uid\":65534,\"gid\":65534}");
		CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, 201, r.status);
		const std::string id = object(r.body)->getValue<std::string>("session_id");
		const std::string base = "/v1/isolated/session/" + id;
		auto run = [&](const std::string& code) { return request(execd.port(), "POST", base + "/run", "{\"code\":\"" + code + "\"}").body; };
		const std::map<std::string, std::string> form{{"Content-Type", "multipart/form-data; boundary=b0undary"}};

		// upload: a new file, default mode 0644, the parents made, owned by the session.
		r = request(execd.port(), "POST", base + "/files/upload", upload(ws + "/new/dir/up.txt", "uploaded"), form);
		CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, 200, r.status);
		CPPUNIT_ASSERT_EQUAL(std::string("0"), r.header("Content-Length"));
		CPPUNIT_ASSERT(!Poco::File(ws + "/new").exists());   // not on the host
		CPPUNIT_ASSERT(run("cat " + ws + "/new/dir/up.txt").find("\"uploaded\"") != std::string::npos);
		CPPUNIT_ASSERT(run("stat -c %a:%u " + ws + "/new/dir/up.txt").find("\"644:65534\"") != std::string::npos);
		r = request(execd.port(), "POST", base + "/files/upload", upload("rel.txt", "relative", ",\"mode\":600,\"owner\":\"root\""), form);
		CPPUNIT_ASSERT_EQUAL(200, r.status);
		CPPUNIT_ASSERT(run("stat -c %a:%u " + ws + "/rel.txt").find("\"600:65534\"") != std::string::npos);   // owner ignored

		// info: the isolated FileInfo shape, keyed by the path as sent.
		r = request(execd.port(), "GET", base + "/files/info?path=src/a.txt");
		CPPUNIT_ASSERT_EQUAL(200, r.status);
		CPPUNIT_ASSERT_MESSAGE(r.body, std::regex_match(r.body, std::regex("\\{\"src/a.txt\":\\{\"path\":\"src/a.txt\",\"type\":\"file\",\"size\":17,\"modified_at\":\"[-0-9T:.]+(Z|[-+][0-9:]+)\","
			"\"created_at\":\"0001-01-01T00:00:00Z\",\"owner\":\"\",\"group\":\"\",\"mode\":644\\}\\}")));
		CPPUNIT_ASSERT_EQUAL(std::string("{}"), request(execd.port(), "GET", base + "/files/info").body);
		// trap 13: an absolute path outside the workspace is re-rooted inside it.
		r = request(execd.port(), "POST", base + "/files/upload", upload("/etc/escape.txt", "inside"), form);
		CPPUNIT_ASSERT_EQUAL(200, r.status);
		CPPUNIT_ASSERT(!Poco::File("/etc/escape.txt").exists());
		CPPUNIT_ASSERT(run("cat " + ws + "/etc/escape.txt").find("\"inside\"") != std::string::npos);
		r = request(execd.port(), "GET", base + "/files/info?path=/etc/escape.txt");
		CPPUNIT_ASSERT_MESSAGE(r.body, r.body.find("\"/etc/escape.txt\":{\"path\":\"/etc/escape.txt\",\"type\":\"file\",\"size\":6") != std::string::npos);

		// What the session writes, the proxy reads: download, Range and lines.
		const std::string made = run("printf 'l1\\\\nl2\\\\nl3\\\\n' > " + ws + "/made.txt");
		r = request(execd.port(), "GET", base + "/files/download?path=made.txt");
		CPPUNIT_ASSERT_EQUAL_MESSAGE(made + r.body, 200, r.status);
		CPPUNIT_ASSERT_EQUAL(std::string("l1\nl2\nl3\n"), r.body);
		CPPUNIT_ASSERT_EQUAL(std::string("attachment; filename=\"made.txt\""), r.header("Content-Disposition"));
		r = request(execd.port(), "GET", base + "/files/download?path=made.txt", "", {{"Range", "bytes=3-4"}});
		CPPUNIT_ASSERT_EQUAL(206, r.status);
		CPPUNIT_ASSERT_EQUAL(std::string("l2"), r.body);
		r = request(execd.port(), "GET", base + "/files/download?path=made.txt&offset=2&limit=5");
		CPPUNIT_ASSERT_EQUAL(std::string("l2\nl3"), r.body);
		CPPUNIT_ASSERT(!Poco::File(ws + "/made.txt").exists());

		// search: base-name match, workspace-relative paths, sorted.
		r = request(execd.port(), "GET", base + "/files/search?path=" + ws + "&pattern=*.txt");
		CPPUNIT_ASSERT_EQUAL(200, r.status);
		auto found = array(r.body);
		std::vector<std::string> paths;
		for (std::size_t i = 0; i < found->size(); ++i) paths.push_back(found->getObject(i)->getValue<std::string>("path"));
		CPPUNIT_ASSERT_EQUAL(std::string("etc/escape.txt keep.txt made.txt new/dir/up.txt rel.txt src/a.txt"), Poco::cat(std::string(" "), paths.begin(), paths.end()));
		CPPUNIT_ASSERT_EQUAL(std::string("[]"), request(execd.port(), "GET", base + "/files/search?path=nowhere").body);
		CPPUNIT_ASSERT_EQUAL(std::string("[]"), request(execd.port(), "GET", base + "/files/search?path=.&pattern=[").body);
		CPPUNIT_ASSERT_EQUAL(std::size_t(1), array(request(execd.port(), "GET", base + "/files/search?path=src&pattern=?.t[x]t").body)->size());

		// list: pre-order, sorted, child paths from the path as sent.
		r = request(execd.port(), "GET", base + "/directories/list?path=src&depth=1");
		CPPUNIT_ASSERT_EQUAL(200, r.status);
		CPPUNIT_ASSERT_EQUAL(std::string("src/a.txt"), array(r.body)->getObject(0)->getValue<std::string>("path"));
		r = request(execd.port(), "GET", base + "/directories/list?path=new&depth=3");
		auto listed = array(r.body);
		CPPUNIT_ASSERT_EQUAL(std::size_t(2), listed->size());
		CPPUNIT_ASSERT_EQUAL(std::string("new/dir"), listed->getObject(0)->getValue<std::string>("path"));
		CPPUNIT_ASSERT_EQUAL(std::string("directory"), listed->getObject(0)->getValue<std::string>("type"));
		CPPUNIT_ASSERT_EQUAL(std::string("new/dir/up.txt"), listed->getObject(1)->getValue<std::string>("path"));
		CPPUNIT_ASSERT_EQUAL(std::string("[]"), request(execd.port(), "GET", base + "/directories/list?path=new&depth=0").body);
		CPPUNIT_ASSERT_EQUAL(std::string("[]"), request(execd.port(), "GET", base + "/directories/list?path=keep.txt").body);

		// replace: all occurrences, the mode kept; counts only with verbose=true.
		r = request(execd.port(), "POST", base + "/files/replace", "{\"src/a.txt\":{\"old\":\"alpha\",\"new\":\"gamma\"}}");
		CPPUNIT_ASSERT_EQUAL(200, r.status);
		CPPUNIT_ASSERT_EQUAL(std::string("0"), r.header("Content-Length"));
		CPPUNIT_ASSERT(run("cat " + ws + "/src/a.txt").find("\"gamma beta gamma\"") != std::string::npos);
		r = request(execd.port(), "POST", base + "/files/replace?verbose=true", "{\"src/a.txt\":{\"old\":\"gamma\",\"new\":\"g\"}}");
		CPPUNIT_ASSERT_EQUAL(std::string("{\"src/a.txt\":{\"replacedCount\":2}}"), r.body);
		CPPUNIT_ASSERT_EQUAL(std::string("alpha beta alpha\n"), slurp(ws + "/src/a.txt"));   // the host's copy

		// permissions, mv (over an existing file), mkdir, delete, rmdir.
		r = request(execd.port(), "POST", base + "/files/permissions", "{\"keep.txt\":{\"mode\":600,\"owner\":\"nobody\"}}");
		CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, 200, r.status);
		CPPUNIT_ASSERT(run("stat -c %a " + ws + "/keep.txt").find("\"600\"") != std::string::npos);
		r = request(execd.port(), "POST", base + "/files/mv", "[{\"src\":\"rel.txt\",\"dest\":\"keep.txt\"}]");
		CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, 200, r.status);
		CPPUNIT_ASSERT(run("cat " + ws + "/keep.txt").find("\"relative\"") != std::string::npos);
		r = request(execd.port(), "POST", base + "/directories", "{\"made/deep\":{\"mode\":700}}");
		CPPUNIT_ASSERT_EQUAL(200, r.status);
		CPPUNIT_ASSERT(run("stat -c %a:%u " + ws + "/made/deep").find("\"700:65534\"") != std::string::npos);
		r = request(execd.port(), "DELETE", base + "/files?path=src/a.txt");
		CPPUNIT_ASSERT_EQUAL(200, r.status);
		CPPUNIT_ASSERT(run("ls " + ws + "/src | wc -l").find("\"0\"") != std::string::npos);   // a real whiteout: gone inside too
		CPPUNIT_ASSERT(Poco::File(ws + "/src/a.txt").exists());   // and still on the host
		r = request(execd.port(), "DELETE", base + "/files?path=src/a.txt");
		CPPUNIT_ASSERT_EQUAL(500, r.status);
		CPPUNIT_ASSERT_EQUAL(std::string("{\"code\":\"RUNTIME_ERROR\",\"message\":\"file does not exist\"}"), r.body);
		r = request(execd.port(), "DELETE", base + "/directories?path=new&path=missing");
		CPPUNIT_ASSERT_EQUAL(200, r.status);
		CPPUNIT_ASSERT_EQUAL(404, request(execd.port(), "GET", base + "/files/info?path=new").status);
		CPPUNIT_ASSERT_EQUAL(std::string("host\n"), slurp(ws + "/keep.txt"));

		// A link the session plants is not followed by the proxy.
		run("ln -s /etc " + ws + "/out; ln -s /etc/shadow " + ws + "/shadow");
		r = request(execd.port(), "GET", base + "/files/download?path=out/passwd");
		CPPUNIT_ASSERT_EQUAL(500, r.status);
		CPPUNIT_ASSERT_EQUAL(std::string("{\"code\":\"RUNTIME_ERROR\",\"message\":\"symlink target denied: " + ws + "/out\"}"), r.body);
		CPPUNIT_ASSERT_EQUAL(500, request(execd.port(), "GET", base + "/files/download?path=shadow").status);
		CPPUNIT_ASSERT_EQUAL(500, request(execd.port(), "POST", base + "/files/upload", upload("out/x", "no"), form).status);
		CPPUNIT_ASSERT_EQUAL(500, request(execd.port(), "POST", base + "/files/permissions", "{\"shadow\":{\"mode\":777}}").status);
		r = request(execd.port(), "GET", base + "/files/info?path=shadow");
		CPPUNIT_ASSERT(r.body.find("\"type\":\"symlink\"") != std::string::npos);
		struct stat st;
		CPPUNIT_ASSERT_EQUAL(0, ::stat("/etc/shadow", &st));
		CPPUNIT_ASSERT((st.st_mode & 0777) != 0777);
	}

	void testWorkspaceModes()
	{
		// rw: both ways, on the host; ro: reads work, every write is refused.
		if (::access("/usr/bin/bwrap", X_OK) != 0 || ::getuid() != 0) return;
		Scratch scratch;
		const std::string rw = std::string(scratch.path) + "/rw";
		const std::string ro = std::string(scratch.path) + "/ro";
		Poco::File(ro).createDirectories();
		spit(ro + "/r.txt", "read me");
		ExecdProcess execd(options(scratch));
		HttpResult r = request(execd.port(), "POST", "/v1/isolated/session", "{\"workspace\":{\"path\":\"" + rw + "\",\"mode\":\"rw\"}}");
		CPPUNIT_ASSERT_EQUAL(201, r.status);
		const std::string rwBase = "/v1/isolated/session/" + object(r.body)->getValue<std::string>("session_id");
		r = request(execd.port(), "POST", rwBase + "/run", "{\"code\":\"echo fromsession > " + rw + "/s.txt; rm -f " + rw + "/gone\"}");
		CPPUNIT_ASSERT_EQUAL(std::string("fromsession\n"), slurp(rw + "/s.txt"));
		r = request(execd.port(), "POST", rwBase + "/files/upload", upload("p.txt", "fromproxy"), {{"Content-Type", "multipart/form-data; boundary=b0undary"}});
		CPPUNIT_ASSERT_EQUAL(200, r.status);
		CPPUNIT_ASSERT_EQUAL(std::string("fromproxy"), slurp(rw + "/p.txt"));
		r = request(execd.port(), "POST", "/v1/isolated/session", "{\"workspace\":{\"path\":\"" + ro + "\",\"mode\":\"ro\"}}");
		CPPUNIT_ASSERT_EQUAL(201, r.status);
		const std::string roBase = "/v1/isolated/session/" + object(r.body)->getValue<std::string>("session_id");
		r = request(execd.port(), "POST", roBase + "/run", "{\"code\":\"echo x > " + ro + "/w.txt\"}");
		CPPUNIT_ASSERT_MESSAGE(r.body, r.body.find("Read-only file system") != std::string::npos);
		CPPUNIT_ASSERT(!Poco::File(ro + "/w.txt").exists());
		CPPUNIT_ASSERT_EQUAL(std::string("read me"), request(execd.port(), "GET", roBase + "/files/download?path=r.txt").body);
		r = request(execd.port(), "DELETE", roBase + "/files?path=r.txt");
		CPPUNIT_ASSERT_EQUAL(500, r.status);
		CPPUNIT_ASSERT_EQUAL(std::string("{\"code\":\"RUNTIME_ERROR\",\"message\":\"remove denied: workspace is read-only\"}"), r.body);
		r = request(execd.port(), "POST", roBase + "/files/upload", upload("x.txt", "no"), {{"Content-Type", "multipart/form-data; boundary=b0undary"}});
		CPPUNIT_ASSERT_EQUAL(std::string("{\"code\":\"RUNTIME_ERROR\",\"message\":\"write denied: workspace is read-only\"}"), r.body);
		CPPUNIT_ASSERT(request(execd.port(), "POST", roBase + "/directories", "{\"d\":{}}").body.find("mkdir denied") != std::string::npos);
		CPPUNIT_ASSERT(request(execd.port(), "POST", roBase + "/files/mv", "[{\"src\":\"r.txt\",\"dest\":\"s.txt\"}]").body.find("rename denied") != std::string::npos);
		CPPUNIT_ASSERT(request(execd.port(), "POST", roBase + "/files/permissions", "{\"r.txt\":{\"mode\":600}}").body.find("chmod denied") != std::string::npos);
		CPPUNIT_ASSERT(Poco::File(ro + "/r.txt").exists());
	}

	void testSessionOptions()
	{
		// The create options at run time: userns, profiles, share_net, binds,
		// env_passthrough, and a workspace inside the strict profile's private /tmp.
		if (::access("/usr/bin/bwrap", X_OK) != 0 || ::getuid() != 0) return;
		Scratch scratch;
		const std::string dir = scratch.path;
		Poco::File(dir + "/in").createDirectories();
		spit(dir + "/in/data.txt", "bound\n");
		char hostTmp[] = "/tmp/execd-iso-XXXXXX";
		CPPUNIT_ASSERT(::mkdtemp(hostTmp));
		::chmod(hostTmp, 0777);
		const std::string tmpFile = std::string(hostTmp) + "/host.txt";
		spit(tmpFile, "host tmp");
		ExecdProcess::Options o = options(scratch);
		o.env["MY_API_KEY"] = "k-secret";
		o.env["PLAIN"] = "p-plain";
		ExecdProcess execd(o);
		auto session = [&](const std::string& extra)
		{
			HttpResult r = request(execd.port(), "POST", "/v1/isolated/session", "{\"workspace\":{\"path\":\"" + dir + "/ws\",\"mode\":\"rw\"}" + extra + "}");
			CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, 201, r.status);
			return "/v1/isolated/session/" + object(r.body)->getValue<std::string>("session_id");
		};
		auto run = [&](const std::string& base, const std::string& code) { return request(execd.port(), "POST", base + "/run", "{\"code\":" + quote(code) + "}").body; };
		auto has = [](const std::string& out, const std::string& text) { return out.find("\"text\":\"" + text + "\"") != std::string::npos; };

		std::string base = session(",\"uid_mode\":\"userns\",\"uid\":1000,\"gid\":1000");
		std::string out = run(base, "id -u; id -g; echo made > " + dir + "/ws/userns.txt");
		CPPUNIT_ASSERT_MESSAGE(out, has(out, "1000"));
		struct stat st;
		CPPUNIT_ASSERT(::stat((dir + "/ws/userns.txt").c_str(), &st) == 0 && st.st_uid == 0);   // execd's own id on the host
		CPPUNIT_ASSERT_MESSAGE(out, request(execd.port(), "GET", base).body.find("\"uid_mode\":\"userns\"") != std::string::npos);

		out = run(session(",\"profile\":\"balanced\""), "cat " + tmpFile);
		CPPUNIT_ASSERT_MESSAGE(out, has(out, "host tmp"));
		out = run(session(""), "cat " + tmpFile + " || echo hidden");   // strict: a private /tmp
		CPPUNIT_ASSERT_MESSAGE(out, has(out, "hidden"));

		out = run(session(",\"share_net\":false"), "wc -l < /proc/net/dev");   // only lo: two header lines and one
		CPPUNIT_ASSERT_MESSAGE(out, has(out, "3"));
		out = run(session(""), "wc -l < /proc/net/dev");
		CPPUNIT_ASSERT_MESSAGE(out, !has(out, "3") || std::system("test $(wc -l < /proc/net/dev) -eq 3") == 0);

		base = session(",\"binds\":[{\"source\":\"" + dir + "/in\",\"dest\":\"/mnt\",\"readonly\":true}],\"extra_writable\":[\"" + dir + "/in\"]");
		out = run(base, "cat /mnt/data.txt; echo x > /mnt/w.txt || echo ro; echo y > " + dir + "/in/w.txt && echo rw");
		CPPUNIT_ASSERT_MESSAGE(out, has(out, "bound") && has(out, "ro") && has(out, "rw"));

		out = run(session(""), "echo \"[$MY_API_KEY][$PLAIN]\"");
		CPPUNIT_ASSERT_MESSAGE(out, has(out, "[][p-plain]"));   // the deny blacklist
		out = run(session(",\"env_passthrough\":{\"mode\":\"deny\",\"keys\":[\"PLAIN\"]}"), "echo \"[$MY_API_KEY][$PLAIN]\"");
		CPPUNIT_ASSERT_MESSAGE(out, has(out, "[k-secret][]"));   // exactly the keys, no blacklist
		out = run(session(",\"env_passthrough\":{\"mode\":\"allow\",\"keys\":[\"PLAIN\"]}"), "echo \"[$MY_API_KEY][$PLAIN][${HOME:-nohome}]\"");
		CPPUNIT_ASSERT_MESSAGE(out, has(out, "[][p-plain][nohome]"));

		// A workspace inside the strict profile's private /tmp, for a session user.
		const std::string tmpWs = std::string(hostTmp) + "/deep/ws";
		HttpResult r = request(execd.port(), "POST", "/v1/isolated/session", "{\"workspace\":{\"path\":\"" + tmpWs + "\",\"mode\":\"rw\"},\"uid\":65534,\"gid\":65534}");
		CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, 201, r.status);
		::chmod(tmpWs.c_str(), 0777);
		out = run("/v1/isolated/session/" + object(r.body)->getValue<std::string>("session_id"), "echo ok > " + tmpWs + "/f && cat " + tmpWs + "/f");
		CPPUNIT_ASSERT_MESSAGE(out, has(out, "ok"));
		Poco::File(hostTmp).remove(true);
	}

	void testFileErrors()
	{
		if (::access("/usr/bin/bwrap", X_OK) != 0 || ::getuid() != 0) return;
		Scratch scratch;
		const std::string ws = std::string(scratch.path) + "/ws";
		ExecdProcess execd(options(scratch));
		HttpResult r = request(execd.port(), "GET", "/v1/isolated/session/nope/files/info?path=x");
		CPPUNIT_ASSERT_EQUAL(404, r.status);
		CPPUNIT_ASSERT_EQUAL(std::string("{\"code\":\"SESSION_NOT_FOUND\",\"message\":\"session not found\"}"), r.body);
		r = request(execd.port(), "POST", "/v1/isolated/session", "{\"workspace\":{\"path\":\"" + ws + "\"}}");
		const std::string base = "/v1/isolated/session/" + object(r.body)->getValue<std::string>("session_id");
		r = request(execd.port(), "GET", base + "/files/info?path=missing");
		CPPUNIT_ASSERT_EQUAL(404, r.status);
		CPPUNIT_ASSERT_EQUAL(std::string("{\"code\":\"FILE_NOT_FOUND\",\"message\":\"lstat " + ws + "/missing: no such file or directory\"}"), r.body);
		r = request(execd.port(), "GET", base + "/files/info?path=../up");
		CPPUNIT_ASSERT_EQUAL(500, r.status);
		CPPUNIT_ASSERT_EQUAL(std::string("{\"code\":\"RUNTIME_ERROR\",\"message\":\"path traversal denied: ../up\"}"), r.body);
		r = request(execd.port(), "GET", base + "/files/download");
		CPPUNIT_ASSERT_EQUAL(std::string("{\"code\":\"MISSING_QUERY\",\"message\":\"path is required\"}"), r.body);
		r = request(execd.port(), "GET", base + "/files/download?path=missing");
		CPPUNIT_ASSERT_EQUAL(404, r.status);
		CPPUNIT_ASSERT_EQUAL(400, request(execd.port(), "GET", base + "/files/download?path=missing&offset=1", "", {{"Range", "bytes=0-1"}}).status);
		r = request(execd.port(), "GET", base + "/directories/list");
		CPPUNIT_ASSERT_EQUAL(std::string("{\"code\":\"MISSING_QUERY\",\"message\":\"missing query parameter 'path'\"}"), r.body);
		r = request(execd.port(), "GET", base + "/directories/list?path=.&depth=x");
		CPPUNIT_ASSERT_EQUAL(std::string("{\"code\":\"INVALID_REQUEST_BODY\",\"message\":\"invalid query parameter 'depth': x\"}"), r.body);
		CPPUNIT_ASSERT_EQUAL(404, request(execd.port(), "GET", base + "/directories/list?path=missing").status);
		r = request(execd.port(), "POST", base + "/files/permissions", "{\"a\":{\"mode\":789}}");
		CPPUNIT_ASSERT_EQUAL(400, r.status);
		CPPUNIT_ASSERT(r.body.find("invalid mode for a: strconv.ParseUint") != std::string::npos);
		CPPUNIT_ASSERT_EQUAL(200, request(execd.port(), "POST", base + "/files/permissions", "{\"missing\":{\"mode\":0}}").status);
		r = request(execd.port(), "POST", base + "/files/replace", "{\"a\":{\"old\":\"\",\"new\":\"x\"}}");
		CPPUNIT_ASSERT_EQUAL(std::string("{\"code\":\"INVALID_REQUEST_BODY\",\"message\":\"old content must not be empty\"}"), r.body);
		CPPUNIT_ASSERT_EQUAL(404, request(execd.port(), "POST", base + "/files/replace", "{\"a\":{\"old\":\"x\",\"new\":\"y\"}}").status);
		r = request(execd.port(), "POST", base + "/files/mv", "[{\"src\":\"missing\",\"dest\":\"b\"}]");
		CPPUNIT_ASSERT_EQUAL(404, r.status);
		CPPUNIT_ASSERT_EQUAL(std::string("{\"code\":\"FILE_NOT_FOUND\",\"message\":\"open " + ws + "/missing: no such file or directory\"}"), r.body);
		r = request(execd.port(), "POST", base + "/files/upload", "--b0undary--\r\n", {{"Content-Type", "multipart/form-data; boundary=b0undary"}});
		CPPUNIT_ASSERT_EQUAL(400, r.status);
		r = request(execd.port(), "POST", base + "/run", "{\"code\":\"exit 0\"}");
		r = request(execd.port(), "GET", base + "/files/info?path=x");
		CPPUNIT_ASSERT_EQUAL(500, r.status);
		CPPUNIT_ASSERT_EQUAL(std::string("{\"code\":\"RUNTIME_ERROR\",\"message\":\"isolated session is not active\"}"), r.body);
	}

	void testDiffAndCommit()
	{
		if (::access("/usr/bin/bwrap", X_OK) != 0 || ::getuid() != 0) return;
		Scratch scratch;
		const std::string ws = std::string(scratch.path) + "/ws";
		Poco::File(ws + "/dir/sub").createDirectories();
		Poco::File(ws + "/tree/deep").createDirectories();
		spit(ws + "/same.txt", "same");
		spit(ws + "/edit.txt", "old");
		spit(ws + "/gone.txt", "bye!");
		spit(ws + "/dir/sub/x", "x");
		spit(ws + "/tree/deep/y", "y");
		ExecdProcess execd(options(scratch));
		HttpResult r = request(execd.port(), "POST", "/v1/isolated/session", "{\"workspace\":{\"path\":\"" + ws + "\"}}");
		const std::string base = "/v1/isolated/session/" + object(r.body)->getValue<std::string>("session_id");
		CPPUNIT_ASSERT_EQUAL(std::string("{\"changes\":[],\"added\":0,\"modified\":0,\"deleted\":0,\"bytes\":0}"), request(execd.port(), "GET", base + "/diff").body);
		r = request(execd.port(), "POST", base + "/run", "{\"code\":\"cd " + ws + " && echo -n new > edit.txt && rm gone.txt && rm -r tree && mkdir -p tree/fresh"
			" && echo -n hello > added.txt && ln -s same.txt link && cat same.txt > /dev/null && rm -r dir/sub\"}");
		CPPUNIT_ASSERT_MESSAGE(r.body, r.body.find("execution_complete") != std::string::npos);
		r = request(execd.port(), "GET", base + "/diff");
		CPPUNIT_ASSERT_EQUAL(200, r.status);
		CPPUNIT_ASSERT_EQUAL(std::string("{\"changes\":["
			"{\"path\":\"added.txt\",\"change\":\"added\",\"type\":\"file\",\"size\":5},"
			"{\"path\":\"dir/sub\",\"change\":\"deleted\",\"type\":\"directory\",\"size\":0},"
			"{\"path\":\"edit.txt\",\"change\":\"modified\",\"type\":\"file\",\"size\":3},"
			"{\"path\":\"gone.txt\",\"change\":\"deleted\",\"type\":\"file\",\"size\":4},"
			"{\"path\":\"link\",\"change\":\"added\",\"type\":\"symlink\",\"size\":0},"
			"{\"path\":\"tree/deep\",\"change\":\"deleted\",\"type\":\"directory\",\"size\":0},"
			"{\"path\":\"tree/fresh\",\"change\":\"added\",\"type\":\"directory\",\"size\":0}"
			"],\"added\":3,\"modified\":1,\"deleted\":3,\"bytes\":8}"), r.body);
		CPPUNIT_ASSERT_EQUAL(std::string("old"), slurp(ws + "/edit.txt"));   // a diff changes nothing
		r = request(execd.port(), "POST", base + "/commit");
		CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, 200, r.status);
		CPPUNIT_ASSERT(r.body.find("\"added\":3,\"modified\":1,\"deleted\":3,\"bytes\":8}") != std::string::npos);
		CPPUNIT_ASSERT_EQUAL(std::string("new"), slurp(ws + "/edit.txt"));
		CPPUNIT_ASSERT_EQUAL(std::string("hello"), slurp(ws + "/added.txt"));
		CPPUNIT_ASSERT(!Poco::File(ws + "/gone.txt").exists());
		CPPUNIT_ASSERT(!Poco::File(ws + "/dir/sub").exists() && Poco::File(ws + "/dir").exists());
		CPPUNIT_ASSERT(!Poco::File(ws + "/tree/deep").exists() && Poco::File(ws + "/tree/fresh").isDirectory());
		char target[64] = {0};
		CPPUNIT_ASSERT(::readlink((ws + "/link").c_str(), target, sizeof(target) - 1) > 0);
		CPPUNIT_ASSERT_EQUAL(std::string("same.txt"), std::string(target));
		CPPUNIT_ASSERT_EQUAL(std::string("same"), slurp(ws + "/same.txt"));
		// Nothing is pending after a commit, and the session still sees its view.
		CPPUNIT_ASSERT_EQUAL(std::string("{\"changes\":[],\"added\":0,\"modified\":0,\"deleted\":0,\"bytes\":0}"), request(execd.port(), "GET", base + "/diff").body);
		r = request(execd.port(), "POST", base + "/run", "{\"code\":\"cat " + ws + "/edit.txt; echo; ls " + ws + "/tree\"}");
		CPPUNIT_ASSERT_MESSAGE(r.body, r.body.find("\"text\":\"new\"") != std::string::npos && r.body.find("\"text\":\"fresh\"") != std::string::npos);
		// A link the session plants in its upper leads the commit nowhere.
		r = request(execd.port(), "POST", base + "/run", "{\"code\":\"ln -s /etc " + ws + "/etc2 && echo -n later > " + ws + "/edit.txt\"}");
		r = request(execd.port(), "POST", base + "/commit");
		CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, 200, r.status);
		CPPUNIT_ASSERT_EQUAL(std::string("later"), slurp(ws + "/edit.txt"));
		struct stat st;
		CPPUNIT_ASSERT(::lstat((ws + "/etc2").c_str(), &st) == 0 && S_ISLNK(st.st_mode));
		// No set-id program reaches the host through a commit.
		r = request(execd.port(), "POST", base + "/run", "{\"code\":\"cp /bin/true " + ws + "/suid && chmod 4755 " + ws + "/suid\"}");
		r = request(execd.port(), "POST", base + "/commit");
		CPPUNIT_ASSERT_EQUAL(200, r.status);
		CPPUNIT_ASSERT(::stat((ws + "/suid").c_str(), &st) == 0 && (st.st_mode & 07777) == 0755);
	}

	void testEscapes()
	{
		// From inside a strict session: no write to the host, no execd process,
		// no secret of execd's or of the deny list, no namespace or mount tricks.
		if (::access("/usr/bin/bwrap", X_OK) != 0 || ::getuid() != 0) return;
		Scratch scratch;
		ExecdProcess::Options o = options(scratch);
		Tokens::addTo(o);
		o.env["MY_API_KEY"] = "api-secret-55";
		ExecdProcess execd(o);
		const auto auth = Tokens::header();
		const std::string ws = std::string(scratch.path) + "/ws";
		for (const char* who: {"\"uid\":65534,\"gid\":65534,", ""})
		{
			HttpResult r = request(execd.port(), "POST", "/v1/isolated/session", "{" + std::string(who) + "\"workspace\":{\"path\":\"" + ws + "\"}}", auth);
			CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, 201, r.status);
			const std::string base = "/v1/isolated/session/" + object(r.body)->getValue<std::string>("session_id");
			auto run = [&](const std::string& code) { return request(execd.port(), "POST", base + "/run", "{\"code\":" + quote(code) + "}", auth).body; };
			std::string out = run("echo pwned > /etc/execd-escape; echo status=$?");
			CPPUNIT_ASSERT_MESSAGE(out, out.find("status=1") != std::string::npos);
			CPPUNIT_ASSERT(!Poco::File("/etc/execd-escape").exists());
			out = run("cat /proc/" + std::to_string(execd.pid()) + "/environ; cat /proc/*/environ /proc/*/cmdline; env; echo done");
			CPPUNIT_ASSERT_MESSAGE(out, out.find("\"done\"") != std::string::npos);
			CPPUNIT_ASSERT_EQUAL_MESSAGE(out, std::string(), Tokens::leaked(out));
			CPPUNIT_ASSERT_MESSAGE(out, out.find("api-secret-55") == std::string::npos);
			out = run("ls /proc | grep -c '^[0-9]'");   // a pid namespace of its own: bwrap's init, the shell, ls, grep
			CPPUNIT_ASSERT_MESSAGE(out, std::regex_search(out, std::regex("\"text\":\"[1-5]\"")));
			out = run("mknod " + ws + "/disk b 8 0; echo mknod=$?; ip link set lo down; echo ip=$?");   // no raw devices, not the host's network
			CPPUNIT_ASSERT_MESSAGE(out, out.find("mknod=1") != std::string::npos && out.find("ip=0") == std::string::npos);
			out = run("ls -A " + std::string(scratch.path) + "/upper | wc -l");   // no session sees another's upper
			CPPUNIT_ASSERT_MESSAGE(out, out.find("\"text\":\"0\"") != std::string::npos);
			out = run("unshare -U true; echo unshare=$?; mount -t tmpfs none /mnt; echo mount=$?");
			CPPUNIT_ASSERT_MESSAGE(out, out.find("unshare=1") != std::string::npos && out.find("mount=") != std::string::npos && out.find("mount=0") == std::string::npos);
			out = run("exec 3<>/dev/tcp/127.0.0.1/" + std::to_string(execd.port()) + " && printf 'GET /v1/isolated/sessions HTTP/1.0\\r\\n\\r\\n' >&3 && head -1 <&3");
			CPPUNIT_ASSERT_MESSAGE(out, out.find("401") != std::string::npos);   // the API without the token
		}
	}

	void testMovedWorkspace()
	{
		// The workspace's directory is renamed and a link to /etc put in its place:
		// the file routes go on in the directory the session started with. Also: uploads keep an existing file's mode, chmod refuses
		// a hard-linked file, and a timeout with an orphaned background job keeps
		// the shell.
		if (::access("/usr/bin/bwrap", X_OK) != 0 || ::getuid() != 0) return;
		Scratch scratch;
		const std::string parent = std::string(scratch.path) + "/p";
		const std::string ws = parent + "/ws";
		Poco::File(ws).createDirectories();
		ExecdProcess execd(options(scratch));
		HttpResult r = request(execd.port(), "POST", "/v1/isolated/session", "{\"workspace\":{\"path\":\"" + ws + "\",\"mode\":\"rw\"},\"extra_writable\":[\"" + parent + "\"]}");
		CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, 201, r.status);
		const std::string base = "/v1/isolated/session/" + object(r.body)->getValue<std::string>("session_id");
		auto run = [&](const std::string& code, const std::string& extra = "") { return request(execd.port(), "POST", base + "/run", "{\"code\":" + quote(code) + extra + "}").body; };
		CPPUNIT_ASSERT(run("true").find("execution_complete") != std::string::npos);   // bwrap has made its mounts
		// Inside the session the workspace is a mount point (rename: EBUSY); on the
		// host, another session or process with the directory above can.
		CPPUNIT_ASSERT_EQUAL(0, ::rename(ws.c_str(), (parent + "/old").c_str()));
		CPPUNIT_ASSERT_EQUAL(0, ::symlink("/etc", ws.c_str()));
		const std::map<std::string, std::string> form{{"Content-Type", "multipart/form-data; boundary=b0undary"}};
		r = request(execd.port(), "POST", base + "/files/upload", upload("execd-planted.txt", "x"), form);
		CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, 200, r.status);
		CPPUNIT_ASSERT(!Poco::File("/etc/execd-planted.txt").exists());
		CPPUNIT_ASSERT_EQUAL(std::string("x"), slurp(parent + "/old/execd-planted.txt"));
		// An existing file keeps its mode when uploaded over.
		spit(parent + "/old/x.sh", "#!/bin/sh\necho ran\n");
		::chmod((parent + "/old/x.sh").c_str(), 0755);
		r = request(execd.port(), "POST", base + "/files/upload", upload("x.sh", "#!/bin/sh\necho again\n"), form);
		struct stat st;
		CPPUNIT_ASSERT(::stat((parent + "/old/x.sh").c_str(), &st) == 0 && (st.st_mode & 0777) == 0755);
		// A hard link's mode is not changed through the session's name for it.
		CPPUNIT_ASSERT_EQUAL(0, ::link((parent + "/old/x.sh").c_str(), (parent + "/old/link").c_str()));
		r = request(execd.port(), "POST", base + "/files/permissions", "{\"x.sh\":{\"mode\":777}}");
		CPPUNIT_ASSERT_EQUAL(500, r.status);
		CPPUNIT_ASSERT_MESSAGE(r.body, r.body.find("hard link target denied") != std::string::npos);
		// An orphaned background job, then a timeout: the shell is not what is stopped.
		std::string bg = run("X=kept; (sleep 100 &)");
		CPPUNIT_ASSERT_MESSAGE(bg, bg.find("execution_complete") != std::string::npos);
		std::string out = run("sleep 30", ",\"timeout_seconds\":1");
		CPPUNIT_ASSERT_MESSAGE(out, out.find("context deadline exceeded") != std::string::npos);
		out = run("echo $X");
		CPPUNIT_ASSERT_MESSAGE(out, out.find("\"text\":\"kept\"") != std::string::npos);
	}

	void testSerialisedRuns()
	{
		if (::access("/usr/bin/bwrap", X_OK) != 0 || ::getuid() != 0) return;
		Scratch scratch;
		ExecdProcess execd(options(scratch));
		HttpResult r = request(execd.port(), "POST", "/v1/isolated/session", "{\"workspace\":{\"path\":\"" + std::string(scratch.path) + "/ws\"}}");
		const std::string base = "/v1/isolated/session/" + object(r.body)->getValue<std::string>("session_id");
		auto first = startRequest(execd.port(), "POST", base + "/run", "{\"code\":\"echo one; sleep 0.5; echo one-done\"}", "\"one\"");
		const auto start = std::chrono::steady_clock::now();
		r = request(execd.port(), "POST", base + "/run", "{\"code\":\"echo two\"}");   // waits, is not refused
		CPPUNIT_ASSERT(std::chrono::steady_clock::now() - start > std::chrono::milliseconds(300));
		CPPUNIT_ASSERT_MESSAGE(r.body, r.body.find("\"two\"") != std::string::npos && r.body.find("one") == std::string::npos);
		HttpResult one = first.get();
		CPPUNIT_ASSERT_MESSAGE(one.body, one.body.find("\"one-done\"") != std::string::npos && one.body.find("two") == std::string::npos);
		// A client that goes away stops its run, and the session stays.
		const std::string body = "{\"code\":\"echo started; sleep 30\"}";
		HttpResult cut = rawRequest(execd.port(), "POST " + base + "/run HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: "
			+ std::to_string(body.size()) + "\r\n\r\n" + body, std::chrono::milliseconds(500));
		CPPUNIT_ASSERT_MESSAGE(cut.raw, cut.raw.find("started") != std::string::npos);   // then the connection closed
		const auto after = std::chrono::steady_clock::now();
		r = request(execd.port(), "POST", base + "/run", "{\"code\":\"echo after\"}");
		CPPUNIT_ASSERT(r.body.find("\"after\"") != std::string::npos);
		CPPUNIT_ASSERT(std::chrono::steady_clock::now() - after < std::chrono::seconds(5));
	}

	void testOutlivesItsWorkerThread()
	{
		// bwrap's --die-with-parent is the death of the thread that started it: a
		// session created on a worker thread that execd later releases must live on.
		if (::access("/usr/bin/bwrap", X_OK) != 0 || ::getuid() != 0) return;
		Scratch scratch;
		ExecdProcess::Options o = options(scratch);
		o.properties.push_back("execd.http.threadIdleMillis = 1000");
		ExecdProcess execd(o);
		const std::string body = "{\"workspace\":{\"path\":\"" + std::string(scratch.path) + "/ws\"}}";
		// Sessions created on several workers at once: all but one of those
		// threads are released later.
		std::vector<std::future<HttpResult>> creating;
		for (int i = 0; i < 4; ++i)
			creating.push_back(std::async(std::launch::async, [&] { return request(execd.port(), "POST", "/v1/isolated/session", body); }));
		std::vector<std::string> ids;
		for (auto& f: creating)
		{
			HttpResult r = f.get();
			CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, 201, r.status);
			ids.push_back(object(r.body)->getValue<std::string>("session_id"));
		}
		std::this_thread::sleep_for(std::chrono::milliseconds(7000));   // idle workers go within the housekeeper's 5 s
		for (const std::string& s: ids)
		{
			HttpResult r = request(execd.port(), "POST", "/v1/isolated/session/" + s + "/run", "{\"code\":\"echo alive\"}");
			CPPUNIT_ASSERT_MESSAGE(s + ": " + r.body, r.body.find("\"text\":\"alive\"") != std::string::npos);
		}
	}

	void testIdleExpiry()
	{
		if (::access("/usr/bin/bwrap", X_OK) != 0 || ::getuid() != 0) return;
		Scratch scratch;
		ExecdProcess::Options o = options(scratch);
		o.properties.push_back("module.isolation.gcIntervalMillis = 100");
		ExecdProcess execd(o);
		HttpResult r = request(execd.port(), "POST", "/v1/isolated/session", "{\"workspace\":{\"path\":\"" + std::string(scratch.path) + "/ws\"},\"idle_timeout_seconds\":1}");
		const std::string idle = object(r.body)->getValue<std::string>("session_id");
		r = request(execd.port(), "POST", "/v1/isolated/session", "{\"workspace\":{\"path\":\"" + std::string(scratch.path) + "/ws\"},\"idle_timeout_seconds\":1}");
		const std::string busy = object(r.body)->getValue<std::string>("session_id");
		r = request(execd.port(), "POST", "/v1/isolated/session", "{\"workspace\":{\"path\":\"" + std::string(scratch.path) + "/ws\"}}");
		const std::string forever = object(r.body)->getValue<std::string>("session_id");
		// busy runs for longer than its idle timeout: it is never reaped mid-run.
		r = request(execd.port(), "POST", "/v1/isolated/session/" + busy + "/run", "{\"code\":\"sleep 1.6; echo survived\"}");
		CPPUNIT_ASSERT_MESSAGE(r.body, r.body.find("\"survived\"") != std::string::npos);
		CPPUNIT_ASSERT_EQUAL(404, request(execd.port(), "GET", "/v1/isolated/session/" + idle).status);
		CPPUNIT_ASSERT_EQUAL(200, request(execd.port(), "GET", "/v1/isolated/session/" + busy).status);   // its idle time began again
		std::this_thread::sleep_for(std::chrono::milliseconds(1400));
		CPPUNIT_ASSERT_EQUAL(404, request(execd.port(), "GET", "/v1/isolated/session/" + busy).status);
		CPPUNIT_ASSERT_EQUAL(200, request(execd.port(), "GET", "/v1/isolated/session/" + forever).status);   // 0: never
		std::vector<std::string> left;
		Poco::File(std::string(scratch.path) + "/upper").list(left);
		CPPUNIT_ASSERT_EQUAL(std::size_t(1), left.size());   // only forever's upper is left
	}

	void testLeftoversAfterKill()
	{
		// SIGKILL of execd: its sessions die with it (--die-with-parent); the next
		// execd unmounts and removes the overlays it finds.
		if (::access("/usr/bin/bwrap", X_OK) != 0 || ::getuid() != 0) return;
		Scratch scratch;
		const std::string upper = std::string(scratch.path) + "/upper";
		{
			ExecdProcess execd(options(scratch));
			HttpResult r = request(execd.port(), "POST", "/v1/isolated/session", "{\"workspace\":{\"path\":\"" + std::string(scratch.path) + "/ws\"}}");
			CPPUNIT_ASSERT_EQUAL(201, r.status);
			request(execd.port(), "POST", "/v1/isolated/session/" + object(r.body)->getValue<std::string>("session_id") + "/run", "{\"code\":\"echo x > x\"}");
			execd.stop(std::chrono::seconds(5), SIGKILL);
		}
		std::vector<std::string> left;
		Poco::File(upper).list(left);
		CPPUNIT_ASSERT_EQUAL(std::size_t(1), left.size());
		CPPUNIT_ASSERT(slurp("/proc/self/mountinfo").find(upper) != std::string::npos);   // still mounted
		for (int i = 0; i < 50 && std::system(("pgrep -f '[b]wrap.*" + std::string(scratch.path) + "' > /dev/null").c_str()) == 0; ++i)
			std::this_thread::sleep_for(std::chrono::milliseconds(20));
		CPPUNIT_ASSERT(std::system(("pgrep -f '[b]wrap.*" + std::string(scratch.path) + "' > /dev/null").c_str()) != 0);   // no session outlived it
		ExecdProcess again(options(scratch));
		CPPUNIT_ASSERT_EQUAL(200, request(again.port(), "GET", "/v1/isolated/capabilities").status);   // answers once set up
		left.clear();
		Poco::File(upper).list(left);
		CPPUNIT_ASSERT(left.empty());
		CPPUNIT_ASSERT(slurp("/proc/self/mountinfo").find(upper) == std::string::npos);
	}

	void testIsolationConfig()
	{
		// Upstream's TOML file: its keys apply; an invalid file stops execd (exit 1).
		if (::access("/usr/bin/bwrap", X_OK) != 0 || ::getuid() != 0) return;
		Scratch scratch;
		const std::string file = std::string(scratch.path) + "/isolation.toml";
		spit(file, "# upstream's keys\nupper_root = \"" + std::string(scratch.path) + "/toml-upper\"  # comment\nupper_max_bytes = 1\n"
			"allowed_writable = [\n  \"" + std::string(scratch.path) + "\",\n]\n\n[seccomp]\ndeny = [\"mount\", \"chroot\"]\n");
		ExecdProcess::Options o;
		o.testModules = false;
		o.properties = {"execd.modules.load = isolation"};
		o.env["EXECD_ISOLATION_CONFIG"] = file;
		{
			ExecdProcess execd(o);
			HttpResult r = request(execd.port(), "POST", "/v1/isolated/session", "{\"workspace\":{\"path\":\"" + std::string(scratch.path) + "/ws\",\"mode\":\"rw\"}}");
			CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, 201, r.status);
			const std::string base = "/v1/isolated/session/" + object(r.body)->getValue<std::string>("session_id");
			r = request(execd.port(), "POST", base + "/run", "{\"code\":\"unshare -U true && echo unshare-allowed\"}");
			CPPUNIT_ASSERT_MESSAGE(r.body, r.body.find("unshare-allowed") != std::string::npos);   // the list was replaced
			CPPUNIT_ASSERT(Poco::File(std::string(scratch.path) + "/toml-upper").isDirectory());
			// An overlay's upper already holds more than upper_max_bytes (1): refused.
			r = request(execd.port(), "POST", "/v1/isolated/session", "{\"workspace\":{\"path\":\"" + std::string(scratch.path) + "/ws\"}}");
			CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, 201, r.status);
			r = request(execd.port(), "POST", "/v1/isolated/session", "{\"workspace\":{\"path\":\"" + std::string(scratch.path) + "/ws\"}}");
			CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, 500, r.status);
			CPPUNIT_ASSERT(r.body.find("upper_max_bytes is 1") != std::string::npos);
		}
		spit(file, "upper_root = [1\n");
		std::string output;
		ExecdProcess::Options bad = o;
		bad.waitReady = false;
		CPPUNIT_ASSERT_EQUAL(1, ExecdProcess::runToExit(bad, output));
		CPPUNIT_ASSERT_MESSAGE(output, output.find("invalid isolation config " + file + ": line 2: ',' or ']' expected in an array") != std::string::npos);
	}
};


CPPUNIT_TEST_SUITE_REGISTRATION(IntegrationIsolationTest);
