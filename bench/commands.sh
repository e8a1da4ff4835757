#!/bin/sh
# Shell module benchmarks (issue #3), side by side with their baselines:
#  1. POST /command `echo hi`: time to the stdout event and to the end of the stream,
#     p50/p99 over 200 runs, against hyperfine's `bash -c 'echo hi'` in the same run.
#  2. 64 concurrent commands printing 20,000 numbered lines, 20 repetitions: lines lost
#     or reordered (count and order of every stream).
#  3. `cat` of a 1 GiB file through a foreground stream: throughput and execd's peak RSS
#     growth; then the same with a client reading at 1 MB/s for 20 s.
#  4. Threads, fds and RSS when idle, after 10,000 commands, and idle again.
#  5. Bash-session runs: latency against bash driven through pipes (the floor), and
#     how long stopping a timed-out run takes after its deadline (issue #14).
set -eu
. "$(dirname "$0")/lib.sh"
CLIENT="/usr/bin/python3 $(dirname "$0")/cmdclient.py"
RUNS=${RUNS:-200}
REPS=${REPS:-20}

start_execd commands -D execd.modules.load=shell
echo "# shell: echo hi ($RUNS runs)"
hyperfine -N --warmup 20 --runs "$RUNS" --export-json "$WORK/hf.json" "bash -c 'echo hi'" >/dev/null 2>&1
/usr/bin/python3 -c "import json,statistics; r=json.load(open('$WORK/hf.json'))['results'][0]['times']; r=sorted(r); print('baseline bash -c \'echo hi\' (hyperfine): p50 %.2f ms, p99 %.2f ms' % (statistics.median(r)*1000, r[int(0.99*(len(r)-1))]*1000))"
$CLIENT latency "$EXECD_PORT" 20 >/dev/null   # warm-up
$CLIENT latency "$EXECD_PORT" "$RUNS"

echo
echo "# shell: 64 concurrent commands x 20,000 lines x $REPS"
$CLIENT flood "$EXECD_PORT" 64 20000 "$REPS" || echo "LINES LOST OR REORDERED"

echo
echo "# shell: cat of 1 GiB through a foreground stream"
yes 'execd benchmark line: the quick brown fox jumps over the lazy dog 0123456789' | head -c 1073741824 >"$WORK/big.txt"
echo 5 >/proc/$EXECD_PID/clear_refs   # reset VmHWM
before=$(awk '/VmRSS/ {print $2}' /proc/$EXECD_PID/status)
start=$(date +%s.%N)
bytes=$(curl -s "http://127.0.0.1:$EXECD_PORT/command" -d "{\"command\":\"cat $WORK/big.txt\"}" | wc -c)
end=$(date +%s.%N)
peak=$(awk '/VmHWM/ {print $2}' /proc/$EXECD_PID/status)
awk -v s="$start" -v e="$end" -v b="$bytes" -v r0="$before" -v p="$peak" 'BEGIN {
	printf "1 GiB in %.1f s: %.0f MB/s of command output (%.0f MB of events on the wire); RSS %d kB before, peak %d kB (growth %.1f MB, goal <= 32 MB)\n",
		e - s, 1073.741824 / (e - s), b / 1e6, r0, p, (p - r0) / 1024 }'
start=$(date +%s.%N)
cat "$WORK/big.txt" >/dev/null
end=$(date +%s.%N)
awk -v s="$start" -v e="$end" 'BEGIN { printf "baseline: cat of the same file to /dev/null: %.0f MB/s\n", 1073.741824 / (e - s) }'

echo 5 >/proc/$EXECD_PID/clear_refs
before=$(awk '/VmRSS/ {print $2}' /proc/$EXECD_PID/status)
timeout 20 curl -s --limit-rate 1M "http://127.0.0.1:$EXECD_PORT/command" -d "{\"command\":\"cat $WORK/big.txt\"}" >/dev/null || true
peak=$(awk '/VmHWM/ {print $2}' /proc/$EXECD_PID/status)
echo "slow client (1 MB/s for 20 s): RSS $before kB before, peak $peak kB (growth $(( (peak - before) / 1024 )) MB)"
rm -f "$WORK/big.txt"

echo
echo "# shell: idle resources around 10,000 commands"
sleep 16
echo "idle:          $(proc_status "$EXECD_PID")"
$CLIENT many "$EXECD_PORT" 10000 8
echo "just after:    $(proc_status "$EXECD_PID")"
sleep 16   # idle threads released after 10 s, housekeeping every 5 s
echo "idle again:    $(proc_status "$EXECD_PID")"

echo
echo "# shell: bash sessions ($RUNS runs)"
$CLIENT session "$EXECD_PORT" "$RUNS"
