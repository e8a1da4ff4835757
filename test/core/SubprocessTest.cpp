#include "execd/Subprocess.h"
#include "Poco/Exception.h"
#include <cppunit/extensions/HelperMacros.h>
#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <dirent.h>
#include <fcntl.h>
#include <fstream>
#include <poll.h>
#include <sstream>
#include <string>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>


using execd::Subprocess;


namespace {


// Every wait in this suite ends after this long, far beyond what the step takes
// (milliseconds), so that a loaded machine slows the suite down but never fails it.
const std::chrono::seconds DEADLINE(10);


using Clock = std::chrono::steady_clock;


int remainingMillis(Clock::time_point deadline)
{
	auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
	return left > 0 ? static_cast<int>(left) : 0;
}


bool waitReadable(int fd, Clock::time_point deadline)
	/// True once fd is readable (or hung up), false at the deadline.
{
	for (;;)
	{
		struct pollfd p{fd, POLLIN, 0};
		int n = ::poll(&p, 1, remainingMillis(deadline));
		if (n > 0) return true;
		if (n == 0) return false;
		if (errno != EINTR) return false;
	}
}


std::string readUntil(int fd, const std::string& needle = "", Clock::time_point deadline = Clock::now() + DEADLINE)
	/// Reads fd (blocking or not) until it has seen needle, or until end of file
	/// (EIO for a terminal's master side) when needle is empty, or the deadline.
{
	std::string text;
	char buffer[4096];
	while (needle.empty() || text.find(needle) == std::string::npos)
	{
		if (!waitReadable(fd, deadline)) break;
		ssize_t n = ::read(fd, buffer, sizeof(buffer));
		if (n > 0)
			text.append(buffer, static_cast<std::size_t>(n));
		else if (n == 0 || (errno != EINTR && errno != EAGAIN))
			break;
	}
	return text;
}


std::string firstLine(int fd)
{
	std::string text = readUntil(fd, "\n");
	return text.substr(0, text.find('\n'));
}


int reap(Subprocess& process)
	/// Waits for the process through its exit descriptor (never blocking past the
	/// deadline), then reaps it; -2 when it did not exit in time.
{
	auto deadline = Clock::now() + DEADLINE;
	int status = 0;
	while (!process.tryReap(status))
	{
		if (!waitReadable(process.exitDescriptor(), deadline)) return -2;
	}
	return status;
}


std::string exitOf(Subprocess& process)
{
	int status = reap(process);
	if (status == -2) return "did not exit";
	int code = 0;
	return Subprocess::describeExit(status, code);
}


bool isGone(pid_t pid)
	/// No such process, or only its zombie (an orphan waits for a reaper we do not control).
{
	if (::kill(pid, 0) != 0) return errno == ESRCH;
	std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
	std::string line;
	if (!std::getline(stat, line)) return true;
	std::size_t close = line.rfind(')');
	return close != std::string::npos && close + 2 < line.size() && line[close + 2] == 'Z';
}


bool becomesGone(pid_t pid)
{
	auto deadline = Clock::now() + DEADLINE;
	while (!isGone(pid))
	{
		if (Clock::now() >= deadline) return false;
		::usleep(10000);
	}
	return true;
}


std::vector<int> openDescriptors()
{
	std::vector<int> fds;
	DIR* pDir = ::opendir("/proc/self/fd");
	if (!pDir) return fds;
	int own = ::dirfd(pDir);
	while (struct dirent* pEntry = ::readdir(pDir))
	{
		if (pEntry->d_name[0] == '.') continue;
		int fd = std::atoi(pEntry->d_name);
		if (fd != own) fds.push_back(fd);
	}
	::closedir(pDir);
	std::sort(fds.begin(), fds.end());
	return fds;
}


std::string join(const std::vector<int>& fds)
{
	std::string text;
	for (int fd: fds) text += (text.empty() ? "" : " ") + std::to_string(fd);
	return text;
}


std::vector<int> listedDescriptors(const std::string& lsOutput)
{
	std::vector<int> fds;
	std::istringstream in(lsOutput);
	int fd;
	while (in >> fd) fds.push_back(fd);
	std::sort(fds.begin(), fds.end());
	return fds;
}


Subprocess::Options shell(const std::string& script)
{
	Subprocess::Options options;
	options.argv = {"/bin/sh", "-c", script};
	options.env = {"PATH=/usr/local/bin:/usr/bin:/bin"};
	return options;
}


Subprocess::Options cat(bool control = false)
	/// /bin/cat on a stdin pipe: runs until we close its input.
{
	Subprocess::Options options;
	options.argv = {"/bin/cat"};
	options.input = Subprocess::Input::PIPE;
	options.control = control;
	return options;
}


void asCurrentUser(Subprocess::Options& options)
	/// Takes the fork path without changing who the child is.
{
	options.uid = ::getuid();
	options.gid = ::getgid();
	options.groups = {::getgid()};
}


void assertStartFails(const Subprocess::Options& options, const std::string& message, int code)
	/// start() throws Poco::SystemException with exactly that message and errno.
{
	Subprocess process;
	try
	{
		process.start(options);
	}
	catch (const Poco::SystemException& e)
	{
		CPPUNIT_ASSERT_EQUAL(message, e.message());
		CPPUNIT_ASSERT_EQUAL(code, e.code());
		CPPUNIT_ASSERT_EQUAL(-1, process.pid());
		CPPUNIT_ASSERT(!process.running());
		CPPUNIT_ASSERT_EQUAL(-1, process.exitDescriptor());
		return;
	}
	CPPUNIT_FAIL("started " + options.argv[0] + ", expected: " + message);
}


struct TempFile
	/// An empty file of this test's own (two runs at once do not share it),
	/// removed when the test ends, failed or not.
{
	char name[32] = "/tmp/execd-subprocess-XXXXXX";
	int fd = ::mkstemp(name);

	~TempFile()
	{
		if (fd >= 0) ::close(fd);
		::unlink(name);
	}

	void close()
	{
		if (fd >= 0) ::close(fd);
		fd = -1;
	}
};


struct Killer
	/// SIGKILLs a process that escaped its group when the test ends, failed or not.
{
	pid_t pid = -1;

	~Killer()
	{
		if (pid > 0) ::kill(pid, SIGKILL);
	}
};


} // namespace


