#pragma once

#include <string>
#include <vector>


namespace execd {
namespace isolation {


class SeccompProgram
	/// The seccomp filter of every session (contract §3.5): everything allowed but
	/// the listed system calls, which fail with EACCES. Built once with libseccomp
	/// for execd's own architecture (other architectures: libseccomp's default, the
	/// process is killed), as the BPF program bwrap --seccomp reads.
{
public:
	static const std::vector<std::string> DEFAULT_DENY;
		/// mount umount2 chroot pivot_root ptrace process_vm_readv process_vm_writev
		/// kcmp init_module finit_module delete_module bpf seccomp personality add_key
		/// request_key keyctl iopl ioperm reboot syslog swapon swapoff setns unshare
		/// name_to_handle_at open_by_handle_at userfaultfd kexec_load kexec_file_load acct
		/// (upstream's 31), and the new mount API, which does what mount does:
		/// open_tree move_mount fsopen fsconfig fsmount fspick mount_setattr

	static std::string build(const std::vector<std::string>& deny);
		/// The program's bytes. Names the architecture lacks are skipped. "" (and a
		/// warning in the log) when libseccomp fails: sessions then run without one.
};


} } // namespace execd::isolation
