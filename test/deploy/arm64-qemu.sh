#!/bin/sh
# deploy.Arm64Qemu (ctest): dist/execd-linux-arm64 (make dist ARCH=arm64) under qemu-user,
# in a root file system that holds only Debian's aarch64 static busybox and its applets.
# As deploy.BusyboxRoot does for amd64: a network namespace of its own, and in-root.sh's
# mount namespace, /proc, /dev and /tmp mounted and chroot; no arguments (port 44772). Checks
# /ping, a command (run by the aarch64 busybox sh: uname -m says aarch64), a file
# upload/download round trip; then Debian's aarch64 bash-static goes in as /bin/bash
# (PTY sessions need bash) and a PTY session echoes over its WebSocket.
# binfmt_misc: an aarch64 entry with the F flag (the interpreter is opened at
# registration, so it works in a chroot) is registered from qemu-user-static's
# /usr/lib/binfmt.d/qemu-aarch64.conf when there is none, and removed again at the end.
# Exits 77 (ctest: skipped) only when binfmt_misc cannot be used.
#   arm64-qemu.sh DIST_EXECD_ARM64 SYSROOT (scripts/arm64-sysroot.sh: bin/busybox, bin/bash-static)
set -eu
execd=$1
sysroot=$2
SKIP=77
here=$(cd "$(dirname "$0")" && pwd)
[ -x "$execd" ] || { echo "arm64-qemu.sh: no $execd; run make dist ARCH=arm64 first" >&2; exit 1; }
[ -x "$sysroot/bin/busybox" ] && [ -x "$sysroot/bin/bash-static" ] || { echo "arm64-qemu.sh: no aarch64 busybox/bash in $sysroot (scripts/arm64-sysroot.sh)" >&2; exit 1; }
conf=/usr/lib/binfmt.d/qemu-aarch64.conf
[ -f "$conf" ] || { echo "arm64-qemu.sh: needs qemu-user-static (scripts/setup.sh)" >&2; exit 1; }

binfmt=/proc/sys/fs/binfmt_misc
mounted_binfmt= registered= work=
cleanup() {
	if [ -n "$work" ]; then
		# Whatever still runs in the root (started here) goes first.
		for proc in /proc/[0-9]*; do
			[ "$(readlink "$proc/root" 2>/dev/null)" = "$work/root" ] && kill -9 "${proc#/proc/}" 2>/dev/null
		done
		rm -rf "$work"
	fi
	[ -n "$registered" ] && echo -1 >"$binfmt/qemu-aarch64"
	[ -n "$mounted_binfmt" ] && umount "$binfmt"
	return 0
}
trap cleanup EXIT
trap 'exit 1' INT TERM

if [ ! -e "$binfmt/register" ]; then
	mount -t binfmt_misc binfmt_misc "$binfmt" 2>/dev/null || { echo "arm64-qemu.sh: SKIP: cannot mount binfmt_misc (not root, or no such file system)"; exit $SKIP; }
	mounted_binfmt=1
fi
if [ ! -e "$binfmt/qemu-aarch64" ]; then
	# The .conf line is the register format; its flags are OPF.
	{ grep -v '^#' "$conf" >"$binfmt/register"; } 2>/dev/null || { echo "arm64-qemu.sh: SKIP: cannot register aarch64 in binfmt_misc"; exit $SKIP; }
	registered=1
fi
grep -q '^enabled' "$binfmt/qemu-aarch64" || { echo "arm64-qemu.sh: the qemu-aarch64 binfmt entry is disabled" >&2; exit 1; }
grep -q '^flags:.*F' "$binfmt/qemu-aarch64" || { echo "arm64-qemu.sh: the qemu-aarch64 binfmt entry has no F flag: a chroot cannot reach its interpreter" >&2; exit 1; }

work=$(mktemp -d /tmp/execd-arm64-XXXXXX)
root=$work/root
mkdir -p "$root/bin" "$root/opt/opensandbox" "$root/proc" "$root/dev" "$root/tmp" "$root/etc"
cp "$sysroot/bin/busybox" "$root/bin/busybox"
chroot "$root" /bin/busybox --install -s /bin
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >"$root/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' >"$root/etc/group"
cp "$execd" "$root/opt/opensandbox/execd"
[ ! -e "$root/lib" ] && [ ! -e "$root/lib64" ] && [ ! -e "$root/usr" ] || { echo "the root is not bare" >&2; exit 1; }
readelf -h "$root/opt/opensandbox/execd" | grep -q AArch64 || { echo "$execd is not an aarch64 program" >&2; exit 1; }

# A network namespace of its own (port 44772 may be taken on the host); in-root.sh adds
# the mount namespace and its mounts, which go with it.
unshare --net /bin/sh -eu -c '
	root=$1; work=$2; sysroot=$3; here=$4
	ip link set lo up
	# Unpacked in the root (not the host'"'"'s /tmp): a fresh unpack under qemu, removed with it.
	EXECD_BUNDLE_DIR=/opt/opensandbox EXECD_ROOT="$root" sh "$here/in-root.sh" &
	pid=$!
	trap "kill \$pid 2>/dev/null; wait \$pid 2>/dev/null || true" EXIT
	trap "exit 1" INT TERM
	base=http://127.0.0.1:44772
	i=0
	until curl -sf "$base/ping" >/dev/null; do
		i=$((i + 1)); [ $i -gt 1500 ] && { echo "execd under qemu did not answer /ping in 30 s" >&2; exit 1; }
		kill -0 $pid 2>/dev/null || { echo "execd under qemu exited" >&2; exit 1; }
		sleep 0.02
	done
	ls "$root"/opt/opensandbox/.execd-*/lib/ld-linux-aarch64.so.1 >/dev/null || { echo "not unpacked in the root" >&2; exit 1; }
	out=$(curl -sf "$base/command" -d "{\"command\":\"echo arch \$(uname -m) from \$(readlink /proc/self/exe)\"}")
	echo "$out" | grep -q "\"text\":\"arch aarch64 from /bin/busybox\"" || { echo "command: $out" >&2; exit 1; }
	printf "round trip\n" >"$work/up.txt"
	curl -sf -F "metadata={\"path\":\"$work/in-root.txt\"};type=application/json" -F "file=@$work/up.txt" "$base/files/upload" >/dev/null
	[ "$(curl -sf "$base/files/download?path=$work/in-root.txt")" = "round trip" ] || { echo "file round trip failed" >&2; exit 1; }
	# PTY sessions need bash: the aarch64 bash-static goes in now.
	cp "$sysroot/bin/bash-static" "$root/bin/bash"
	/usr/bin/python3 "$here/wsecho.py" 44772 || exit 1
	echo "arm64 under qemu: ping, command (aarch64 busybox sh), file round trip, PTY echo over WebSocket: ok"
' arm64-qemu "$root" "$work" "$sysroot" "$here"
