#include "execd/Process.h"
#include <cerrno>
#include <climits>
#include <csignal>
#include <dirent.h>
#include <fcntl.h>
#include <memory>
#include <pthread.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>


namespace execd {


namespace {


// execd promises to run on Linux 4.18. The calls below are newer; each has a
// fallback, chosen once by this probe (README "Kernel requirements").
Process::KernelSupport probe()
{
	Process::KernelSupport support;
	int fd = static_cast<int>(::syscall(SYS_pidfd_open, ::getpid(), 0));
	if (fd >= 0)
		::close(fd);
	else
		support.pidfdError = errno;
	// An empty range closes nothing where close_range exists (5.9), and fails
	// with ENOSYS where it does not.
	if (::syscall(SYS_close_range, ~0U, ~0U, 0) != 0) support.closeRangeError = errno;
	return support;
}


// At load time, long before any fork: a child then only reads the result,
// which is async-signal-safe.
const Process::KernelSupport& probedAtLoad = Process::kernelSupport();


const std::size_t WAITER_STACK_BYTES = 64 * 1024;


struct ExitWait
{
	pid_t pid;
	int fd;
};


extern "C" void* waitForExit(void* argument)
{
	std::unique_ptr<ExitWait> wait(static_cast<ExitWait*>(argument));
	// WEXITED without WNOWAIT would reap the child, and so steal its status from
	// its owner. ECHILD means the owner reaped it already: an exit all the same.
	siginfo_t info;
	while (::waitid(P_PID, static_cast<id_t>(wait->pid), &info, WEXITED | WNOWAIT) != 0 && errno == EINTR)
	{
	}
	::eventfd_write(wait->fd, 1);
	::close(wait->fd);
	return nullptr;
}


bool parseDescriptor(const char* name, int& fd)
{
	if (*name == '\0') return false;
	long value = 0;
	for (const char* p = name; *p; ++p)
	{
		if (*p < '0' || *p > '9' || value > INT_MAX / 10) return false;
		value = value * 10 + (*p - '0');
	}
	if (value > INT_MAX) return false;
	fd = static_cast<int>(value);
	return true;
}


bool closeListed(int lowest, int keep)
	// The fallback without close_range: the descriptors /proc/self/fd lists,
	// read with getdents64 into a buffer on the stack (opendir would allocate).
	// Positions in that directory are descriptor numbers, so closing entries
	// already read does not disturb the listing. False without /proc.
{
	int dir = ::open("/proc/self/fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dir < 0) return false;
	alignas(struct dirent64) char buffer[4096];
	ssize_t n;
	while ((n = ::getdents64(dir, buffer, sizeof(buffer))) > 0)
	{
		for (ssize_t at = 0; at < n;)
		{
			const struct dirent64* entry = reinterpret_cast<const struct dirent64*>(buffer + at);
			at += entry->d_reclen;
			int fd = -1;
			if (parseDescriptor(entry->d_name, fd) && fd >= lowest && fd != keep && fd != dir) ::close(fd);
		}
	}
	::close(dir);
	return n == 0;
}


} // namespace


namespace Process {


const KernelSupport& kernelSupport()
{
	static const KernelSupport support = probe();
	return support;
}


int openExitDescriptor(pid_t pid)
{
	if (kernelSupport().pidfd()) return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));

	// No pidfd (Linux < 5.3): an eventfd, and a thread that waits for the exit
	// and signals it. The thread writes to a descriptor of its own, so that the
	// owner may close its end at any time without the thread ever writing to a
	// number reused meanwhile. The thread lives in the core library, which is
	// never unloaded, unlike the module that asked.
	int fd = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (fd < 0) return -1;
	int theirs = ::fcntl(fd, F_DUPFD_CLOEXEC, 0);
	ExitWait* pWait = theirs >= 0 ? new (std::nothrow) ExitWait{pid, theirs} : nullptr;
	int rc = pWait ? 0 : (theirs >= 0 ? ENOMEM : errno);
	if (rc == 0)
	{
		pthread_attr_t attributes;
		pthread_attr_init(&attributes);
		pthread_attr_setdetachstate(&attributes, PTHREAD_CREATE_DETACHED);
		pthread_attr_setstacksize(&attributes, WAITER_STACK_BYTES);
		// Started with every signal blocked, so that none is ever delivered to it.
		sigset_t all, previous;
		sigfillset(&all);
		pthread_sigmask(SIG_SETMASK, &all, &previous);
		pthread_t thread;
		rc = pthread_create(&thread, &attributes, waitForExit, pWait);
		pthread_sigmask(SIG_SETMASK, &previous, nullptr);
		pthread_attr_destroy(&attributes);
	}
	if (rc != 0)
	{
		delete pWait;
		if (theirs >= 0) ::close(theirs);
		::close(fd);
		errno = rc;
		return -1;
	}
	return fd;
}


void closeDescriptorsFrom(int lowest, int keep)
{
	if (keep < lowest) keep = -1;
	if (kernelSupport().closeRange())
	{
		const unsigned first = static_cast<unsigned>(lowest);
		if (keep < 0)
		{
			::syscall(SYS_close_range, first, ~0U, 0);
			return;
		}
		if (keep > lowest) ::syscall(SYS_close_range, first, static_cast<unsigned>(keep - 1), 0);
		::syscall(SYS_close_range, static_cast<unsigned>(keep + 1), ~0U, 0);
		return;
	}
	if (closeListed(lowest, keep)) return;
	// No /proc either: every number the descriptor limit allows (execd raised
	// the soft limit to the hard one at start-up).
	struct rlimit limit;
	rlim_t top = ::getrlimit(RLIMIT_NOFILE, &limit) == 0 ? limit.rlim_cur : 1024;
	if (top == RLIM_INFINITY || top > static_cast<rlim_t>(INT_MAX)) top = INT_MAX;
	for (int fd = lowest; static_cast<rlim_t>(fd) < top; ++fd)
	{
		if (fd != keep) ::close(fd);
	}
}


} // namespace Process


} // namespace execd
