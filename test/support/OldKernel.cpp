// execd_oldkernel [--list] command [argument...]
//
// Runs the command as if on Linux 4.18: a seccomp filter makes every system
// call newer than that fail with ENOSYS (pidfd_open, pidfd_send_signal,
// pidfd_getfd, clone3, close_range, openat2, faccessat2, epoll_pwait2, ...),
// for the command and everything it starts. Since Linux 5.1 every
// architecture numbers new calls alike, from 424 on, and 4.19 to 5.0 added
// none to x86_64, so there "424 and up" is exactly what 4.18 lacks (arm64 got
// kexec_file_load in 5.0 as well, which execd has no use for).
// --list prints the names of the calls it blocks (those libseccomp knows).
// The tests start execd through it (EXECD_TEST_WRAPPER, the oldkernel.* ctest
// entries) to show that every feature works without those calls.

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <seccomp.h>
#include <unistd.h>


namespace {


const int FIRST_NEWER = 424;    // pidfd_send_signal, Linux 5.1
const int LAST_BLOCKED = 600;   // room for calls yet to come


int fail(const char* what, int rc)
{
	std::fprintf(stderr, "execd_oldkernel: %s: %s\n", what, std::strerror(rc < 0 ? -rc : rc));
	return 126;
}


} // namespace


int main(int argc, char** argv)
{
	int first = 1;
	bool list = false;
	if (first < argc && std::strcmp(argv[first], "--list") == 0)
	{
		list = true;
		++first;
	}
	if (first < argc && std::strcmp(argv[first], "--") == 0) ++first;
	if (first >= argc && !list)
	{
		std::fprintf(stderr, "usage: execd_oldkernel [--list] command [argument...]\n");
		return 2;
	}

	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);   // also sets no_new_privs
	if (!ctx) return fail("seccomp_init", ENOMEM);
	int rc = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_ALLOW);
	// A binary tree instead of a chain of comparisons: every call the command
	// makes passes the filter.
	if (rc == 0) rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2);
	for (int nr = FIRST_NEWER; rc == 0 && nr <= LAST_BLOCKED; ++nr)
	{
		rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), nr, 0);
		if (list && rc == 0)
		{
			char* name = seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, nr);
			if (name) std::printf("%d %s\n", nr, name);
			std::free(name);
		}
	}
	if (rc != 0)
	{
		seccomp_release(ctx);
		return fail("seccomp_rule_add", rc);
	}
	if (first >= argc)
	{
		seccomp_release(ctx);
		return 0;
	}
	rc = seccomp_load(ctx);
	seccomp_release(ctx);
	if (rc != 0) return fail("seccomp_load", rc);
	::execvp(argv[first], argv + first);
	std::fprintf(stderr, "execd_oldkernel: %s: %s\n", argv[first], std::strerror(errno));
	return 127;
}
