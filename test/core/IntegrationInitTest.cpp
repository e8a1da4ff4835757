// execd --init (the sandbox's init), GET /ready and scripts/bootstrap.sh,
// through the real binary: as a child subreaper, and as PID 1 of a new PID
// namespace (unshare, root only).

#include "ExecdProcess.h"
#include "Poco/File.h"
#include <cppunit/extensions/HelperMacros.h>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <functional>
#include <iostream>
#include <spawn.h>
#include <sstream>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>


extern char** environ;


using namespace execd::test;


namespace {


const std::vector<std::string> UNSHARE{"/usr/bin/unshare", "--pid", "--fork", "--mount-proc"};


bool contains(const std::string& haystack, const std::string& needle)
{
	return haystack.find(needle) != std::string::npos;
}


bool waitFor(const std::function<bool()>& condition, std::chrono::milliseconds timeout = std::chrono::seconds(10))
{
	auto deadline = std::chrono::steady_clock::now() + timeout;
	while (!condition())
	{
		if (std::chrono::steady_clock::now() >= deadline) return false;
		std::this_thread::sleep_for(std::chrono::milliseconds(10));
	}
	return true;
}


std::string readFile(const std::string& path)
{
	std::ifstream in(path);
	std::stringstream ss;
	ss << in.rdbuf();
	return ss.str();
}


pid_t readPid(const std::string& path)
{
	std::string text;
	waitFor([&] { text = readFile(path); return !text.empty() && text.back() == '\n'; });
	return static_cast<pid_t>(std::atoi(text.c_str()));
}


bool alive(pid_t pid)
	// Running, or stopped: anything but gone or a zombie.
{
	std::string stat = readFile("/proc/" + std::to_string(pid) + "/stat");
	std::size_t paren = stat.rfind(')');
	return paren != std::string::npos && paren + 2 < stat.size() && stat[paren + 2] != 'Z' && stat[paren + 2] != 'X';
}


bool gone(pid_t pid)
{
	return pid > 0 && waitFor([pid] { return !alive(pid); }, std::chrono::seconds(5));
}


pid_t childOf(pid_t parent)
{
	pid_t child = 0;
	waitFor([&] {
		std::string p = std::to_string(parent);
		child = static_cast<pid_t>(std::atoi(readFile("/proc/" + p + "/task/" + p + "/children").c_str()));
		return child > 0;
	});
	return child;
}


class TempDir
{
public:
	TempDir()
	{
		char dirTemplate[] = "/tmp/execd-init-XXXXXX";
		if (!::mkdtemp(dirTemplate)) throw std::runtime_error("mkdtemp failed");
		_path = dirTemplate;
	}

	~TempDir()
	{
		try
		{
			Poco::File(_path).remove(true);
		}
		catch (...)
		{
		}
	}

