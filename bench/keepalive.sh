#!/bin/sh
# /ping latency while 1024 idle keep-alive connections are open (each holds a
# thread): wrk -t1 -c1 on a separate connection, RUNS rounds, medians; the same
# measured without the idle connections for comparison.
set -eu
. "$(dirname "$0")/lib.sh"
RUNS=${RUNS:-3}
IDLE=${IDLE:-1024}
start_execd keepalive
echo "# /ping latency with $IDLE idle keep-alive connections (wrk -t1 -c1 -d5s, $RUNS rounds)"
: >"$WORK/base.txt"; : >"$WORK/idle.txt"
r=0
while [ $r -lt "$RUNS" ]; do
	r=$((r + 1))
	wrk_run "http://127.0.0.1:$EXECD_PORT/ping" -t1 -c1 -d5s >>"$WORK/base.txt"
done
/usr/bin/python3 - "$EXECD_PORT" "$IDLE" "$WORK/holder.ready" <<'PY' &
import socket, sys, time
port, count, ready = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
conns = []
for i in range(count):
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(b"GET /ping HTTP/1.1\r\nHost: x\r\n\r\n")
    conns.append(s)
for s in conns:
    data = s.recv(4096)
    assert data.startswith(b"HTTP/1.1 200"), data
open(ready, "w").write("ok")
time.sleep(600)
PY
HOLDER=$!
PIDS="$PIDS $HOLDER"
i=0
while [ ! -s "$WORK/holder.ready" ]; do i=$((i + 1)); [ $i -gt 3000 ] && { echo "holder failed"; exit 1; }; sleep 0.02; done
echo "with $IDLE idle connections: $(proc_status "$EXECD_PID")"
r=0
while [ $r -lt "$RUNS" ]; do
	r=$((r + 1))
	wrk_run "http://127.0.0.1:$EXECD_PORT/ping" -t1 -c1 -d5s >>"$WORK/idle.txt"
done
b50=$(cut -d' ' -f2 "$WORK/base.txt" | median); b99=$(cut -d' ' -f3 "$WORK/base.txt" | median)
i50=$(cut -d' ' -f2 "$WORK/idle.txt" | median); i99=$(cut -d' ' -f3 "$WORK/idle.txt" | median)
echo "median without idle connections: p50 ${b50} ms, p99 ${b99} ms"
echo "median with $IDLE idle connections: p50 ${i50} ms, p99 ${i99} ms (goal p99 <= 5 ms)"