class SubprocessTest: public CppUnit::TestFixture
{
	CPPUNIT_TEST_SUITE(SubprocessTest);
	CPPUNIT_TEST(testPipesKeepStdoutAndStderrApart);
	CPPUNIT_TEST(testStdinPipeIsEchoedBackByCat);
	CPPUNIT_TEST(testNoInputGivesEndOfFile);
	CPPUNIT_TEST(testEnvironmentIsExactlyTheGivenOne);
	CPPUNIT_TEST(testDescriptorOutputTakesBothStreams);
	CPPUNIT_TEST(testMissingProgramIsSystemException);
	CPPUNIT_TEST(testBadDirectoryIsSystemException);
	CPPUNIT_TEST(testForkPathStartFailuresAreSystemExceptions);
	CPPUNIT_TEST(testStartWhileRunningIsIllegalState);
	CPPUNIT_TEST(testSwitchesUserGroupAndGroups);
	CPPUNIT_TEST(testTerminalIsStdinAndLeadsItsSession);
	CPPUNIT_TEST(testControlPairIsThreeAndFour);
	CPPUNIT_TEST(testChildInheritsNoOtherDescriptor);
	CPPUNIT_TEST(testExitDescriptorReadableAfterExitNotBefore);
	CPPUNIT_TEST(testTryReapWaitAndDescribeExit);
	CPPUNIT_TEST(testSignalGroupReachesGrandchild);
	CPPUNIT_TEST(testKillDescendantsReachesOwnSession);
	CPPUNIT_TEST(testMoveLeavesSourceEmpty);
	CPPUNIT_TEST(testAssigningOverRunningProcessKillsAndReapsIt);
	CPPUNIT_TEST(testDestructorKillsAndReapsRunningProcess);
	CPPUNIT_TEST(testEnvironmentHasPath);
	CPPUNIT_TEST(testSearchPathFindsSh);
	CPPUNIT_TEST(testOutputPipesAreNonBlockingAndCloseOnExec);
	CPPUNIT_TEST_SUITE_END();

public:
	void setUp() override
	{
		_fds = openDescriptors();
	}

