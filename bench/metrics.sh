#!/bin/sh
# Metrics benchmarks (issue #6): GET /metrics latency; 1,000 concurrent /metrics/watch
# streams held for DURATION seconds (every stream must get every tick) with /ping
# latency measured meanwhile; execd's RSS, threads and fds before, during and after.
set -eu
. "$(dirname "$0")/lib.sh"
N=${N:-1000}
DURATION=${DURATION:-60}

start_execd metrics -D execd.modules.load=metrics
BASE="http://127.0.0.1:$EXECD_PORT"
sleep 1.5
echo "# GET /metrics: wrk -t2 -c4 -d5s"
echo "$(wrk_run "$BASE/metrics" -t2 -c4 -d5s)   (req/s p50ms p99ms; goal p50 <= 1 ms)"
sleep 12   # idle threads released (execd.http.threadIdleMillis 10 s)
echo "idle: $(proc_status "$EXECD_PID")"
echo "# $N /metrics/watch streams for $DURATION s, /ping under wrk -t1 -c4 meanwhile"
/usr/bin/python3 "$(dirname "$0")/watchclient.py" "$EXECD_PORT" "$N" "$DURATION" >"$WORK/watch.txt" &
client=$!
sleep 5
echo "during: $(proc_status "$EXECD_PID")"
echo "/ping meanwhile: $(wrk_run "$BASE/ping" -t1 -c4 -d$((DURATION - 15))s)   (req/s p50ms p99ms; goal p99 <= 10 ms)"
echo "during, later: $(proc_status "$EXECD_PID") (goal RSS <= 200 MB)"
wait "$client"
cat "$WORK/watch.txt"
sleep 20   # watchers notice the closed sockets at the next tick; idle threads go after 10 s
echo "after: $(proc_status "$EXECD_PID")"
