#!/bin/sh
# Proxy benchmarks (issue #6), side by side in one run:
#  1. /proxy/{nginx}/ to nginx serving a 4-byte body under wrk -t2 -c32 -d10s,
#     against wrk straight to nginx (alternating, RUNS rounds);
#  2. a 1 GiB download through /proxy/{nginx}/ against straight from nginx.
set -eu
. "$(dirname "$0")/lib.sh"
RUNS=${RUNS:-3}
DATA="$WORK/data"
mkdir -p "$DATA"
printf 'four' >"$DATA/four"
dd if=/dev/zero of="$DATA/big.bin" bs=1M count=1024 status=none
NGINX_PORT=$(free_port)
start_nginx_root "$NGINX_PORT" "$DATA"
start_execd proxy -D execd.modules.load=proxy
echo "# 4-byte body: wrk -t2 -c32 -d10s, $RUNS rounds"
: >"$WORK/r.txt"
r=0
while [ $r -lt "$RUNS" ]; do
	r=$((r + 1))
	d=$(wrk_run "http://127.0.0.1:$NGINX_PORT/four" -t2 -c32 -d10s)
	p=$(wrk_run "http://127.0.0.1:$EXECD_PORT/proxy/$NGINX_PORT/four" -t2 -c32 -d10s)
	ratio=$(awk -v a="${p%% *}" -v b="${d%% *}" 'BEGIN { printf "%.3f", a / b }')
	echo "round $r: direct $d | proxied $p | ratio $ratio   (req/s p50ms p99ms)"
	echo "$ratio" >>"$WORK/r.txt"
done
echo "median ratio proxied/direct = $(median <"$WORK/r.txt")"
echo "# 1 GiB download, $RUNS rounds"
: >"$WORK/d.txt"
r=0
while [ $r -lt "$RUNS" ]; do
	r=$((r + 1))
	d=$(curl -s -o /dev/null -w '%{speed_download}' "http://127.0.0.1:$NGINX_PORT/big.bin")
	p=$(curl -s -o /dev/null -w '%{speed_download}' "http://127.0.0.1:$EXECD_PORT/proxy/$NGINX_PORT/big.bin")
	ratio=$(awk -v a="$p" -v b="$d" 'BEGIN { printf "%.3f", a / b }')
	echo "round $r: direct $(awk -v v="$d" 'BEGIN { printf "%.0f", v / 1048576 }') MiB/s | proxied $(awk -v v="$p" 'BEGIN { printf "%.0f", v / 1048576 }') MiB/s | ratio $ratio"
	echo "$ratio" >>"$WORK/d.txt"
done
echo "median ratio proxied/direct = $(median <"$WORK/d.txt")"
echo "execd after: $(proc_status "$EXECD_PID")"