	void tearDown() override
	{
		// Every test reaps what it started and closes what it opened. Without
		// pidfd (Linux < 5.3, execd_oldkernel) each exit descriptor has a waiter
		// thread that closes its own copy just after the exit: give it time.
		auto deadline = Clock::now() + DEADLINE;
		while (openDescriptors() != _fds && Clock::now() < deadline) ::usleep(10000);
		CPPUNIT_ASSERT_EQUAL(join(_fds), join(openDescriptors()));
		int status = 0;
		CPPUNIT_ASSERT_EQUAL(-1, static_cast<int>(::waitpid(-1, &status, WNOHANG)));
		CPPUNIT_ASSERT_EQUAL(ECHILD, errno);
	}

	void testPipesKeepStdoutAndStderrApart()
	{
		Subprocess process(shell("echo out; echo err >&2"));
		CPPUNIT_ASSERT(process.pid() > 0);
		CPPUNIT_ASSERT(process.running());
		CPPUNIT_ASSERT_EQUAL(-1, process.input());
		CPPUNIT_ASSERT_EQUAL(-1, process.terminal());
		CPPUNIT_ASSERT_EQUAL(-1, process.controlIn());
		CPPUNIT_ASSERT_EQUAL(-1, process.controlOut());
		CPPUNIT_ASSERT_EQUAL(std::string("out\n"), readUntil(process.output()));
		CPPUNIT_ASSERT_EQUAL(std::string("err\n"), readUntil(process.errors()));
		CPPUNIT_ASSERT_EQUAL(std::string("exit status 0"), exitOf(process));
		CPPUNIT_ASSERT(!process.running());
	}

	void testStdinPipeIsEchoedBackByCat()
	{
		for (bool fork: {false, true})
		{
			Subprocess::Options options = cat();
			if (fork) asCurrentUser(options);
			Subprocess process(options);
			CPPUNIT_ASSERT(process.input() >= 0);
			CPPUNIT_ASSERT_EQUAL(static_cast<ssize_t>(6), ::write(process.input(), "hello\n", 6));
			CPPUNIT_ASSERT_EQUAL(std::string("hello\n"), readUntil(process.output(), "hello\n"));
			CPPUNIT_ASSERT_EQUAL(static_cast<ssize_t>(6), ::write(process.input(), "world\n", 6));
			process.closeInput();
			CPPUNIT_ASSERT_EQUAL(-1, process.input());
			CPPUNIT_ASSERT_EQUAL(std::string("world\n"), readUntil(process.output()));
			CPPUNIT_ASSERT_EQUAL(std::string("exit status 0"), exitOf(process));
		}
	}

	void testNoInputGivesEndOfFile()
	{
		for (bool fork: {false, true})
		{
			Subprocess::Options options = shell("cat; echo \"eof $?\"; readlink /proc/self/fd/0");
			if (fork) asCurrentUser(options);
			Subprocess process(options);
			CPPUNIT_ASSERT_EQUAL(-1, process.input());
			CPPUNIT_ASSERT_EQUAL(std::string("eof 0\n/dev/null\n"), readUntil(process.output()));
			CPPUNIT_ASSERT_EQUAL(std::string("exit status 0"), exitOf(process));
		}
	}

	void testEnvironmentIsExactlyTheGivenOne()
	{
		Subprocess::Options options;
		options.argv = {"/usr/bin/env"};
		options.env = {"FOO=bar", "EMPTY="};
		Subprocess process(options);
		CPPUNIT_ASSERT_EQUAL(std::string("FOO=bar\nEMPTY=\n"), readUntil(process.output()));
		CPPUNIT_ASSERT_EQUAL(std::string("exit status 0"), exitOf(process));
	}

	void testDescriptorOutputTakesBothStreams()
	{
		TempFile temp;
		const int file = temp.fd;
		CPPUNIT_ASSERT(file >= 0);
		for (bool fork: {false, true})
		{
			CPPUNIT_ASSERT_EQUAL(0, ::ftruncate(file, 0));
			CPPUNIT_ASSERT_EQUAL(static_cast<off_t>(0), ::lseek(file, 0, SEEK_SET));
			Subprocess::Options options = shell("echo out; echo err >&2; echo out2");
			options.output = Subprocess::Output::DESCRIPTOR;
			options.outputDescriptor = file;
			if (fork) asCurrentUser(options);
			Subprocess process(options);
			CPPUNIT_ASSERT_EQUAL(-1, process.output());
			CPPUNIT_ASSERT_EQUAL(-1, process.errors());
			CPPUNIT_ASSERT_EQUAL(std::string("exit status 0"), exitOf(process));
			CPPUNIT_ASSERT_EQUAL(static_cast<off_t>(0), ::lseek(file, 0, SEEK_SET));
			CPPUNIT_ASSERT_EQUAL(std::string("out\nerr\nout2\n"), readUntil(file));
		}
		temp.close();

		Subprocess::Options none = shell("true");
		none.output = Subprocess::Output::DESCRIPTOR;
		CPPUNIT_ASSERT_THROW(Subprocess{none}, Poco::InvalidArgumentException);
	}

