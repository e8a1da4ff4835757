#include "SeccompProgram.h"
#include "Poco/Logger.h"
#include <cerrno>
#include <cstring>
#include <seccomp.h>
#include <sys/mman.h>
#include <unistd.h>


namespace execd {
namespace isolation {


const std::vector<std::string> SeccompProgram::DEFAULT_DENY{
	"mount", "umount2", "chroot", "pivot_root", "ptrace", "process_vm_readv", "process_vm_writev", "kcmp",
	"init_module", "finit_module", "delete_module", "bpf", "seccomp", "personality", "add_key", "request_key",
	"keyctl", "iopl", "ioperm", "reboot", "syslog", "swapon", "swapoff", "setns", "unshare",
	"name_to_handle_at", "open_by_handle_at", "userfaultfd", "kexec_load", "kexec_file_load", "acct",
	// Beyond upstream's list: the new mount API does what mount(2) does.
	"open_tree", "move_mount", "fsopen", "fsconfig", "fsmount", "fspick", "mount_setattr"};


std::string SeccompProgram::build(const std::vector<std::string>& deny)
{
	Poco::Logger& logger = Poco::Logger::get("execd.isolation");
	scmp_filter_ctx ctx = ::seccomp_init(SCMP_ACT_ALLOW);
	if (!ctx)
	{
		logger.warning("seccomp: seccomp_init failed; sessions run without a filter");
		return "";
	}
	std::string program;
	int rc = 0;
	for (const std::string& name: deny)
	{
		int nr = ::seccomp_syscall_resolve_name(name.c_str());
		if (nr == __NR_SCMP_ERROR) continue;   // not on this architecture
		if ((rc = ::seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EACCES), nr, 0)) != 0) break;
	}
	int fd = rc == 0 ? ::memfd_create("execd-seccomp", MFD_CLOEXEC) : -1;
	if (fd >= 0 && (rc = ::seccomp_export_bpf(ctx, fd)) == 0)
	{
		char buffer[4096];
		::lseek(fd, 0, SEEK_SET);
		for (ssize_t n; (n = ::read(fd, buffer, sizeof(buffer))) > 0; ) program.append(buffer, static_cast<std::size_t>(n));
	}
	if (fd >= 0) ::close(fd);
	::seccomp_release(ctx);
	if (program.empty())
		logger.warning("seccomp: the filter could not be built (%s); sessions run without one", std::string(std::strerror(rc < 0 ? -rc : errno)));
	return program;
}


} } // namespace execd::isolation
