#!/bin/sh
# PTY benchmarks (issue #7): keystroke round trip; cat of 100 MiB inside the PTY at
# full speed, and with a client that reads nothing for 10 s (execd's RSS growth);
# /ping latency with 200 sessions each holding a client.
set -eu
. "$(dirname "$0")/lib.sh"
CLIENT="/usr/bin/python3 $(dirname "$0")/ptyclient.py"

start_execd pty -D execd.modules.load=pty
$CLIENT keystroke "$EXECD_PORT" 1000
$CLIENT cat "$EXECD_PORT" 100
before=$(awk '/VmRSS/ {print $2}' /proc/"$EXECD_PID"/status)
$CLIENT stall "$EXECD_PORT" 100 10 >"$WORK/stall.txt" &
stall=$!
peak=$before
while kill -0 "$stall" 2>/dev/null; do
	v=$(awk '/VmRSS/ {print $2}' /proc/"$EXECD_PID"/status); [ "$v" -gt "$peak" ] && peak=$v
	sleep 0.1
done
echo "client stalled 10 s during a 100 MiB cat: execd RSS ${before} kB -> peak ${peak} kB, growth $((peak - before)) kB (goal <= 4096 kB)"
$CLIENT hold "$EXECD_PORT" 200 25 >"$WORK/hold.txt" &
hold=$!
i=0
until grep -q holding "$WORK/hold.txt" 2>/dev/null; do i=$((i + 1)); [ $i -gt 600 ] && break; sleep 0.1; done
echo "200 sessions with a client each: $(proc_status "$EXECD_PID")"
echo "/ping meanwhile: $(wrk_run "http://127.0.0.1:$EXECD_PORT/ping" -t1 -c4 -d10s)   (req/s p50ms p99ms; goal p99 <= 10 ms)"
wait "$hold"
