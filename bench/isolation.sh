#!/bin/sh
# Isolated sessions (issue #18), side by side with their baselines, as root with
# Debian's bubblewrap:
#  1. runOnce("echo hi") as the SDK does it (create, run, delete): create to first
#     output, p50/p99 over $RUNS, in overlay and rw mode, against hyperfine's
#     `bwrap ... /bin/true` with the namespaces and mounts of a strict session.
#  2. A warm run in an existing isolated session against a /session run (bash
#     session, no namespaces) of the same command.
#  3. execd's RSS, threads and fds with $IDLE (200) idle overlay sessions, per session.
set -eu
. "$(dirname "$0")/lib.sh"
CLIENT="/usr/bin/python3 $(dirname "$0")/isoclient.py"
RUNS=${RUNS:-100}
IDLE=${IDLE:-200}
[ "$(id -u)" = 0 ] && command -v bwrap >/dev/null || { echo "# isolation: needs root and bwrap; skipped"; exit 0; }

mkdir -p "$WORK/ws"
start_execd isolation -D execd.modules.load=shell,isolation -D "module.isolation.upperRoot=$WORK/upper" -D "module.isolation.allowedWritable=$WORK"
curl -s "http://127.0.0.1:$EXECD_PORT/v1/isolated/capabilities"; echo
echo "# isolation: runOnce('echo hi') ($RUNS runs)"
hyperfine -N --warmup 10 --runs "$RUNS" --export-json "$WORK/hf.json" \
	"bwrap --unshare-pid --unshare-uts --hostname sandbox --unshare-ipc --unshare-cgroup --ro-bind / / --tmpfs /tmp --tmpfs /run --dev /dev --bind $WORK/ws $WORK/ws --proc /proc --die-with-parent -- /bin/true" >/dev/null 2>&1
/usr/bin/python3 -c "import json,statistics; r=sorted(json.load(open('$WORK/hf.json'))['results'][0]['times']); print('baseline bwrap ... /bin/true (hyperfine): p50 %.2f ms, p99 %.2f ms' % (statistics.median(r)*1000, r[int(0.99*(len(r)-1))]*1000))"
$CLIENT once "$EXECD_PORT" "$WORK/ws" 10 overlay >/dev/null   # warm-up
$CLIENT once "$EXECD_PORT" "$WORK/ws" "$RUNS" overlay
$CLIENT once "$EXECD_PORT" "$WORK/ws" "$RUNS" rw

echo
echo "# isolation: warm runs (200 each)"
$CLIENT warm "$EXECD_PORT" "$WORK/ws" 200

echo
echo "# isolation: idle sessions"
$CLIENT idle "$EXECD_PORT" "$WORK/ws" "$IDLE" "$EXECD_PID"