	void testMissingProgramIsSystemException()
	{
		Subprocess::Options options;
		options.argv = {"/nonexistent/x"};
		assertStartFails(options, "fork/exec /nonexistent/x: no such file or directory", ENOENT);
		// No program, or an empty name: as posix_spawn says of an empty path, so
		// that callers handle it as any missing program.
		options.argv = {};
		assertStartFails(options, "fork/exec : no such file or directory", ENOENT);
		options.argv = {""};
		assertStartFails(options, "fork/exec : no such file or directory", ENOENT);
		// A failed start of a reused object names no process, not the last one.
		Subprocess reused(shell("true"));
		reused.wait();
		options.argv = {"/nonexistent/x"};
		CPPUNIT_ASSERT_THROW(reused.start(options), Poco::SystemException);
		CPPUNIT_ASSERT_EQUAL(-1, reused.pid());
	}

	void testBadDirectoryIsSystemException()
	{
		Subprocess::Options options;
		options.argv = {"/bin/true"};
		options.cwd = "/nonexistent/dir";
		assertStartFails(options, "fork/exec /bin/true: no such file or directory", ENOENT);
		// And a directory that exists is the child's.
		options = shell("pwd");
		options.cwd = "/tmp";
		Subprocess process(options);
		CPPUNIT_ASSERT_EQUAL(std::string("/tmp\n"), readUntil(process.output()));
		CPPUNIT_ASSERT_EQUAL(std::string("exit status 0"), exitOf(process));
	}

	void testForkPathStartFailuresAreSystemExceptions()
	{
		Subprocess::Options options;
		options.argv = {"/nonexistent/x"};
		asCurrentUser(options);
		assertStartFails(options, "fork/exec /nonexistent/x: no such file or directory", ENOENT);
		options.argv = {"/bin/true"};
		options.cwd = "/nonexistent/dir";
		assertStartFails(options, "fork/exec /bin/true: no such file or directory", ENOENT);
		// Not executable (no x bit, which even root needs): EACCES, on both paths.
		TempFile temp;
		CPPUNIT_ASSERT(temp.fd >= 0);
		temp.close();
		const std::string name = temp.name;
		for (bool fork: {false, true})
		{
			Subprocess::Options plain;
			plain.argv = {name};
			if (fork) asCurrentUser(plain);
			assertStartFails(plain, "fork/exec " + name + ": permission denied", EACCES);
		}
	}

	void testStartWhileRunningIsIllegalState()
	{
		Subprocess::Options options = cat();
		Subprocess process(options);
		pid_t first = process.pid();
		CPPUNIT_ASSERT_THROW(process.start(shell("true")), Poco::IllegalStateException);
		CPPUNIT_ASSERT_EQUAL(first, process.pid());
		process.closeInput();
		CPPUNIT_ASSERT_EQUAL(std::string("exit status 0"), exitOf(process));
		// Once reaped, the same object starts the next one.
		process.start(shell("exit 4"));
		CPPUNIT_ASSERT(process.pid() != first);
		CPPUNIT_ASSERT_EQUAL(std::string("exit status 4"), exitOf(process));
	}