	std::string operator / (const std::string& name) const
	{
		return _path + "/" + name;
	}

private:
	std::string _path;
};


ExecdProcess::Options init(const std::string& script, const std::vector<std::string>& wrapper = {})
{
	ExecdProcess::Options o = ExecdProcess::probe({"execd.init.stopGraceMillis = 3000"});
	o.args = {"--init", "--", "/bin/sh", "-c", script};
	o.wrapper = wrapper;
	return o;
}


bool pidNamespacesWork()
{
	static const bool works = std::system("/usr/bin/unshare --pid --fork --mount-proc /bin/true >/dev/null 2>&1") == 0;
	if (!works) std::cerr << " [skipped: unshare --pid --fork --mount-proc does not work here (needs root)] ";
	return works;
}


std::string bootstrapScript()
{
	std::string source = __FILE__;
	return source.substr(0, source.rfind("/test/")) + "/scripts/bootstrap.sh";
}


struct Bootstrapped
{
	pid_t pid = -1;
	int status = -1;     ///< 128+n when killed by signal n, -1 when it did not exit in time
	std::string output;
};


Bootstrapped runBootstrap(const std::vector<std::string>& shell, const TempDir& dir, const std::map<std::string, std::string>& extra,
	const std::vector<std::string>& command)
	// shell bootstrap.sh command..., with EXECD = the execd under test, its
	// configuration in EXECD_CONFIG and the variables file in the directory.
{
	{
		std::ofstream props(dir / "execd.properties");
		props << "execd.port = 0\nexecd.portFile = " << (dir / "port") << "\n"
			<< "execd.modules.path = " << ExecdProcess::testModuleDir() << "\nexecd.modules.load = probe\n";
	}
	std::map<std::string, std::string> env;
	for (char** e = environ; *e; ++e)
	{
		const char* eq = std::strchr(*e, '=');
		if (eq && std::strncmp(*e, "EXECD", 5) != 0) env[std::string(*e, static_cast<std::size_t>(eq - *e))] = eq + 1;
	}
	env["EXECD"] = ExecdProcess::binary();
	env["EXECD_CONFIG"] = dir / "execd.properties";
	env["EXECD_ENVS"] = dir / "vars.env";
	for (const auto& kv: extra) env[kv.first] = kv.second;
	std::vector<std::string> envStrings;
	for (const auto& kv: env) envStrings.push_back(kv.first + "=" + kv.second);
	std::vector<std::string> args = shell;
	args.push_back(bootstrapScript());
	args.insert(args.end(), command.begin(), command.end());
	std::vector<char*> argv, envp;
	for (std::string& a: args) argv.push_back(&a[0]);
	argv.push_back(nullptr);
	for (std::string& e: envStrings) envp.push_back(&e[0]);
	envp.push_back(nullptr);

	std::string outputPath = dir / "output.log";
	posix_spawn_file_actions_t actions;
	posix_spawn_file_actions_init(&actions);
	posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&actions, 1, outputPath.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
	posix_spawn_file_actions_adddup2(&actions, 1, 2);
	Bootstrapped result;
	int rc = ::posix_spawn(&result.pid, argv[0], &actions, nullptr, argv.data(), envp.data());
	posix_spawn_file_actions_destroy(&actions);
	CPPUNIT_ASSERT_EQUAL_MESSAGE(std::strerror(rc), 0, rc);
	int raw = 0;
	if (waitFor([&] { return ::waitpid(result.pid, &raw, WNOHANG) == result.pid; }, std::chrono::seconds(20)))
		result.status = WIFEXITED(raw) ? WEXITSTATUS(raw) : 128 + WTERMSIG(raw);
	else
	{
		::kill(result.pid, SIGKILL);
		::waitpid(result.pid, nullptr, 0);
	}
	result.output = readFile(outputPath);
	return result;
}


} // namespace


class IntegrationInitTest: public CppUnit::TestFixture
{
	CPPUNIT_TEST_SUITE(IntegrationInitTest);
	CPPUNIT_TEST(testReadyAtOnceAndWithoutTokenInClassicStartup);
	CPPUNIT_TEST(testEntrypointIsAChildWithTheUserEnvironment);
	CPPUNIT_TEST(testSigtermExitsWithTheTrappedStatusAndStopsEveryChild);
	CPPUNIT_TEST(testSigtermKillingTheEntrypointGives143);
	CPPUNIT_TEST(testEntrypointIgnoringSigtermIsKilledAfterTheGrace);
	CPPUNIT_TEST(testEntrypointExitEndsExecdWithItsCode);
	CPPUNIT_TEST(testOrphanedGrandchildIsReaped);
	CPPUNIT_TEST(testSignalsAreForwardedToTheEntrypointGroup);
	CPPUNIT_TEST(testSigintShutsDownWithZero);
	CPPUNIT_TEST(testNoCommandWarnsAndSigtermExitsZero);
	CPPUNIT_TEST(testEntrypointThatCannotStartExitsOne);
	CPPUNIT_TEST(testAsPid1OfAPidNamespace);
	CPPUNIT_TEST(testAsPid1EntrypointExitEndsTheNamespace);
	CPPUNIT_TEST(testAsPid1SigtermFromInsideTheNamespace);
	CPPUNIT_TEST(testBootstrapStartsExecdBesideTheCommand);
	CPPUNIT_TEST(testBootstrapInitModeExecsExecd);
	CPPUNIT_TEST(testBootstrapUnderBusybox);
	CPPUNIT_TEST_SUITE_END();

public:
	void testReadyAtOnceAndWithoutTokenInClassicStartup()
	{
		ExecdProcess::Options o = ExecdProcess::probe();
		Tokens::addTo(o);
		ExecdProcess execd(o);
		HttpResult ready = request(execd.port(), "GET", "/ready");
		CPPUNIT_ASSERT_EQUAL(200, ready.status);
		CPPUNIT_ASSERT_EQUAL(std::string("{\"initialized\":true}"), ready.body);
		CPPUNIT_ASSERT_EQUAL(std::string("application/json"), ready.header("Content-Type").substr(0, 16));
		// Only /ready is open: the other routes, unknown paths and other methods still want the token.
		CPPUNIT_ASSERT_EQUAL(401, request(execd.port(), "GET", "/ping").status);
		CPPUNIT_ASSERT_EQUAL(401, request(execd.port(), "GET", "/readyx").status);
		CPPUNIT_ASSERT_EQUAL(401, request(execd.port(), "POST", "/ready").status);
		CPPUNIT_ASSERT_EQUAL(200, request(execd.port(), "GET", "/ping", "", Tokens::header()).status);
		CPPUNIT_ASSERT_EQUAL(0, execd.stop());
	}

