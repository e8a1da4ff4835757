#!/bin/sh
# /ping throughput and latency against nginx "return 200", side by side:
# wrk -t2 -c50 -d10s, alternating servers, RUNS rounds; medians reported.
# execd runs with every module loaded and the default log level (access log on,
# written to a file).
set -eu
. "$(dirname "$0")/lib.sh"
RUNS=${RUNS:-3}
DURATION=${DURATION:-10s}

NGINX_PORT=$(free_port)
start_nginx "$NGINX_PORT"
start_execd ping
echo "# /ping: wrk -t2 -c50 -d$DURATION --latency, $RUNS rounds (execd pid $EXECD_PID, nginx :$NGINX_PORT)"
: >"$WORK/nginx.txt"; : >"$WORK/execd.txt"
r=0
while [ $r -lt "$RUNS" ]; do
	r=$((r + 1))
	n=$(wrk_run "http://127.0.0.1:$NGINX_PORT/ping" -t2 -c50 -d"$DURATION")
	e=$(wrk_run "http://127.0.0.1:$EXECD_PORT/ping" -t2 -c50 -d"$DURATION")
	ratio=$(awk -v a="${e%% *}" -v b="${n%% *}" 'BEGIN { printf "%.3f", a / b }')
	echo "round $r: nginx $n | execd $e | ratio $ratio   (req/s p50ms p99ms)"
	echo "$n" >>"$WORK/nginx.txt"; echo "$e" >>"$WORK/execd.txt"; echo "$ratio" >>"$WORK/ratio.txt"
done
nr=$(cut -d' ' -f1 "$WORK/nginx.txt" | median); er=$(cut -d' ' -f1 "$WORK/execd.txt" | median)
n99=$(cut -d' ' -f3 "$WORK/nginx.txt" | median); e99=$(cut -d' ' -f3 "$WORK/execd.txt" | median)
e50=$(cut -d' ' -f2 "$WORK/execd.txt" | median)
ratio=$(median <"$WORK/ratio.txt")
echo "median: nginx ${nr} req/s (p99 ${n99} ms); execd ${er} req/s (p50 ${e50} ms, p99 ${e99} ms)"
echo "median of the per-round ratios execd/nginx = ${ratio} (goal >= 0.5; execd p99 goal <= 2 ms)"
