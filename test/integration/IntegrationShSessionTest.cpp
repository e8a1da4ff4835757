// Sessions in an image without bash (ShSession): each run a new sh with the
// session's exported variables and directory, through the real daemon, with
// each of the shells such images have: busybox ash, dash, and bash as sh.

#include "ExecdProcess.h"
#include "Poco/File.h"
#include "Poco/JSON/Object.h"
#include <cppunit/extensions/HelperMacros.h>
#include <chrono>
#include <fstream>
#include <csignal>
#include <thread>
#include <unistd.h>


using namespace execd::test;


namespace {


struct Shell
	/// "sh" in a directory of its own: a link to the real shell, so that it runs
	/// as sh (busybox picks the applet by name, bash goes POSIX).
{
	std::string name;
	std::string directory;
	std::string path;

	Shell(const std::string& shellName, const std::string& target):
		name(shellName)
	{
		char dir[] = "/tmp/execd-sh-XXXXXX";
		directory = ::mkdtemp(dir);
		path = directory + "/sh";
		if (::symlink(target.c_str(), path.c_str()) != 0) throw std::runtime_error("symlink " + path);
	}

	~Shell()
	{
		Poco::File(directory).remove(true);
	}
};


std::vector<std::unique_ptr<Shell>> shells()
{
	std::vector<std::unique_ptr<Shell>> result;
	for (const auto& s: {std::make_pair("busybox", "/bin/busybox"), std::make_pair("dash", "/bin/dash"), std::make_pair("bash", "/bin/bash")})
	{
		if (::access(s.second, X_OK) == 0) result.push_back(std::make_unique<Shell>(s.first, s.second));
	}
	CPPUNIT_ASSERT_MESSAGE("busybox (busybox-static) and dash are needed", result.size() >= 2);
	return result;
}


ExecdProcess::Options options(const Shell& shell)
{
	ExecdProcess::Options o;
	o.testModules = false;
	o.properties = {"execd.modules.load = shell", "module.shell.shell = " + shell.path};
	return o;
}


std::string newSession(int port, const std::string& body = "{}")
{
	HttpResult r = request(port, "POST", "/session", body);
	CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, 200, r.status);
	return object(r.body)->getValue<std::string>("session_id");
}


std::vector<Poco::JSON::Object::Ptr> runIn(int port, const std::string& session, const std::string& command, const std::string& extra = "",
	std::string* pBody = nullptr)
{
	HttpResult r = request(port, "POST", "/session/" + session + "/run", "{\"command\":" + quote(command) + extra + "}");
	CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, 200, r.status);
	if (pBody) *pBody = r.body;
	std::vector<Poco::JSON::Object::Ptr> events;
	for (const std::string& e: withoutPings(sseEvents(r.body)))
	{
		auto o = object(e);
		if (o->has("type")) events.push_back(o);
	}
	return events;
}


std::string texts(const std::vector<Poco::JSON::Object::Ptr>& events, const std::string& type)
{
	std::string out;
	for (const auto& e: events)
		if (e->getValue<std::string>("type") == type) out += "[" + e->getValue<std::string>("text") + "]";
	return out;
}


std::string terminal(const std::vector<Poco::JSON::Object::Ptr>& events)
{
	auto last = events.back();
	if (last->getValue<std::string>("type") == "execution_complete") return "complete";
	auto error = last->getObject("error");
	return error->getValue<std::string>("evalue") + "|" + error->getArray("traceback")->getElement<std::string>(0);
}


bool alive(pid_t pid)
{
	std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
	std::string line;
	std::getline(in, line);
	std::size_t close = line.rfind(')');
	return !line.empty() && close != std::string::npos && line.size() > close + 2 && line[close + 2] != 'Z';
}


} // namespace


