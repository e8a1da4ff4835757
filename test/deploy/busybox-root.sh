#!/bin/sh
# deploy.BusyboxRoot (ctest): dist/execd deployed as OpenSandbox deploys it, into root
# file systems that hold nothing of this machine's: no libc, no dynamic loader.
#  1. A root with only Debian's static busybox and its applets: execd started there
#     with no arguments (JUPYTER_HOST and JUPYTER_TOKEN in its environment, as
#     upstream's code-interpreter image sets them) answers /ping, runs a command
#     (busybox sh), round-trips a file, serves /metrics, keeps a session's state
#     with sh, opens a terminal with sh, runs Python through that external Jupyter server and loads a custom
#     module (examples/echo-language, built out of tree against the installed
#     execd) from /opt/opensandbox/modules; with EXECD_CLONE3_COMPAT=reexec it
#     re-executes itself through the bundled loader, and hides its token.
#  2. The same root plus Debian's bash-static as /bin/bash: the JS SDK interop suite
#     (test/interop: commands, sessions, files, metrics, PTY, proxy) against execd in it.
#  3. The busybox root with bootstrap.sh in --init mode (EXECD_INIT), execd as PID 1
#     of a PID namespace: the entrypoint is its child, an orphaned grandchild is
#     reaped, SIGTERM to PID 1 ends with the entrypoint's status, nothing is left.
# Each execd runs in a mount namespace of its own; the mounts go with it.
#   busybox-root.sh DIST_EXECD STAGE EXAMPLE   (STAGE: the installed execd of make
#   dist, build/dist-stage; EXAMPLE: examples/echo-language)
set -eu
execd=$1
stage=$2
example=$3
here=$(cd "$(dirname "$0")" && pwd)
[ -x "$execd" ] || { echo "busybox-root.sh: no $execd; run make dist first" >&2; exit 1; }
[ -x /bin/busybox ] && [ -x /bin/bash-static ] || { echo "busybox-root.sh: needs busybox-static and bash-static (scripts/setup.sh)" >&2; exit 1; }
work=$(mktemp -d /tmp/execd-root-XXXXXX)
cleanup() {
	# Whatever still runs in one of the roots, or for them (the Jupyter server
	# outside), after a failure, goes first.
	for p in /proc/[0-9]*; do
		case $(readlink "$p/root" 2>/dev/null) in "$work"/*) kill -9 "${p#/proc/}" 2>/dev/null || true; continue ;; esac
		case $(tr '\0' ' ' <"$p/cmdline" 2>/dev/null) in *"$work/"*) kill -9 "${p#/proc/}" 2>/dev/null || true ;; esac
	done
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

make_root() {
	root=$1
	mkdir -p "$root/bin" "$root/opt/opensandbox" "$root/proc" "$root/dev" "$root/tmp" "$root/etc"
	cp /bin/busybox "$root/bin/busybox"
	chroot "$root" /bin/busybox --install -s /bin
	printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >"$root/etc/passwd"
	printf 'root:x:0:\nnogroup:x:65534:\n' >"$root/etc/group"
	cp "$execd" "$root/opt/opensandbox/execd"
	cp "$here/../../scripts/bootstrap.sh" "$root/opt/opensandbox/bootstrap.sh"
}

# The interop suite's npm packages (the SDK, undici's WebSocket for the PTY checks).
(cd "$here/../interop" && { [ -d node_modules/@alibaba-group/opensandbox ] || npm ci --no-audit --no-fund --loglevel=error; })

# The custom module, built as its author would: against the installed execd only.
cmake -S "$example" -B "$work/echo-build" -DCMAKE_PREFIX_PATH="$stage" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$work/echo-build" >/dev/null

# 1. busybox only, no arguments: execd's default port, 44772, in a network namespace
#    of its own (on the host the port may be taken, if only by a TIME-WAIT socket).
make_root "$work/busybox"
[ ! -e "$work/busybox/lib" ] && [ ! -e "$work/busybox/lib64" ] && [ ! -e "$work/busybox/usr" ] || { echo "the root is not bare" >&2; exit 1; }
mkdir -m 0755 "$work/busybox/opt/opensandbox/modules"
cp "$work/echo-build/libexecd_echo.so" "$work/busybox/opt/opensandbox/modules/"
unshare --mount --net --propagation private /bin/sh -eu -c '
	root=$1; work=$2; here=$3
	ip link set lo up
	mount --rbind /dev "$root/dev"
	mount -t proc proc "$root/proc"
	mount --rbind /tmp "$root/tmp"
	# The external Jupyter server, outside the root, on this namespace'"'"'s loopback.
	mkdir "$work/jupyter"
	/usr/bin/jupyter-server --ip=127.0.0.1 --port=18888 --no-browser --allow-root --ServerApp.token=jupyter-s3cret \
		--ServerApp.root_dir="$work/jupyter" --ServerApp.port_retries=0 >"$work/jupyter.log" 2>&1 &
	jupyter=$!
	JUPYTER_HOST=http://127.0.0.1:18888 JUPYTER_TOKEN=jupyter-s3cret chroot "$root" /opt/opensandbox/execd >"$work/execd.log" 2>&1 &
	pid=$!
	trap "kill \$pid \$jupyter 2>/dev/null; wait \$pid \$jupyter 2>/dev/null || true" EXIT
	base=http://127.0.0.1:44772
	i=0
	until curl -sf "$base/ping" >/dev/null; do
		i=$((i + 1)); [ $i -gt 250 ] && { echo "execd in the busybox root did not answer /ping" >&2; exit 1; }
		sleep 0.02
	done
	out=$(curl -sf "$base/command" -d "{\"command\":\"echo hi from \$(readlink /proc/self/exe); test -z \\\"\$LD_LIBRARY_PATH\$EXECD_LAUNCHER\\\" && echo no-library-path\"}")
	echo "$out" | grep -q "\"text\":\"hi from /bin/busybox\"" || { echo "command: $out" >&2; exit 1; }
	echo "$out" | grep -q "\"text\":\"no-library-path\"" || { echo "command environment: $out" >&2; exit 1; }
	printf "round trip\n" >"$work/up.txt"
	curl -sf -F "metadata={\"path\":\"$work/in-root.txt\"};type=application/json" -F "file=@$work/up.txt" "$base/files/upload" >/dev/null
	[ "$(curl -sf "$base/files/download?path=$work/in-root.txt")" = "round trip" ] || { echo "file round trip failed" >&2; exit 1; }
	curl -sf "$base/metrics" | grep -q "\"cpu_count\"" || { echo "metrics failed" >&2; exit 1; }
	# No bash: a session replays its exported variables and directory with sh.
	sid=$(curl -sf -m 5 "$base/session" -d "{}" | sed -n "s/.*\"session_id\":\"\([^\"]*\)\".*/\1/p")
	[ -n "$sid" ] || { echo "no session without bash" >&2; exit 1; }
	out=$(curl -sf "$base/session/$sid/run" -d "{\"command\":\"export KEPT=yes; cd /opt\"}")
	echo "$out" | grep -q "\"type\":\"execution_complete\"" || { echo "sh session, first run: $out" >&2; exit 1; }
	out=$(curl -sf "$base/session/$sid/run" -d "{\"command\":\"echo \$KEPT \$(pwd) [\$LD_LIBRARY_PATH\$EXECD_LAUNCHER]\"}")
	echo "$out" | grep -q "\"text\":\"yes /opt \[\]\"" || { echo "sh session: $out" >&2; exit 1; }
	# A terminal with sh.
	node "$here/pty-echo.mjs" "$base"
	# The drop-in module from /opt/opensandbox/modules.
	grep -q "loaded module .echo. from /opt/opensandbox/modules/libexecd_echo.so" "$work/execd.log" || { echo "no drop-in module:" >&2; cat "$work/execd.log" >&2; exit 1; }
	out=$(curl -sf "$base/code" -d "{\"code\":\"dropped in\",\"context\":{\"language\":\"echo\"}}")
	echo "$out" | grep -q "\"type\":\"stdout\",\"text\":\"dropped in\"" || { echo "echo module: $out" >&2; exit 1; }
	# Python through the external Jupyter server (JUPYTER_HOST, JUPYTER_TOKEN),
	# once it answers (it starts in a second or so, after execd).
	i=0
	until curl -sf -H "Authorization: token jupyter-s3cret" http://127.0.0.1:18888/api/status >/dev/null; do
		i=$((i + 1)); [ $i -gt 1500 ] && { echo "the Jupyter server did not start" >&2; cat "$work/jupyter.log" >&2; exit 1; }
		sleep 0.02
	done
	out=$(curl -s -m 60 "$base/code" -d "{\"code\":\"print(6*7)\",\"context\":{\"language\":\"python\"}}")
	printf "%s\n" "$out" | grep -q "\"type\":\"stdout\",\"text\":\"42\\\\n\"" || { echo "python through JUPYTER_HOST: $out" >&2; cat "$work/execd.log" "$work/jupyter.log" >&2; exit 1; }
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
	echo "busybox root: ping, command, file round trip, metrics, sh session, sh terminal, drop-in module, python via JUPYTER_HOST, clone3 reexec, hidden token: ok"
' busybox-root "$work/busybox" "$work" "$here"

# 2. busybox + bash-static: the interop suite.
make_root "$work/bash"
cp /bin/bash-static "$work/bash/bin/bash"
mkdir -p "$work/bash/usr/bin"
ln -s /bin/bash "$work/bash/usr/bin/bash"
cd "$here/../interop"
EXECD_ROOT="$work/bash" EXECD_BIN="$here/in-root.sh" node --test --test-concurrency=1

# 3. --init: bootstrap.sh with EXECD_INIT=1 execs execd --init -- the entrypoint, as
#    PID 1 of a PID namespace (the container's). The entrypoint leaves an orphan
#    that exits; SIGTERM to PID 1 reaches the entrypoint, whose status (7) is
#    execd's.
root=$work/busybox
rm -f "$work/entry.pid" "$work/orphan.done"
unshare --mount --net --propagation private /bin/sh -eu -c '
	root=$1; work=$2
	ip link set lo up
	unshare --pid --fork /bin/sh -c '"'"'
		root=$1; work=$2
		mount --rbind /dev "$root/dev"
		mount -t proc proc "$root/proc"
		mount --rbind /tmp "$root/tmp"
		EXECD_INIT=1 exec chroot "$root" /bin/sh /opt/opensandbox/bootstrap.sh /bin/sh -c "
			echo \$\$ >$work/entry.pid
			( (sleep 0.2; echo done >$work/orphan.done) & )
			trap \"exit 7\" TERM
			while :; do sleep 0.05; done"'"'"' init "$root" "$work" &
	ns=$!
	base=http://127.0.0.1:44772
	i=0
	until curl -sf "$base/ready" >/dev/null && [ -s "$work/entry.pid" ]; do
		i=$((i + 1)); [ $i -gt 250 ] && { echo "execd --init did not become ready" >&2; kill $ns; exit 1; }
		sleep 0.02
	done
	entry=$(cat "$work/entry.pid")
	i=0
	until [ -s "$work/orphan.done" ]; do i=$((i + 1)); [ $i -gt 250 ] && { echo "the orphan did not run" >&2; exit 1; }; sleep 0.02; done
	sleep 0.2
	# Seen from inside: the entrypoint is PID 1'"'"'s child, and no zombie is left.
	out=$(curl -sf "$base/command" -d "{\"command\":\"cut -d\\\" \\\" -f4 /proc/$entry/stat; grep -l State:.Z /proc/[0-9]*/status | wc -l\"}")
	echo "$out" | grep -q "\"type\":\"stdout\",\"text\":\"1\"" || { echo "the entrypoint is not PID 1'"'"'s child: $out" >&2; exit 1; }
	echo "$out" | grep -q "\"type\":\"stdout\",\"text\":\"0\"" || { echo "a zombie is left: $out" >&2; exit 1; }
	init=$(cat /proc/$ns/task/$ns/children)
	kill -TERM $init
	status=0
	wait $ns || status=$?
	[ $status -eq 7 ] || { echo "execd --init exited with $status, not the entrypoint'"'"'s 7" >&2; exit 1; }
	for p in /proc/[0-9]*; do
		[ "$(readlink $p/root 2>/dev/null)" = "$root" ] && { echo "left running: $(tr "\0" " " <$p/cmdline)" >&2; exit 1; }
	done
	echo "busybox root, --init: entrypoint as PID 1'"'"'s child, orphan reaped, SIGTERM gives its status, nothing left: ok"
' init-root "$root" "$work"