	void testSwitchesUserGroupAndGroups()
	{
		if (::geteuid() != 0) return;   // only root can switch users
		Subprocess::Options options = shell("id -u; id -g; id -G");
		options.cwd = "/";
		options.uid = 65534;
		options.gid = 65534;
		options.groups = {65534};
		Subprocess process(options);
		CPPUNIT_ASSERT_EQUAL(std::string("65534\n65534\n65534\n"), readUntil(process.output()));
		CPPUNIT_ASSERT_EQUAL(std::string(""), readUntil(process.errors()));
		CPPUNIT_ASSERT_EQUAL(std::string("exit status 0"), exitOf(process));

		// Several supplementary groups, all set; root's own (0) is not kept.
		options.groups = {65534, 1234, 4321};
		Subprocess more(options);
		CPPUNIT_ASSERT_EQUAL(std::string("65534\n65534\n65534 1234 4321\n"), readUntil(more.output()));
		CPPUNIT_ASSERT_EQUAL(std::string("exit status 0"), exitOf(more));
	}

	void testTerminalIsStdinAndLeadsItsSession()
	{
		Subprocess::Options options = shell(
			"test -t 0 && echo tty; "
			"read -r pid comm state ppid pgrp sid rest < /proc/$$/stat; echo \"pid=$pid sid=$sid pgrp=$pgrp\"; "
			"stty size");
		options.output = Subprocess::Output::TERMINAL;
		options.input = Subprocess::Input::PIPE;   // ignored: the terminal is stdin
		options.rows = 30;
		options.columns = 100;
		Subprocess process(options);
		CPPUNIT_ASSERT(process.terminal() >= 0);
		CPPUNIT_ASSERT_EQUAL(-1, process.input());
		CPPUNIT_ASSERT_EQUAL(-1, process.output());
		CPPUNIT_ASSERT_EQUAL(-1, process.errors());
		const std::string pid = std::to_string(process.pid());
		// After the last line the child closes the terminal: the master reads EIO, the end.
		std::string text = readUntil(process.terminal());
		CPPUNIT_ASSERT_EQUAL(std::string("tty\r\npid=" + pid + " sid=" + pid + " pgrp=" + pid + "\r\n30 100\r\n"), text);
		CPPUNIT_ASSERT_EQUAL(std::string("exit status 0"), exitOf(process));
	}

	void testControlPairIsThreeAndFour()
	{
		for (bool fork: {false, true})
		{
			Subprocess::Options options = shell("read x <&3; echo \"got $x\" >&4; echo done");
			options.control = true;
			if (fork) asCurrentUser(options);
			Subprocess process(options);
			CPPUNIT_ASSERT(process.controlIn() >= 0);
			CPPUNIT_ASSERT(process.controlOut() >= 0);
			CPPUNIT_ASSERT_EQUAL(static_cast<ssize_t>(3), ::write(process.controlIn(), "hi\n", 3));
			CPPUNIT_ASSERT_EQUAL(std::string("got hi\n"), readUntil(process.controlOut()));
			CPPUNIT_ASSERT_EQUAL(std::string("done\n"), readUntil(process.output()));
			CPPUNIT_ASSERT_EQUAL(std::string("exit status 0"), exitOf(process));
		}
	}

	void testChildInheritsNoOtherDescriptor()
	{
		// Not close-on-exec: only Subprocess's own closing keeps it from the child.
		int null = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
		int leaky = ::fcntl(null, F_DUPFD, 100);
		::close(null);
		CPPUNIT_ASSERT(leaky >= 100);
		CPPUNIT_ASSERT_EQUAL(0, ::fcntl(leaky, F_GETFD) & FD_CLOEXEC);
		for (bool control: {false, true})
		{
			for (bool fork: {false, true})
			{
				Subprocess::Options options;
				options.argv = {"/bin/ls", "/proc/self/fd"};
				options.control = control;
				if (fork) asCurrentUser(options);
				Subprocess process(options);
				// ls's own directory descriptor is the lowest free one.
				std::string expected = control ? "0 1 2 3 4 5" : "0 1 2 3";
				CPPUNIT_ASSERT_EQUAL(expected, join(listedDescriptors(readUntil(process.output()))));
				CPPUNIT_ASSERT_EQUAL(std::string("exit status 0"), exitOf(process));
			}
		}
		::close(leaky);
	}

