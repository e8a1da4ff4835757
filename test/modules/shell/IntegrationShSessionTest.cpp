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
	CPPUNIT_ASSERT_MESSAGE("busybox (busybox-static), dash and bash are needed (scripts/setup.sh)", result.size() == 3);
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


std::vector<std::string> stateDirectories()
{
	std::vector<std::string> found;
	for (const std::string& base: {std::string("/tmp/")})
	{
		std::vector<std::string> names;
		Poco::File(base).list(names);
		for (const std::string& n: names)
			if (n.compare(0, 15, ".execd_session-") == 0) found.push_back(base + n);
	}
	return found;
}


struct Leftovers
	/// Processes and directories a test made, gone afterwards even when it fails.
{
	std::vector<pid_t> pids;
	std::vector<std::string> directories;

	~Leftovers()
	{
		for (pid_t pid: pids) ::kill(pid, SIGKILL);
		for (const std::string& d: directories)
		{
			try
			{
				Poco::File(d).remove(true);
			}
			catch (...)
			{
			}
		}
	}
};


bool alive(pid_t pid);


bool gone(pid_t pid, std::chrono::milliseconds within = std::chrono::seconds(3))
{
	auto deadline = std::chrono::steady_clock::now() + within;
	while (alive(pid))
	{
		if (std::chrono::steady_clock::now() > deadline) return false;
		std::this_thread::sleep_for(std::chrono::milliseconds(10));
	}
	return true;
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
	CPPUNIT_TEST(testLargeStateAndLongCommands);
	CPPUNIT_TEST(testDirectoryThatIsGoneOrLiedAbout);
	CPPUNIT_TEST(testTrailerIgnoresTheCommandsFunctionsAndOptions);
	CPPUNIT_TEST(testStateDirectoryRemovedByACommand);
	CPPUNIT_TEST_SUITE_END();

public:
	void testExportedStateAndDirectoryPersist()
	{
		for (const auto& pShell: shells())
		{
			Leftovers leftovers;
			ExecdProcess execd(options(*pShell));
			char dir[] = "/tmp/execd-shs-XXXXXX";
			CPPUNIT_ASSERT(::mkdtemp(dir));
			leftovers.directories.push_back(dir);
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
			Leftovers leftovers;
			ExecdProcess execd(options(*pShell));
			std::string id = newSession(execd.port());
			auto evs = runIn(execd.port(), id, "sleep 60 & echo $!");
			pid_t earlier = std::stoi(evs.at(1)->getValue<std::string>("text"));
			leftovers.pids.push_back(earlier);
			auto start = std::chrono::steady_clock::now();
			std::string body;
			evs = runIn(execd.port(), id, "echo before; (sleep 60; echo never) & echo $!; sleep 60; echo after", ",\"timeout\":500", &body);
			auto took = std::chrono::steady_clock::now() - start;
			CPPUNIT_ASSERT_MESSAGE(pShell->name, took < std::chrono::seconds(3));
			CPPUNIT_ASSERT_MESSAGE(body, body.find("timeout after 500ms") != std::string::npos);
			CPPUNIT_ASSERT_EQUAL_MESSAGE(body, std::string("before"), evs.at(1)->getValue<std::string>("text"));
			pid_t job = std::stoi(evs.at(2)->getValue<std::string>("text"));
			leftovers.pids.push_back(job);
			CPPUNIT_ASSERT_MESSAGE(pShell->name + ": this run's job is left", gone(job));
			CPPUNIT_ASSERT_MESSAGE(pShell->name + ": an earlier run's job was killed", alive(earlier));
			CPPUNIT_ASSERT_EQUAL_MESSAGE(pShell->name, std::string("[again]"), texts(runIn(execd.port(), id, "echo again"), "stdout"));
			// Deleting the session ends the jobs of its earlier runs too.
			CPPUNIT_ASSERT_EQUAL(200, request(execd.port(), "DELETE", "/session/" + id).status);
			CPPUNIT_ASSERT_MESSAGE(pShell->name + ": an earlier run's job outlived the session", gone(earlier));
		}
	}

	void testInterruptAndDelete()
	{
		for (const auto& pShell: shells())
		{
			const std::size_t before = stateDirectories().size();
			{
				ExecdProcess execd(options(*pShell));
				// An interrupt of a bash code context stops the run and keeps the context.
				HttpResult r = request(execd.port(), "POST", "/code/context", "{\"language\":\"bash\"}");
				CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, 200, r.status);
				std::string context = object(r.body)->getValue<std::string>("id");
				auto code = [&](const std::string& text)
				{
					return "{\"code\":" + quote(text) + ",\"context\":{\"id\":\"" + context + "\",\"language\":\"bash\"}}";
				};
				CPPUNIT_ASSERT(request(execd.port(), "POST", "/code", code("export N=1")).body.find("execution_complete") != std::string::npos);
				auto running = startRequest(execd.port(), "POST", "/code", code("echo started; sleep 60; export N=2"), "started");
				auto start = std::chrono::steady_clock::now();
				CPPUNIT_ASSERT_EQUAL(200, request(execd.port(), "DELETE", "/code?id=" + context).status);
				running.get();
				CPPUNIT_ASSERT_MESSAGE(pShell->name, std::chrono::steady_clock::now() - start < std::chrono::seconds(3));
				r = request(execd.port(), "POST", "/code", code("echo N=$N"));
				CPPUNIT_ASSERT_MESSAGE(r.body, r.body.find("\"text\":\"N=1\"") != std::string::npos);

				// DELETE /session during a run ends it.
				std::string id = newSession(execd.port());
				auto session = startRequest(execd.port(), "POST", "/session/" + id + "/run", "{\"command\":\"echo started; sleep 60\"}", "started");
				start = std::chrono::steady_clock::now();
				CPPUNIT_ASSERT_EQUAL(200, request(execd.port(), "DELETE", "/session/" + id).status);
				r = session.get();
				CPPUNIT_ASSERT_MESSAGE(pShell->name, std::chrono::steady_clock::now() - start < std::chrono::seconds(3));
				CPPUNIT_ASSERT_MESSAGE(r.body, r.body.find("started") != std::string::npos);
				CPPUNIT_ASSERT_EQUAL(404, request(execd.port(), "DELETE", "/session/" + id).status);
				newSession(execd.port());   // left to the shutdown
				CPPUNIT_ASSERT_EQUAL(0, execd.stop());
			}
			// Every session's directory went with it, at DELETE or at shutdown.
			CPPUNIT_ASSERT_EQUAL_MESSAGE(pShell->name, before, stateDirectories().size());
		}
	}

	void testLargeStateAndLongCommands()
	{
		// Neither the variables nor the command go through execve: a 200 KB
		// variable (one environment string may be 128 KiB) and a 200 KB command
		// work, and the session goes on.
		for (const auto& pShell: shells())
		{
			ExecdProcess execd(options(*pShell));
			std::string id = newSession(execd.port());
			auto evs = runIn(execd.port(), id, "BIG=x; i=0; while [ $i -lt 17 ]; do BIG=$BIG$BIG; i=$((i + 1)); done; export BIG; echo ${#BIG}");
			CPPUNIT_ASSERT_EQUAL_MESSAGE(pShell->name, std::string("[131072]"), texts(evs, "stdout"));
			evs = runIn(execd.port(), id, "export MORE=\"$BIG$BIG\"; echo ${#BIG} ${#MORE}");
			CPPUNIT_ASSERT_EQUAL_MESSAGE(pShell->name, std::string("[131072 262144]"), texts(evs, "stdout"));
			evs = runIn(execd.port(), id, ": '" + std::string(200000, 'c') + "'; echo ${#MORE} long-ok");
			CPPUNIT_ASSERT_EQUAL_MESSAGE(pShell->name, std::string("[262144 long-ok]"), texts(evs, "stdout"));
			runIn(execd.port(), id, "unset BIG MORE");
			evs = runIn(execd.port(), id, "echo ${BIG-unset} ${MORE-unset}");
			CPPUNIT_ASSERT_EQUAL_MESSAGE(pShell->name, std::string("[unset unset]"), texts(evs, "stdout"));
		}
	}

	void testDirectoryThatIsGoneOrLiedAbout()
	{
		for (const auto& pShell: shells())
		{
			Leftovers leftovers;
			ExecdProcess execd(options(*pShell));
			char dir[] = "/tmp/execd-shs-XXXXXX";
			CPPUNIT_ASSERT(::mkdtemp(dir));
			leftovers.directories.push_back(dir);
			std::string id = newSession(execd.port(), "{\"cwd\":\"" + std::string(dir) + "\"}");
			// $PWD is the command's to set: what persists is where sh really is.
			runIn(execd.port(), id, "mkdir sub && cd sub && PWD=/nonexistent");
			CPPUNIT_ASSERT_EQUAL_MESSAGE(pShell->name, "[" + std::string(dir) + "/sub]", texts(runIn(execd.port(), id, "pwd"), "stdout"));
			// A directory removed under the session: the next run says so and
			// starts where the session started.
			auto evs = runIn(execd.port(), id, "cd .. && rmdir sub && pwd");
			evs = runIn(execd.port(), id, "pwd");
			CPPUNIT_ASSERT_EQUAL_MESSAGE(pShell->name, "[" + std::string(dir) + "]", texts(evs, "stdout"));
			CPPUNIT_ASSERT_EQUAL_MESSAGE(pShell->name, std::string(), texts(evs, "stderr"));
			runIn(execd.port(), id, "mkdir -p gone && cd gone && rmdir ../gone");
			evs = runIn(execd.port(), id, "pwd");
			CPPUNIT_ASSERT_EQUAL_MESSAGE(pShell->name, "[" + std::string(dir) + "]", texts(evs, "stdout"));
			CPPUNIT_ASSERT_EQUAL_MESSAGE(pShell->name, "[[execd] the session's directory " + std::string(dir) + "/gone is gone; this run starts in "
				+ std::string(dir) + "]", texts(evs, "stderr"));
		}
	}

	void testTrailerIgnoresTheCommandsFunctionsAndOptions()
	{
		// The command's functions named printf or pwd, set -a, set -e or a
		// changed IFS do not change what is kept, and add nothing to it.
		for (const auto& pShell: shells())
		{
			ExecdProcess execd(options(*pShell));
			std::string id = newSession(execd.port());
			auto evs = runIn(execd.port(), id, "printf() { :; }; pwd() { echo fake; }; set -a; KEEP=1; IFS=:; cd /tmp");
			CPPUNIT_ASSERT_EQUAL_MESSAGE(pShell->name, std::string(), texts(evs, "stderr"));
			CPPUNIT_ASSERT_EQUAL_MESSAGE(pShell->name, std::string("complete"), terminal(evs));
			evs = runIn(execd.port(), id, "echo \"$KEEP ${__execd_cwd-none} $(pwd)\"; env | grep -c __execd || true");
			CPPUNIT_ASSERT_EQUAL_MESSAGE(pShell->name, std::string("[1 none /tmp][0]"), texts(evs, "stdout"));
		}
	}

	void testStateDirectoryRemovedByACommand()
	{
		// A command that cleans the temporary directory takes the state with it:
		// the next run says so, and the session goes on from there.
		for (const auto& pShell: shells())
		{
			ExecdProcess execd(options(*pShell));
			std::string id = newSession(execd.port());
			runIn(execd.port(), id, "export A=1");
			std::string other = newSession(execd.port());
			runIn(execd.port(), other, "export B=2");
			// Its own directory only: the script sh runs names it (other execds may be running).
			runIn(execd.port(), id, R"(d=$(tr '\0' '\n' </proc/$$/cmdline | grep -o '/[^ ]*/[.]execd_session-[A-Za-z0-9]*' | head -n 1); [ -d "$d" ] && rm -rf "$d")");
			auto evs = runIn(execd.port(), id, "echo ${A-unset}");
			CPPUNIT_ASSERT_EQUAL_MESSAGE(pShell->name, std::string("[unset]"), texts(evs, "stdout"));
			CPPUNIT_ASSERT_MESSAGE(pShell->name, texts(evs, "stderr").find("was removed; exported variables and the directory of earlier runs are lost") != std::string::npos);
			runIn(execd.port(), id, "export C=3");
			CPPUNIT_ASSERT_EQUAL_MESSAGE(pShell->name, std::string("[3]"), texts(runIn(execd.port(), id, "echo $C"), "stdout"));
		}
	}
};


CPPUNIT_TEST_SUITE_REGISTRATION(IntegrationShSessionTest);
