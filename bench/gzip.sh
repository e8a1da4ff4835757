#!/bin/sh
# Compressed downloads (issue #20): a $SIZE_MB MiB (1024) text file through
# GET /files/download with Accept-Encoding: gzip, against `gzip -1 | cat` of the
# same file, alternately in the same run, $REPS (3) times each; medians in MB/s
# of the file's size, and their ratio (execd / gzip).
set -eu
. "$(dirname "$0")/lib.sh"
SIZE_MB=${SIZE_MB:-1024}
REPS=${REPS:-3}

head -c $((SIZE_MB * 1024 * 1024)) /dev/urandom | base64 -w 100 | head -c $((SIZE_MB * 1024 * 1024)) > "$WORK/big.txt"
start_execd gzip -D execd.modules.load=files
bytes=$(stat -c %s "$WORK/big.txt")
seconds() { /usr/bin/python3 -c 'import sys,time,subprocess; t=time.monotonic(); subprocess.run(sys.argv[1], shell=True, check=True); print("%.3f" % (time.monotonic()-t))' "$1"; }
execd_times=""
gzip_times=""
i=0
while [ $i -lt "$REPS" ]; do
	i=$((i + 1))
	t=$(seconds "curl -sf -H 'Accept-Encoding: gzip' 'http://127.0.0.1:$EXECD_PORT/files/download?path=$WORK/big.txt' -o $WORK/out.gz")
	execd_times="$execd_times $t"
	t=$(seconds "gzip -1 < $WORK/big.txt | cat > $WORK/ref.gz")
	gzip_times="$gzip_times $t"
done
gunzip -c "$WORK/out.gz" | cmp - "$WORK/big.txt"
/usr/bin/python3 - "$bytes" "$execd_times" "$gzip_times" "$(stat -c %s "$WORK/out.gz")" "$(stat -c %s "$WORK/ref.gz")" <<'PY'
import statistics, sys
size = int(sys.argv[1])
e = [float(x) for x in sys.argv[2].split()]
g = [float(x) for x in sys.argv[3].split()]
me, mg = statistics.median(e), statistics.median(g)
print("# gzip: %d MiB text, %d runs each" % (size >> 20, len(e)))
print("execd gzip download  %.1f MB/s  (median %.3f s; runs %s; %d bytes out)" % (size / me / 1e6, me, " ".join("%.3f" % x for x in e), int(sys.argv[4])))
print("gzip -1 | cat        %.1f MB/s  (median %.3f s; runs %s; %d bytes out)" % (size / mg / 1e6, mg, " ".join("%.3f" % x for x in g), int(sys.argv[5])))
print("ratio execd/gzip     %.3f" % (mg / me))
PY