class IntegrationShSessionTest: public CppUnit::TestFixture
{
	CPPUNIT_TEST_SUITE(IntegrationShSessionTest);
	CPPUNIT_TEST(testExportedStateAndDirectoryPersist);
	CPPUNIT_TEST(testAwkwardValuesSurvive);
	CPPUNIT_TEST(testOutputExitStatusAndExit);
	CPPUNIT_TEST(testTimeoutStopsTheRunNotEarlierJobs);
	CPPUNIT_TEST(testInterruptAndDelete);
	CPPUNIT_TEST_SUITE_END();

public:
	void testExportedStateAndDirectoryPersist()
	{
		for (const auto& pShell: shells())
		{
			ExecdProcess execd(options(*pShell));
			char dir[] = "/tmp/execd-shs-XXXXXX";
			CPPUNIT_ASSERT(::mkdtemp(dir));
			std::string id = newSession(execd.port(), "{\"cwd\":\"" + std::string(dir) + "\"}");
			auto evs = runIn(execd.port(), id, "pwd; export KEPT=yes; LOCAL=no; mkdir -p sub && cd sub");
			CPPUNIT_ASSERT_EQUAL_MESSAGE(pShell->name, "[" + std::string(dir) + "]", texts(evs, "stdout"));
			CPPUNIT_ASSERT_EQUAL_MESSAGE(pShell->name, std::string("complete"), terminal(evs));
			evs = runIn(execd.port(), id, "echo \"$KEPT-${LOCAL:-unset}\"; pwd; unset KEPT");
			CPPUNIT_ASSERT_EQUAL_MESSAGE(pShell->name, "[yes-unset][" + std::string(dir) + "/sub]", texts(evs, "stdout"));
			evs = runIn(execd.port(), id, "echo \"${KEPT:-gone}\"");
			CPPUNIT_ASSERT_EQUAL_MESSAGE(pShell->name, std::string("[gone]"), texts(evs, "stdout"));
			// A per-run cwd is where that run starts, and persists as upstream's does.
			evs = runIn(execd.port(), id, "pwd", ",\"cwd\":\"/tmp\"");
			CPPUNIT_ASSERT_EQUAL_MESSAGE(pShell->name, std::string("[/tmp]"), texts(evs, "stdout"));
			CPPUNIT_ASSERT_EQUAL_MESSAGE(pShell->name, std::string("[/tmp]"), texts(runIn(execd.port(), id, "pwd"), "stdout"));
			// Sessions are apart.
			std::string other = newSession(execd.port());
			CPPUNIT_ASSERT_EQUAL_MESSAGE(pShell->name, std::string("[\n]"), texts(runIn(execd.port(), other, "echo \"$KEPT\""), "stdout"));
			Poco::File(dir).remove(true);
		}
	}

	void testAwkwardValuesSurvive()
	{
		// Whatever quoting export -p uses (ash and dash: '…'"'"'…' or '\'', bash
		// as sh: "…" with backslashes), values come back byte for byte.
		for (const auto& pShell: shells())
		{
			ExecdProcess execd(options(*pShell));
			std::string id = newSession(execd.port());
			runIn(execd.port(), id, "export Q=\"it's \\\"quoted\\\" \\$HOME \\\\ \\`tick\\`\" NL=\"one\ntwo\" U='héllo 文字' E= S='a  b'");
			auto evs = runIn(execd.port(), id, "printf '<%s>' \"$Q\" \"$NL\" \"$U\" \"$E\" \"$S\"; echo");
			CPPUNIT_ASSERT_EQUAL_MESSAGE(pShell->name, std::string("[<it's \"quoted\" $HOME \\ `tick`><one][two><héllo 文字><><a  b>]"),
				texts(evs, "stdout"));
		}
	}

