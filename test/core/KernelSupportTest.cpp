// Process::openExitDescriptor and Process::closeDescriptorsFrom on whatever
// the kernel offers: unit.KernelSupportTest takes the fast paths (pidfd,
// close_range), oldkernel.KernelSupportTest runs it through execd_oldkernel,
// where both fall back.

#include "execd/Process.h"
#include <chrono>
#include <cppunit/extensions/HelperMacros.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>


namespace {


bool readable(int fd, int timeoutMillis)
{
	struct pollfd p{fd, POLLIN, 0};
	return ::poll(&p, 1, timeoutMillis) == 1 && (p.revents & POLLIN);
}


bool isOpen(int fd)
{
	return ::fcntl(fd, F_GETFD) != -1;
}


} // namespace


class KernelSupportTest: public CppUnit::TestFixture
{
	CPPUNIT_TEST_SUITE(KernelSupportTest);
	CPPUNIT_TEST(testExitDescriptorIsReadableAtTheExit);
	CPPUNIT_TEST(testExitDescriptorLeavesTheStatusToTheOwner);
	CPPUNIT_TEST(testCloseDescriptorsFromSparesKeepAndLower);
	CPPUNIT_TEST_SUITE_END();

public:
	void testExitDescriptorIsReadableAtTheExit()
	{
		int go[2];
		CPPUNIT_ASSERT_EQUAL(0, ::pipe2(go, O_CLOEXEC));
		pid_t pid = ::fork();
		if (pid == 0)
		{
			char byte;
			ssize_t n = ::read(go[0], &byte, 1);
			::_exit(n == 1 ? 3 : 4);
		}
		::close(go[0]);
		int fd = execd::Process::openExitDescriptor(pid);
		CPPUNIT_ASSERT(fd >= 0);
		CPPUNIT_ASSERT(::fcntl(fd, F_GETFD) & FD_CLOEXEC);
		CPPUNIT_ASSERT(!readable(fd, 100));   // still running
		auto exitAt = std::chrono::steady_clock::now();
		CPPUNIT_ASSERT_EQUAL(ssize_t(1), ::write(go[1], "x", 1));
		CPPUNIT_ASSERT(readable(fd, 5000));
		// Noticed at the exit, not at the next round of some polling.
		CPPUNIT_ASSERT(std::chrono::steady_clock::now() - exitAt < std::chrono::milliseconds(500));
		int status = 0;
		CPPUNIT_ASSERT_EQUAL(pid, ::waitpid(pid, &status, 0));
		CPPUNIT_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 3);
		CPPUNIT_ASSERT(readable(fd, 0));   // and stays so
		::close(fd);
		::close(go[1]);
	}

	void testExitDescriptorLeavesTheStatusToTheOwner()
	{
		// Many children, each watched: every status is still there for waitpid,
		// whoever noticed the exit first.
		std::vector<std::pair<pid_t, int>> children;
		for (int i = 0; i < 20; ++i)
		{
			pid_t pid = ::fork();
			if (pid == 0) ::_exit(i);
			int fd = execd::Process::openExitDescriptor(pid);
			CPPUNIT_ASSERT(fd >= 0);
			children.emplace_back(pid, fd);
		}
		for (std::size_t i = 0; i < children.size(); ++i)
		{
			CPPUNIT_ASSERT(readable(children[i].second, 5000));
			int status = -1;
			CPPUNIT_ASSERT_EQUAL(children[i].first, ::waitpid(children[i].first, &status, WNOHANG));
			CPPUNIT_ASSERT(WIFEXITED(status));
			CPPUNIT_ASSERT_EQUAL(static_cast<int>(i), WEXITSTATUS(status));
			::close(children[i].second);
		}
	}

	void testCloseDescriptorsFromSparesKeepAndLower()
	{
		// In a child, as after fork: descriptors 20, 21, 60 and 300 open, 21 kept,
		// 19 below the range. The exit code says what is left.
		pid_t pid = ::fork();
		if (pid == 0)
		{
			int null = ::open("/dev/null", O_RDONLY);
			for (int fd: {19, 20, 21, 60, 300})
				if (::dup2(null, fd) != fd) ::_exit(100);
			execd::Process::closeDescriptorsFrom(20, 21);
			int left = 0;
			if (isOpen(19)) left |= 1;
			if (isOpen(20)) left |= 2;
			if (isOpen(21)) left |= 4;
			if (isOpen(60)) left |= 8;
			if (isOpen(300)) left |= 16;
			if (null >= 20 && null != 21 && isOpen(null)) left |= 32;
			::_exit(left);
		}
		int status = 0;
		CPPUNIT_ASSERT_EQUAL(pid, ::waitpid(pid, &status, 0));
		CPPUNIT_ASSERT(WIFEXITED(status));
		CPPUNIT_ASSERT_EQUAL(1 | 4, WEXITSTATUS(status));
	}
};


CPPUNIT_TEST_SUITE_REGISTRATION(KernelSupportTest);