	void testExitDescriptorReadableAfterExitNotBefore()
	{
		Subprocess none;
		CPPUNIT_ASSERT_EQUAL(-1, none.exitDescriptor());
		for (bool fork: {false, true})
		{
			Subprocess::Options options = shell("read x");
			options.input = Subprocess::Input::PIPE;
			if (fork) asCurrentUser(options);
			Subprocess process(options);
			CPPUNIT_ASSERT(process.exitDescriptor() >= 0);
			struct pollfd p{process.exitDescriptor(), POLLIN, 0};
			CPPUNIT_ASSERT_EQUAL(0, ::poll(&p, 1, 0));
			int status = 0;
			CPPUNIT_ASSERT(!process.tryReap(status));
			process.closeInput();
			CPPUNIT_ASSERT(waitReadable(process.exitDescriptor(), Clock::now() + DEADLINE));
			// Readable until reaped, and reaping does not wait.
			CPPUNIT_ASSERT_EQUAL(1, ::poll(&p, 1, 0));
			CPPUNIT_ASSERT(p.revents & POLLIN);
			CPPUNIT_ASSERT(process.tryReap(status));
			int code = 0;
			CPPUNIT_ASSERT_EQUAL(std::string("exit status 1"), Subprocess::describeExit(status, code));
			CPPUNIT_ASSERT_EQUAL(1, code);
		}
	}

	void testTryReapWaitAndDescribeExit()
	{
		int status = 0;
		Subprocess none;
		CPPUNIT_ASSERT(!none.tryReap(status));
		CPPUNIT_ASSERT(!none.running());

		// wait() blocks without a deadline: call it only once the exit is seen.
		Subprocess three(shell("exit 3"));
		CPPUNIT_ASSERT(waitReadable(three.exitDescriptor(), Clock::now() + DEADLINE));
		status = three.wait();
		int code = 0;
		CPPUNIT_ASSERT_EQUAL(std::string("exit status 3"), Subprocess::describeExit(status, code));
		CPPUNIT_ASSERT_EQUAL(3, code);
		CPPUNIT_ASSERT(!three.running());
		// Once reaped: the same status, at once, from both.
		int again = -7;
		CPPUNIT_ASSERT(three.tryReap(again));
		CPPUNIT_ASSERT_EQUAL(status, again);
		CPPUNIT_ASSERT_EQUAL(status, three.wait());
		// The pid stays known after reaping.
		CPPUNIT_ASSERT(three.pid() > 0);

		Subprocess killed(shell("kill -9 $$"));
		status = reap(killed);
		CPPUNIT_ASSERT_EQUAL(std::string("signal: killed"), Subprocess::describeExit(status, code));
		CPPUNIT_ASSERT_EQUAL(-1, code);

		Subprocess terminated(shell("kill -TERM $$"));
		CPPUNIT_ASSERT(waitReadable(terminated.exitDescriptor(), Clock::now() + DEADLINE));
		CPPUNIT_ASSERT_EQUAL(std::string("signal: terminated"), Subprocess::describeExit(terminated.wait(), code));

		CPPUNIT_ASSERT_EQUAL(std::string("wait: no child processes"),
			Subprocess::describeExit(Subprocess::WAIT_FAILED, code));
		CPPUNIT_ASSERT_EQUAL(-1, code);

		// Someone else reaped it: the status is lost, tryReap says so.
		Subprocess stolen(shell("exit 5"));
		CPPUNIT_ASSERT(waitReadable(stolen.exitDescriptor(), Clock::now() + DEADLINE));
		CPPUNIT_ASSERT_EQUAL(stolen.pid(), ::waitpid(stolen.pid(), &status, 0));
		CPPUNIT_ASSERT(stolen.tryReap(status));
		CPPUNIT_ASSERT_EQUAL(Subprocess::WAIT_FAILED, status);
		Subprocess stolenToo(shell("exit 5"));
		CPPUNIT_ASSERT_EQUAL(stolenToo.pid(), ::waitpid(stolenToo.pid(), &status, 0));
		CPPUNIT_ASSERT_EQUAL(Subprocess::WAIT_FAILED, stolenToo.wait());
	}

	void testSignalGroupReachesGrandchild()
	{
		Subprocess process(shell("sleep 1000 >/dev/null 2>&1 & echo $!; wait"));
		Killer grandchild;
		grandchild.pid = std::atoi(firstLine(process.output()).c_str());
		CPPUNIT_ASSERT(grandchild.pid > 0);
		CPPUNIT_ASSERT_EQUAL(process.pid(), ::getpgid(grandchild.pid));
		process.signalGroup(SIGTERM);
		CPPUNIT_ASSERT_EQUAL(std::string("signal: terminated"), exitOf(process));
		CPPUNIT_ASSERT(becomesGone(grandchild.pid));
		// Reaped: no more signals (the pid may be someone else's by now).
		process.signalGroup(SIGKILL);
	}

