#!/bin/sh
# dist/execd in an image with Python and ipykernel but no libzmq of the system's, as a
# pip-installed ipykernel leaves it (pyzmq brings its own libzmq): in a private mount
# namespace the system's libzmq is hidden (/dev/null bound over it), the Python kernel
# gets a copy of its own through its kernelspec's env (LD_LIBRARY_PATH), and execd, in
# its default direct mode with no Jupyter server, must run Python code with the libzmq
# of its bundle.
#   python-only.sh DIST_EXECD
set -eu
execd=$(readlink -f "$1")
[ -x "$execd" ] || { echo "python-only.sh: $1 is missing (make dist)" >&2; exit 1; }
system=$(readlink -f /usr/lib/x86_64-linux-gnu/libzmq.so.5)
work=$(mktemp -d /tmp/execd-pyonly-XXXXXX)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/pyzmq.libs" "$work/jupyter/kernels/python3"
cp "$system" "$work/pyzmq.libs/libzmq.so.5"
cat >"$work/jupyter/kernels/python3/kernel.json" <<JSON
{"argv": ["/usr/bin/python3", "-m", "ipykernel_launcher", "-f", "{connection_file}"], "language": "python",
 "display_name": "Python 3 (pip-style)", "env": {"LD_LIBRARY_PATH": "$work/pyzmq.libs"}}
JSON

unshare -m sh -eu -c '
	mount --make-rprivate /
	mount --bind /dev/null "$1"
	work=$2; execd=$3
	# Nothing of the system can load libzmq now.
	if /usr/bin/python3 -c "import zmq" 2>/dev/null; then echo "python-only.sh: libzmq is not hidden" >&2; exit 1; fi
	JUPYTER_PATH=$work/jupyter "$execd" --port 0 -D execd.portFile=$work/port -D execd.modules.load=jupyter \
		-D module.jupyter.serverCommand=/nonexistent >"$work/execd.log" 2>&1 &
	pid=$!
	trap "kill $pid 2>/dev/null; wait $pid 2>/dev/null || true" EXIT
	i=0
	while [ ! -s "$work/port" ]; do
		i=$((i + 1)); [ $i -gt 1500 ] && { echo "execd did not start" >&2; cat "$work/execd.log" >&2; exit 1; }
		sleep 0.02
	done
	out=$(curl -s -m 60 "http://127.0.0.1:$(cat "$work/port")/code" -d "{\"code\":\"import zmq\\nprint(6*7, zmq.zmq_version())\",\"context\":{\"language\":\"python\"}}")
	printf "%s\n" "$out" | grep -q "\"type\":\"stdout\",\"text\":\"42 4" || { echo "python in direct mode: $out" >&2; cat "$work/execd.log" >&2; exit 1; }
	execd_pid=$(pgrep -P $pid -x execd || echo $pid)
	maps=$(grep libzmq /proc/$pid/maps /proc/$execd_pid/maps | awk "{print \$NF}" | sort -u)
	[ -n "$maps" ] || { echo "execd has no libzmq mapped" >&2; exit 1; }
	if printf "%s\n" "$maps" | grep -q "^$1\$"; then echo "execd maps the system libzmq: $maps" >&2; exit 1; fi
	echo "python-only root: python through the direct backend, libzmq from $(printf "%s" "$maps" | head -1): ok"
' sh "$system" "$work" "$execd"
