#!/bin/sh
# Files module benchmarks (issue #5), side by side with their baselines in one run:
#  1. download of a 1 GiB file: execd (sendfile) against nginx serving the same file;
#  2. upload of a 1 GiB file: throughput and execd's peak RSS growth during it;
#  3. GET /files/info on one file under wrk -t2 -c32 -d10s;
#  4. GET /files/search over a tree of 100,000 files against find -name.
# RUNS rounds each (alternating with the baseline); medians reported.
set -eu
. "$(dirname "$0")/lib.sh"
RUNS=${RUNS:-3}
SIZE_MB=${SIZE_MB:-1024}

DATA="$WORK/data"
mkdir -p "$DATA"
dd if=/dev/zero of="$DATA/big.bin" bs=1M count="$SIZE_MB" status=none
cat "$DATA/big.bin" >/dev/null   # in the page cache for both servers

NGINX_PORT=$(free_port)
start_nginx_root "$NGINX_PORT" "$DATA"
start_execd files -D execd.modules.load=files
BASE="http://127.0.0.1:$EXECD_PORT"

echo "# download of ${SIZE_MB} MiB (curl to /dev/null), $RUNS rounds"
: >"$WORK/dl.txt"
r=0
while [ $r -lt "$RUNS" ]; do
	r=$((r + 1))
	n=$(curl -s -o /dev/null -w '%{speed_download}' "http://127.0.0.1:$NGINX_PORT/big.bin")
	e=$(curl -s -o /dev/null -w '%{speed_download}' "$BASE/files/download?path=$DATA/big.bin")
	ratio=$(awk -v a="$e" -v b="$n" 'BEGIN { printf "%.3f", a / b }')
	echo "round $r: nginx $(awk -v v="$n" 'BEGIN { printf "%.0f", v / 1048576 }') MiB/s | execd $(awk -v v="$e" 'BEGIN { printf "%.0f", v / 1048576 }') MiB/s | ratio $ratio"
	echo "$ratio" >>"$WORK/dl.txt"
done
echo "median ratio execd/nginx = $(median <"$WORK/dl.txt") (goal >= 0.7)"

echo "# upload of ${SIZE_MB} MiB (curl -F, multipart), $RUNS rounds"
before=$(awk '/VmRSS/ {print $2}' /proc/"$EXECD_PID"/status)
: >"$WORK/ul.txt"; : >"$WORK/peak.txt"
r=0
while [ $r -lt "$RUNS" ]; do
	r=$((r + 1))
	( peak=0; while [ ! -f "$WORK/ul.done" ]; do
		v=$(awk '/VmRSS/ {print $2}' /proc/"$EXECD_PID"/status); [ "$v" -gt "$peak" ] && peak=$v
		echo "$peak" >"$WORK/ul.peak"; sleep 0.05; done ) &
	sampler=$!
	s=$(curl -s -o /dev/null -w '%{speed_upload}' -F "metadata={\"path\":\"$DATA/up.bin\"};filename=metadata" \
		-F "file=@$DATA/big.bin" "$BASE/files/upload")
	touch "$WORK/ul.done"; wait "$sampler"; rm -f "$WORK/ul.done"
	peak=$(cat "$WORK/ul.peak")
	echo "round $r: $(awk -v v="$s" 'BEGIN { printf "%.0f", v / 1048576 }') MiB/s, execd peak RSS ${peak} kB (before ${before} kB)"
	awk -v v="$s" 'BEGIN { printf "%.0f\n", v / 1048576 }' >>"$WORK/ul.txt"
	echo $((peak - before)) >>"$WORK/peak.txt"
	cmp -s "$DATA/big.bin" "$DATA/up.bin" || echo "UPLOADED FILE DIFFERS"
	rm -f "$DATA/up.bin"
done
echo "median upload $(median <"$WORK/ul.txt") MiB/s; median peak RSS growth $(median <"$WORK/peak.txt") kB (goal <= 16384 kB)"

echo "# GET /files/info on one file: wrk -t2 -c32 -d10s, $RUNS rounds"
: >"$WORK/info.txt"
r=0
while [ $r -lt "$RUNS" ]; do
	r=$((r + 1))
	e=$(wrk_run "$BASE/files/info?path=$DATA/big.bin" -t2 -c32 -d10s)
	echo "round $r: $e   (req/s p50ms p99ms)"
	echo "$e" >>"$WORK/info.txt"
done
echo "median $(cut -d' ' -f1 "$WORK/info.txt" | median) req/s, p99 $(cut -d' ' -f3 "$WORK/info.txt" | median) ms (goal p99 <= 2 ms)"
echo "reference, /ping under the same load: $(wrk_run "$BASE/ping" -t2 -c32 -d10s)   (req/s p50ms p99ms)"

echo "# GET /files/search over 100,000 files (pattern *7.txt) against find -name, $RUNS rounds"
/usr/bin/python3 - "$DATA/tree" <<'PY'
import os, sys
root = sys.argv[1]
for d in range(100):
    sub = os.path.join(root, "d%02d" % (d % 10), "e%02d" % d)
    os.makedirs(sub, exist_ok=True)
    for f in range(1000):
        open(os.path.join(sub, "f%04d.%s" % (f, "txt" if f % 2 else "log")), "w").close()
PY
: >"$WORK/search.txt"
r=0
while [ $r -lt "$RUNS" ]; do
	r=$((r + 1))
	t0=$(date +%s%N); nf=$(find "$DATA/tree" -name '*7.txt' | wc -l); t1=$(date +%s%N)
	ne=$(curl -s "$BASE/files/search?path=$DATA/tree&pattern=*7.txt" | grep -o '"path"' | wc -l); t2=$(date +%s%N)
	f=$(( (t1 - t0) / 1000000 )); e=$(( (t2 - t1) / 1000000 ))
	ratio=$(awk -v a="$e" -v b="$f" 'BEGIN { printf "%.2f", a / b }')
	echo "round $r: find ${f} ms ($nf matches) | execd ${e} ms ($ne matches, JSON FileInfo each) | ratio $ratio"
	echo "$ratio" >>"$WORK/search.txt"
done
echo "median ratio execd/find = $(median <"$WORK/search.txt") (goal <= 2)"
echo "execd after the benchmarks: $(proc_status "$EXECD_PID")"
