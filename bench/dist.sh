#!/bin/sh
# dist/execd (make dist, issue #15) side by side with the Debian-built build/bin/execd:
#  1. the size of dist/execd and of what it unpacks (and of dist/execd-linux-arm64, if built);
#  2. start to /ping answered: the first start (unpacking) and later starts;
#  3. /ping throughput (wrk -t2 -c50 -d10s) and `echo hi` latency through POST /command;
#  4. idle RSS, threads and fds.
set -eu
. "$(dirname "$0")/lib.sh"
DIST=${DIST:-dist/execd}
[ -x "$DIST" ] || { echo "no $DIST: run make dist"; exit 1; }
START="/usr/bin/python3 $(dirname "$0")/distclient.py start"

echo "# dist: size"
echo "dist/execd: $(stat -c %s "$DIST") bytes (goal <= 25 MB)"
$START "$DIST" 1 fresh >/dev/null
h16="????????????????"
dir=$(ls -d /var/lib/execd/.execd-$h16 /tmp/.execd-$h16 /dev/shm/.execd-$h16 2>/dev/null | head -1)
echo "unpacked in $dir: $(du -sb "$dir" | cut -f1) bytes, $(find "$dir" -type f | wc -l) files"
ARM64=${ARM64:-dist/execd-linux-arm64}
[ -f "$ARM64" ] && echo "$ARM64 (make dist ARCH=arm64): $(stat -c %s "$ARM64") bytes"

echo
echo "# dist: start to /ping"
$START "$EXECD" 10
$START "$DIST" 10 fresh
$START "$DIST" 10

echo
echo "# dist: /ping throughput and echo hi"
for binary in "$EXECD" "$DIST"; do
	EXECD=$binary start_execd "dist-$(basename "$binary")" -D execd.modules.load=shell
	echo "$binary: $(wrk -t2 -c50 -d10s "http://127.0.0.1:$EXECD_PORT/ping" | grep Requests/sec)"
	/usr/bin/python3 "$(dirname "$0")/cmdclient.py" latency "$EXECD_PORT" 200
	sleep 12   # idle threads released after 10 s
	echo "$binary idle: $(proc_status "$EXECD_PID")"
	kill "$EXECD_PID"
done