	void testEntrypointIsAChildWithTheUserEnvironment()
	{
		TempDir dir;
		std::ofstream(dir / "vars.env") << "FROM_FILE=file-value\n";
		ExecdProcess::Options o = init("echo $PPID > " + (dir / "ppid") + "; env > " + (dir / "env") + "; echo done >> "
			+ (dir / "env") + "; exec sleep 60");
		Tokens::addTo(o);
		o.env["EXECD_ENVS"] = dir / "vars.env";
		o.env["PLAIN_VARIABLE"] = "plain-value";
		ExecdProcess execd(o);
		CPPUNIT_ASSERT_EQUAL(execd.pid(), readPid(dir / "ppid"));
		CPPUNIT_ASSERT(waitFor([&] { return contains(readFile(dir / "env"), "done\n"); }));
		std::string env = readFile(dir / "env");
		CPPUNIT_ASSERT_MESSAGE(env, contains(env, "PLAIN_VARIABLE=plain-value\n"));
		CPPUNIT_ASSERT_MESSAGE(env, contains(env, "FROM_FILE=file-value\n"));
		CPPUNIT_ASSERT_MESSAGE(env, !contains(env, "EXECD_ACCESS_TOKEN") && !contains(env, "EXECD_ENVS="));
		CPPUNIT_ASSERT_EQUAL_MESSAGE(env, std::string(), Tokens::leaked(env));
		HttpResult ready = request(execd.port(), "GET", "/ready");
		CPPUNIT_ASSERT_EQUAL(200, ready.status);
		CPPUNIT_ASSERT_EQUAL(std::string("{\"initialized\":true}"), ready.body);
		CPPUNIT_ASSERT_EQUAL(401, request(execd.port(), "GET", "/ping").status);
		CPPUNIT_ASSERT_MESSAGE(execd.output(), waitFor([&] { return contains(execd.output(), "execd is the sandbox's init (child subreaper)"); }));
		CPPUNIT_ASSERT_EQUAL(128 + SIGTERM, execd.stop());
	}

	void testSigtermExitsWithTheTrappedStatusAndStopsEveryChild()
	{
		TempDir dir;
		ExecdProcess::Options o = init("trap 'exit 7' TERM; echo $$ > " + (dir / "entry") + "; sleep 60 & echo $! > "
			+ (dir / "child") + "; wait");
		o.testModules = false;   // the real shell module: a background command is another child of execd
		o.properties = {"execd.modules.load = shell", "execd.init.stopGraceMillis = 3000"};
		ExecdProcess execd(o);
		pid_t entry = readPid(dir / "entry");
		pid_t child = readPid(dir / "child");
		request(execd.port(), "POST", "/command",
			"{\"command\":\"echo $$ > " + (dir / "other") + "; exec sleep 60\",\"background\":true}");
		pid_t other = readPid(dir / "other");
		CPPUNIT_ASSERT(alive(entry) && alive(child) && alive(other));
		auto started = std::chrono::steady_clock::now();
		CPPUNIT_ASSERT_EQUAL_MESSAGE(execd.output(), 7, execd.stop());
		CPPUNIT_ASSERT(std::chrono::steady_clock::now() - started < std::chrono::seconds(3));   // none needed SIGKILL
		CPPUNIT_ASSERT(gone(entry));
		CPPUNIT_ASSERT(gone(child));
		CPPUNIT_ASSERT(gone(other));
		CPPUNIT_ASSERT_MESSAGE(execd.output(), contains(execd.output(), "exiting with the entrypoint's status 7"));
	}