	void testKillDescendantsReachesOwnSession()
	{
		Subprocess process(shell("setsid /bin/sh -c 'echo $$; exec sleep 1000 >/dev/null 2>&1' & wait"));
		Killer escaped;
		escaped.pid = std::atoi(firstLine(process.output()).c_str());
		CPPUNIT_ASSERT(escaped.pid > 0);
		// It echoed after setsid: it is out of the group, so signalGroup would miss it.
		CPPUNIT_ASSERT_EQUAL(escaped.pid, ::getsid(escaped.pid));
		CPPUNIT_ASSERT(::getpgid(escaped.pid) != process.pid());
		process.killDescendants();
		CPPUNIT_ASSERT_EQUAL(std::string("signal: killed"), exitOf(process));
		CPPUNIT_ASSERT(becomesGone(escaped.pid));
		// Reaped: nothing to do.
		process.killDescendants();
	}

	void testMoveLeavesSourceEmpty()
	{
		Subprocess::Options options = cat(true);
		Subprocess first(options);
		const pid_t pid = first.pid();
		const int in = first.input(), out = first.output(), err = first.errors(), exit = first.exitDescriptor();
		const int ctlIn = first.controlIn(), ctlOut = first.controlOut();

		Subprocess second(std::move(first));
		assertEmpty(first);
		CPPUNIT_ASSERT_EQUAL(pid, second.pid());
		CPPUNIT_ASSERT(second.running());
		CPPUNIT_ASSERT_EQUAL(in, second.input());
		CPPUNIT_ASSERT_EQUAL(out, second.output());
		CPPUNIT_ASSERT_EQUAL(err, second.errors());
		CPPUNIT_ASSERT_EQUAL(exit, second.exitDescriptor());
		CPPUNIT_ASSERT_EQUAL(ctlIn, second.controlIn());
		CPPUNIT_ASSERT_EQUAL(ctlOut, second.controlOut());

		Subprocess third;
		third = std::move(second);
		assertEmpty(second);
		CPPUNIT_ASSERT_EQUAL(pid, third.pid());
		CPPUNIT_ASSERT_EQUAL(in, third.input());
		CPPUNIT_ASSERT_EQUAL(exit, third.exitDescriptor());
		// Still the same working process.
		CPPUNIT_ASSERT_EQUAL(static_cast<ssize_t>(3), ::write(third.input(), "ok\n", 3));
		CPPUNIT_ASSERT_EQUAL(std::string("ok\n"), readUntil(third.output(), "\n"));
		third.closeInput();
		CPPUNIT_ASSERT_EQUAL(std::string("exit status 0"), exitOf(third));

		// Self-assignment (through a reference, so the compiler does not object) changes nothing.
		Subprocess& alias = third;
		third = std::move(alias);
		CPPUNIT_ASSERT_EQUAL(pid, third.pid());
		CPPUNIT_ASSERT_EQUAL(exit, third.exitDescriptor());
	}

	void testAssigningOverRunningProcessKillsAndReapsIt()
	{
		Subprocess process(shell("exec sleep 1000"));
		const pid_t old = process.pid();
		auto start = Clock::now();
		process = Subprocess(shell("exit 6"));
		CPPUNIT_ASSERT(Clock::now() - start < DEADLINE);
		CPPUNIT_ASSERT(process.pid() != old);
		int status = 0;
		CPPUNIT_ASSERT_EQUAL(-1, static_cast<int>(::waitpid(old, &status, WNOHANG)));
		CPPUNIT_ASSERT_EQUAL(ECHILD, errno);
		CPPUNIT_ASSERT_EQUAL(std::string("exit status 6"), exitOf(process));
	}