	void testOutputExitStatusAndExit()
	{
		for (const auto& pShell: shells())
		{
			ExecdProcess execd(options(*pShell));
			std::string id = newSession(execd.port());
			auto evs = runIn(execd.port(), id, "echo out; echo err >&2; export A=1; false");
			CPPUNIT_ASSERT_EQUAL_MESSAGE(pShell->name, std::string("[out]"), texts(evs, "stdout"));
			CPPUNIT_ASSERT_EQUAL_MESSAGE(pShell->name, std::string("[err]"), texts(evs, "stderr"));
			CPPUNIT_ASSERT_EQUAL_MESSAGE(pShell->name, std::string("1|exit status 1"), terminal(evs));
			// exit ends that sh: its status is the run's, and the state stays.
			evs = runIn(execd.port(), id, "export A=2; cd /; exit 3");
			CPPUNIT_ASSERT_EQUAL_MESSAGE(pShell->name, std::string("3|exit status 3"), terminal(evs));
			evs = runIn(execd.port(), id, "echo $A");
			CPPUNIT_ASSERT_EQUAL_MESSAGE(pShell->name, std::string("[1]"), texts(evs, "stdout"));
			// A syntax error is the command's, not the session's.
			evs = runIn(execd.port(), id, "if then fi");
			CPPUNIT_ASSERT_EQUAL_MESSAGE(pShell->name, std::string("2|exit status 2"), terminal(evs));
			CPPUNIT_ASSERT_EQUAL_MESSAGE(pShell->name, std::string("[1]"), texts(runIn(execd.port(), id, "echo $A"), "stdout"));
		}
	}

	void testTimeoutStopsTheRunNotEarlierJobs()
	{
		for (const auto& pShell: shells())
		{
			ExecdProcess execd(options(*pShell));
			std::string id = newSession(execd.port());
			auto evs = runIn(execd.port(), id, "sleep 60 & echo $!");
			pid_t earlier = std::stoi(evs.at(1)->getValue<std::string>("text"));
			auto start = std::chrono::steady_clock::now();
			std::string body;
			evs = runIn(execd.port(), id, "echo before; (sleep 60; echo never) & echo $!; sleep 60; echo after", ",\"timeout\":500", &body);
			auto took = std::chrono::steady_clock::now() - start;
			CPPUNIT_ASSERT_MESSAGE(pShell->name, took < std::chrono::seconds(3));
			CPPUNIT_ASSERT_MESSAGE(body, body.find("timeout after 500ms") != std::string::npos);
			CPPUNIT_ASSERT_EQUAL_MESSAGE(body, std::string("before"), evs.at(1)->getValue<std::string>("text"));
			pid_t job = std::stoi(evs.at(2)->getValue<std::string>("text"));
			std::this_thread::sleep_for(std::chrono::milliseconds(100));
			CPPUNIT_ASSERT_MESSAGE(pShell->name + ": this run's job is left", !alive(job));
			CPPUNIT_ASSERT_MESSAGE(pShell->name + ": an earlier run's job was killed", alive(earlier));
			CPPUNIT_ASSERT_EQUAL_MESSAGE(pShell->name, std::string("[again]"), texts(runIn(execd.port(), id, "echo again"), "stdout"));
			::kill(earlier, SIGKILL);
		}
	}

	void testInterruptAndDelete()
	{
		for (const auto& pShell: shells())
		{
			ExecdProcess execd(options(*pShell));
			std::string id = newSession(execd.port());
			auto running = startRequest(execd.port(), "POST", "/session/" + id + "/run", "{\"command\":\"echo started; sleep 60\"}", "started");
			auto start = std::chrono::steady_clock::now();
			CPPUNIT_ASSERT_EQUAL(200, request(execd.port(), "DELETE", "/session/" + id).status);
			HttpResult r = running.get();
			CPPUNIT_ASSERT_MESSAGE(pShell->name, std::chrono::steady_clock::now() - start < std::chrono::seconds(3));
			CPPUNIT_ASSERT_MESSAGE(r.body, r.body.find("started") != std::string::npos);
			CPPUNIT_ASSERT_EQUAL(404, request(execd.port(), "DELETE", "/session/" + id).status);
			// The state directory goes with the session.
			CPPUNIT_ASSERT_EQUAL(0, execd.stop());
		}
	}
};


CPPUNIT_TEST_SUITE_REGISTRATION(IntegrationShSessionTest);