	void testSigtermKillingTheEntrypointGives143()
	{
		TempDir dir;
		ExecdProcess execd(init("echo $$ > " + (dir / "entry") + "; exec sleep 60"));
		pid_t entry = readPid(dir / "entry");
		CPPUNIT_ASSERT_EQUAL(128 + SIGTERM, execd.stop());
		CPPUNIT_ASSERT(gone(entry));
	}

	void testEntrypointIgnoringSigtermIsKilledAfterTheGrace()
	{
		TempDir dir;
		ExecdProcess::Options o = init("trap '' TERM; echo $$ > " + (dir / "entry") + "; while :; do sleep 0.1; done");
		o.properties.push_back("execd.init.stopGraceMillis = 500");
		ExecdProcess execd(o);
		pid_t entry = readPid(dir / "entry");
		CPPUNIT_ASSERT_EQUAL_MESSAGE(execd.output(), 128 + SIGKILL, execd.stop());
		CPPUNIT_ASSERT(gone(entry));
		CPPUNIT_ASSERT_MESSAGE(execd.output(), contains(execd.output(), "the entrypoint did not stop within 500 ms"));
	}

	void testEntrypointExitEndsExecdWithItsCode()
	{
		TempDir dir;
		// setsid: a process of its own session, reparented to execd when the
		// entrypoint exits, and stopped with the other children.
		ExecdProcess execd(init("setsid sleep 60 & echo $! > " + (dir / "other") + "; while [ ! -e " + (dir / "go") + " ]; do sleep 0.05; done; exit 42"));
		pid_t other = readPid(dir / "other");
		CPPUNIT_ASSERT(alive(other));
		CPPUNIT_ASSERT_EQUAL(200, request(execd.port(), "GET", "/ready").status);
		std::ofstream(dir / "go") << "go\n";
		int status = 0;
		CPPUNIT_ASSERT(execd.waitExit(std::chrono::seconds(10), status));
		CPPUNIT_ASSERT_EQUAL_MESSAGE(execd.output(), 42, status);
		CPPUNIT_ASSERT(gone(other));
		CPPUNIT_ASSERT_MESSAGE(execd.output(), contains(execd.output(), "the entrypoint exited (status 42)"));
	}

	void testOrphanedGrandchildIsReaped()
	{
		TempDir dir;
		// The middle shell exits at once; its sleep is reparented to execd and
		// must not stay a zombie when it ends.
		ExecdProcess execd(init("sh -c 'sleep 0.3 & echo $! > " + (dir / "orphan") + "'; exec sleep 60"));
		pid_t orphan = readPid(dir / "orphan");
		CPPUNIT_ASSERT(waitFor([&] { return readFile("/proc/" + std::to_string(orphan) + "/stat").empty(); }, std::chrono::seconds(5)));
		CPPUNIT_ASSERT_EQUAL(128 + SIGTERM, execd.stop());
	}

	void testSignalsAreForwardedToTheEntrypointGroup()
	{
		TempDir dir;
		std::string log = dir / "signals";
		ExecdProcess execd(init("for s in HUP USR1 USR2 WINCH; do trap \"echo $s >> " + log + "\" $s; done; echo armed >> " + log
			+ "; while :; do sleep 0.05; done"));
		CPPUNIT_ASSERT(waitFor([&] { return contains(readFile(log), "armed\n"); }));
		for (int sig: {SIGHUP, SIGUSR1, SIGUSR2, SIGWINCH})
		{
			std::size_t before = readFile(log).size();
			::kill(execd.pid(), sig);
			CPPUNIT_ASSERT_MESSAGE(readFile(log), waitFor([&] { return readFile(log).size() > before; }));
		}
		CPPUNIT_ASSERT_EQUAL(std::string("armed\nHUP\nUSR1\nUSR2\nWINCH\n"), readFile(log));
		CPPUNIT_ASSERT(execd.running());   // none of them stops execd
		CPPUNIT_ASSERT_EQUAL(128 + SIGTERM, execd.stop());
	}

