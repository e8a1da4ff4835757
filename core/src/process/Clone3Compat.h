#pragma once


namespace execd {


int applyClone3Compat(char** argv);
	/// Applies EXECD_CLONE3_COMPAT, as upstream does, before anything else runs:
	///   "", 0, false, off, no  -> nothing;
	///   1, true, yes, on       -> install a seccomp filter that makes clone3(2)
	///                             fail with ENOSYS (libc falls back to clone(2));
	///   reexec                 -> install it, set _EXECD_CLONE3_COMPAT_APPLIED=1 and
	///                             re-execute /proc/self/exe with the same argv, unless
	///                             that variable is already 1.
	/// The filter (with no_new_privs) is inherited by every thread and child.
	/// Returns 1 when the filter is active, 0 when not. Prints a message prefixed
	/// "execd:" to stderr and exits with status 1 on an invalid value or any failure.


} // namespace execd
