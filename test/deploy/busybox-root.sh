#!/bin/sh
# deploy.BusyboxRoot (ctest): dist/execd deployed as OpenSandbox deploys it, into root
# file systems that hold nothing of this machine's: no libc, no dynamic loader.
#  1. A root with only Debian's static busybox and its applets: execd started there
#     with no arguments answers /ping, runs a command (busybox sh), round-trips a file,
#     serves /metrics and refuses a bash session at once; with EXECD_CLONE3_COMPAT=reexec
#     it re-executes itself through the bundled loader, and hides its token.
#  2. The same root plus Debian's bash-static as /bin/bash: the JS SDK interop suite
#     (test/interop) against execd in it.
# Each execd runs in a mount namespace of its own (in-root.sh); the mounts go with it.
#   busybox-root.sh DIST_EXECD
set -eu
execd=$1
here=$(cd "$(dirname "$0")" && pwd)
[ -x "$execd" ] || { echo "busybox-root.sh: no $execd; run make dist first" >&2; exit 1; }
[ -x /bin/busybox ] && [ -x /bin/bash-static ] || { echo "busybox-root.sh: needs busybox-static and bash-static (scripts/setup.sh)" >&2; exit 1; }
work=$(mktemp -d /tmp/execd-root-XXXXXX)
pid=
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT INT TERM

make_root() {
	root=$1
	mkdir -p "$root/bin" "$root/opt/opensandbox" "$root/proc" "$root/dev" "$root/tmp" "$root/etc"
	cp /bin/busybox "$root/bin/busybox"
	chroot "$root" /bin/busybox --install -s /bin
	printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >"$root/etc/passwd"
	printf 'root:x:0:\nnogroup:x:65534:\n' >"$root/etc/group"
	cp "$execd" "$root/opt/opensandbox/execd"
}

# 1. busybox only, no arguments: execd's default port, 44772, in a network namespace
#    of its own (on the host the port may be taken, if only by a TIME-WAIT socket).
make_root "$work/busybox"
[ ! -e "$work/busybox/lib" ] && [ ! -e "$work/busybox/lib64" ] && [ ! -e "$work/busybox/usr" ] || { echo "the root is not bare" >&2; exit 1; }
unshare --mount --net --propagation private /bin/sh -eu -c '
	root=$1; work=$2
	ip link set lo up
	mount --rbind /dev "$root/dev"
	mount -t proc proc "$root/proc"
	mount --rbind /tmp "$root/tmp"
	chroot "$root" /opt/opensandbox/execd &
	pid=$!
	trap "kill \$pid 2>/dev/null; wait \$pid 2>/dev/null || true" EXIT
	base=http://127.0.0.1:44772
	i=0
	until curl -sf "$base/ping" >/dev/null; do
		i=$((i + 1)); [ $i -gt 250 ] && { echo "execd in the busybox root did not answer /ping" >&2; exit 1; }
		sleep 0.02
	done
	out=$(curl -sf "$base/command" -d "{\"command\":\"echo hi from \$(readlink /proc/self/exe); test -z \\\"\$LD_LIBRARY_PATH\\\" && echo no-library-path\"}")
	echo "$out" | grep -q "\"text\":\"hi from /bin/busybox\"" || { echo "command: $out" >&2; exit 1; }
	echo "$out" | grep -q "\"text\":\"no-library-path\"" || { echo "command environment: $out" >&2; exit 1; }
	printf "round trip\n" >"$work/up.txt"
	curl -sf -F "metadata={\"path\":\"$work/in-root.txt\"};type=application/json" -F "file=@$work/up.txt" "$base/files/upload" >/dev/null
	[ "$(curl -sf "$base/files/download?path=$work/in-root.txt")" = "round trip" ] || { echo "file round trip failed" >&2; exit 1; }
	curl -sf "$base/metrics" | grep -q "\"cpu_count\"" || { echo "metrics failed" >&2; exit 1; }
	# No bash: a session is refused at once, not left waiting.
	out=$(curl -s -m 5 "$base/session" -d "{}")
	echo "$out" | grep -q "bash sessions need bash" || { echo "session without bash: $out" >&2; exit 1; }
	kill $pid; wait $pid || true
	# Through the bundled loader too: EXECD_CLONE3_COMPAT=reexec re-executes execd
	# (the filter is on), and the token is not on its command line.
	EXECD_CLONE3_COMPAT=reexec chroot "$root" /opt/opensandbox/execd --access-token s3cret-token &
	pid=$!
	i=0
	until curl -sf -H "X-EXECD-ACCESS-TOKEN: s3cret-token" "$base/ping" >/dev/null; do
		i=$((i + 1)); [ $i -gt 250 ] && { echo "execd with reexec did not answer /ping" >&2; exit 1; }
		sleep 0.02
	done
	grep -q "Seccomp:.2" /proc/$pid/status || { echo "reexec: no seccomp filter" >&2; exit 1; }
	if tr "\0" " " </proc/$pid/cmdline | grep -q s3cret-token; then echo "the token is on the command line" >&2; exit 1; fi
	echo "busybox root: ping, command, file round trip, metrics, no bash session, clone3 reexec, hidden token: ok"
' busybox-root "$work/busybox" "$work"

# 2. busybox + bash-static: the interop suite.
make_root "$work/bash"
cp /bin/bash-static "$work/bash/bin/bash"
mkdir -p "$work/bash/usr/bin"
ln -s /bin/bash "$work/bash/usr/bin/bash"
cd "$here/../interop"
[ -d node_modules/@alibaba-group/opensandbox ] || npm ci --no-audit --no-fund --loglevel=error
EXECD_ROOT="$work/bash" EXECD_BIN="$here/in-root.sh" node --test --test-concurrency=1