	void testSigintShutsDownWithZero()
	{
		TempDir dir;
		ExecdProcess execd(init("echo $$ > " + (dir / "entry") + "; exec sleep 60"));
		pid_t entry = readPid(dir / "entry");
		CPPUNIT_ASSERT_EQUAL(0, execd.stop(std::chrono::seconds(10), SIGINT));
		CPPUNIT_ASSERT(gone(entry));
	}

	void testNoCommandWarnsAndSigtermExitsZero()
	{
		ExecdProcess::Options o = ExecdProcess::probe();
		o.args = {"--init", "--"};
		ExecdProcess execd(o);
		CPPUNIT_ASSERT_EQUAL(200, request(execd.port(), "GET", "/ready").status);
		::kill(execd.pid(), SIGHUP);   // nothing to forward it to: ignored
		CPPUNIT_ASSERT_EQUAL(200, request(execd.port(), "GET", "/ready").status);
		CPPUNIT_ASSERT_EQUAL(0, execd.stop());
		CPPUNIT_ASSERT_MESSAGE(execd.output(), contains(execd.output(), "--init without a command after --: no entrypoint to supervise"));
	}

	void testEntrypointThatCannotStartExitsOne()
	{
		ExecdProcess::Options o = ExecdProcess::probe();
		o.args = {"--init", "--", "/nonexistent/entrypoint", "arg"};
		std::string output;
		CPPUNIT_ASSERT_EQUAL(1, ExecdProcess::runToExit(o, output));
		CPPUNIT_ASSERT_MESSAGE(output, contains(output, "cannot start the entrypoint /nonexistent/entrypoint: No such file or directory"));
	}

	void testAsPid1OfAPidNamespace()
	{
		if (!pidNamespacesWork()) return;
		TempDir dir;
		std::string out = dir / "out";
		ExecdProcess execd(init("echo ppid=$PPID > " + out + "; env | grep -c EXECD_ACCESS_TOKEN >> " + out
			+ "; sh -c 'sleep 0.3 & echo $! > " + (dir / "orphan") + "'; sleep 1;"
			" if [ -e /proc/$(cat " + (dir / "orphan") + ") ]; then echo orphan-left >> " + out + "; else echo orphan-reaped >> " + out + "; fi;"
			" trap 'exit 7' TERM; echo armed >> " + out + "; sleep 60 & wait", UNSHARE));
		CPPUNIT_ASSERT_MESSAGE(readFile(out), waitFor([&] { return contains(readFile(out), "armed\n"); }));
		CPPUNIT_ASSERT_EQUAL(std::string("ppid=1\n0\norphan-reaped\narmed\n"), readFile(out));
		CPPUNIT_ASSERT_EQUAL(200, request(execd.port(), "GET", "/ready").status);
		CPPUNIT_ASSERT_MESSAGE(execd.output(), waitFor([&] { return contains(execd.output(), "execd is the sandbox's init (pid 1)"); }));
		// unshare does not pass signals on: SIGTERM goes to execd itself, and
		// unshare exits with execd's status.
		pid_t pid1 = childOf(execd.pid());
		CPPUNIT_ASSERT(pid1 > 0);
		::kill(pid1, SIGTERM);
		int status = 0;
		CPPUNIT_ASSERT(execd.waitExit(std::chrono::seconds(10), status));
		CPPUNIT_ASSERT_EQUAL_MESSAGE(execd.output(), 7, status);
	}

	void testAsPid1EntrypointExitEndsTheNamespace()
	{
		if (!pidNamespacesWork()) return;
		ExecdProcess execd(init("sleep 0.3; exit 42", UNSHARE));
		int status = 0;
		CPPUNIT_ASSERT(execd.waitExit(std::chrono::seconds(10), status));
		CPPUNIT_ASSERT_EQUAL_MESSAGE(execd.output(), 42, status);
	}