	void testDestructorKillsAndReapsRunningProcess()
	{
		for (bool fork: {false, true})
		{
			pid_t pid = -1;
			pid_t grandchild = -1;
			auto start = Clock::now();
			{
				Subprocess::Options options = shell("sleep 1000 >/dev/null 2>&1 & echo $!; wait");
				if (fork) asCurrentUser(options);
				Subprocess process(options);
				pid = process.pid();
				grandchild = std::atoi(firstLine(process.output()).c_str());
				start = Clock::now();
			}
			Killer cleanup;
			cleanup.pid = grandchild;
			// A second at most by design; ten to spare on a loaded machine.
			CPPUNIT_ASSERT(Clock::now() - start < DEADLINE);
			int status = 0;
			CPPUNIT_ASSERT_EQUAL(-1, static_cast<int>(::waitpid(pid, &status, WNOHANG)));
			CPPUNIT_ASSERT_EQUAL(ECHILD, errno);
			// The whole group was killed, not just the shell.
			CPPUNIT_ASSERT(grandchild > 0);
			CPPUNIT_ASSERT(becomesGone(grandchild));
		}
	}

	void testEnvironmentHasPath()
	{
		std::vector<std::string> env = Subprocess::environment();
		const char* path = std::getenv("PATH");
		CPPUNIT_ASSERT(path != nullptr);
		CPPUNIT_ASSERT(std::find(env.begin(), env.end(), std::string("PATH=") + path) != env.end());
	}

	void testSearchPathFindsSh()
	{
		for (bool fork: {false, true})
		{
			Subprocess::Options options;
			options.argv = {"sh", "-c", "echo found"};
			options.env = Subprocess::environment();
			options.cwd = "/";
			options.searchPath = true;
			if (fork) asCurrentUser(options);
			Subprocess process(options);
			CPPUNIT_ASSERT_EQUAL(std::string("found\n"), readUntil(process.output()));
			CPPUNIT_ASSERT_EQUAL(std::string("exit status 0"), exitOf(process));

			// Without the search, "sh" is a path relative to the directory, and there is none.
			options.searchPath = false;
			assertStartFails(options, "fork/exec sh: no such file or directory", ENOENT);
		}
	}

	void testOutputPipesAreNonBlockingAndCloseOnExec()
	{
		Subprocess::Options options = cat(true);
		Subprocess process(options);
		CPPUNIT_ASSERT(::fcntl(process.output(), F_GETFL) & O_NONBLOCK);
		CPPUNIT_ASSERT(::fcntl(process.errors(), F_GETFL) & O_NONBLOCK);
		// The others block.
		CPPUNIT_ASSERT(!(::fcntl(process.input(), F_GETFL) & O_NONBLOCK));
		CPPUNIT_ASSERT(!(::fcntl(process.controlIn(), F_GETFL) & O_NONBLOCK));
		CPPUNIT_ASSERT(!(::fcntl(process.controlOut(), F_GETFL) & O_NONBLOCK));
		// Nothing of ours leaks into the next program another thread starts.
		for (int fd: {process.input(), process.output(), process.errors(), process.controlIn(), process.controlOut(),
			process.exitDescriptor()})
			CPPUNIT_ASSERT(::fcntl(fd, F_GETFD) & FD_CLOEXEC);
		// Nothing to read yet: EAGAIN at once, not a blocked test.
		char c;
		CPPUNIT_ASSERT_EQUAL(static_cast<ssize_t>(-1), ::read(process.output(), &c, 1));
		CPPUNIT_ASSERT_EQUAL(EAGAIN, errno);
		process.closeInput();
		process.closeOutput();
		process.closeErrors();
		CPPUNIT_ASSERT_EQUAL(-1, process.output());
		CPPUNIT_ASSERT_EQUAL(-1, process.errors());
		CPPUNIT_ASSERT_EQUAL(std::string("exit status 0"), exitOf(process));
	}

private:
	static void assertEmpty(const Subprocess& process)
	{
		CPPUNIT_ASSERT_EQUAL(-1, process.pid());
		CPPUNIT_ASSERT(!process.running());
		CPPUNIT_ASSERT_EQUAL(-1, process.exitDescriptor());
		CPPUNIT_ASSERT_EQUAL(-1, process.input());
		CPPUNIT_ASSERT_EQUAL(-1, process.output());
		CPPUNIT_ASSERT_EQUAL(-1, process.errors());
		CPPUNIT_ASSERT_EQUAL(-1, process.terminal());
		CPPUNIT_ASSERT_EQUAL(-1, process.controlIn());
		CPPUNIT_ASSERT_EQUAL(-1, process.controlOut());
	}

	std::vector<int> _fds;
};

CPPUNIT_TEST_SUITE_REGISTRATION(SubprocessTest);