	void testAsPid1SigtermFromInsideTheNamespace()
	{
		// The kernel drops a signal a process of the namespace sends to its init
		// when init has no handler for it; execd's blocked signals are queued.
		if (!pidNamespacesWork()) return;
		ExecdProcess execd(init("trap 'exit 9' TERM; (sleep 0.3; kill -TERM 1) & sleep 60 & wait", UNSHARE));
		int status = 0;
		CPPUNIT_ASSERT(execd.waitExit(std::chrono::seconds(10), status));
		CPPUNIT_ASSERT_EQUAL_MESSAGE(execd.output(), 9, status);
	}

	void testBootstrapStartsExecdBesideTheCommand()
	{
		bootstrapClassic({"/bin/sh"});
	}

	void testBootstrapInitModeExecsExecd()
	{
		bootstrapInit({"/bin/sh"});
	}

	void testBootstrapUnderBusybox()
	{
		if (access("/bin/busybox", X_OK) != 0)
		{
			std::cerr << " [skipped: no /bin/busybox] ";
			return;
		}
		bootstrapClassic({"/bin/busybox", "sh"});
		bootstrapInit({"/bin/busybox", "sh"});
	}

private:
	static Bootstrapped bootstrap(const std::vector<std::string>& shell, const TempDir& dir,
		const std::map<std::string, std::string>& extra, const std::string& script)
		// The same shell runs bootstrap.sh and the command.
	{
		std::vector<std::string> command = shell;
		command.insert(command.end(), {"-c", script});
		return runBootstrap(shell, dir, extra, command);
	}

	void bootstrapClassic(const std::vector<std::string>& shell)
	{
		TempDir dir;
		// bootstrap.sh execs the command; execd, started before it, is its child.
		std::string script = "while [ ! -s " + (dir / "port") + " ]; do sleep 0.05; done; echo $$ > " + (dir / "command")
			+ "; echo $(cat /proc/$$/task/$$/children) > " + (dir / "children") + "; echo \"envs=$EXECD_ENVS\"; exit 3";
		Bootstrapped b = bootstrap(shell, dir, {}, script);
		pid_t execd = readPid(dir / "children");
		CPPUNIT_ASSERT_EQUAL_MESSAGE(b.output, 3, b.status);
		CPPUNIT_ASSERT_EQUAL(b.pid, readPid(dir / "command"));
		CPPUNIT_ASSERT_MESSAGE(b.output, contains(b.output, "envs=" + (dir / "vars.env") + "\n"));
		CPPUNIT_ASSERT(Poco::File(dir / "vars.env").exists());   // touched
		CPPUNIT_ASSERT(execd > 0 && alive(execd));
		std::string cmdline = readFile("/proc/" + std::to_string(execd) + "/cmdline");
		CPPUNIT_ASSERT_EQUAL(ExecdProcess::binary() + std::string(1, '\0'), cmdline);   // no arguments
		int port = std::atoi(readFile(dir / "port").c_str());
		CPPUNIT_ASSERT_EQUAL(200, request(port, "GET", "/ready").status);
		::kill(execd, SIGTERM);
		CPPUNIT_ASSERT(gone(execd));
	}

	void bootstrapInit(const std::vector<std::string>& shell)
	{
		TempDir dir;
		std::ofstream(dir / "vars.env") << "FROM_FILE=file-value\n";
		std::string script = "while [ ! -s " + (dir / "port") + " ]; do sleep 0.05; done; echo \"ppid=$PPID from=$FROM_FILE\"; exit 4";
		Bootstrapped b = bootstrap(shell, dir, {{"EXECD_INIT", "TRUE"}}, script);
		CPPUNIT_ASSERT_EQUAL_MESSAGE(b.output, 4, b.status);
		CPPUNIT_ASSERT_MESSAGE(b.output, contains(b.output, "ppid=" + std::to_string(b.pid) + " from=file-value\n"));
		CPPUNIT_ASSERT_MESSAGE(b.output, contains(b.output, "execd is the sandbox's init"));
	}
};

CPPUNIT_TEST_SUITE_REGISTRATION(IntegrationInitTest);
