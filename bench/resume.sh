#!/bin/sh
# Resumable streams (issue #19), side by side with plain streams in the same run:
#  1. `echo hi` to the end of its stream, plain and resumable (X-Execd-Resumable: 1);
#  2. `cat` of a $SIZE_MB MiB file (1024), plain and resumable: stream MB/s;
#  3. resume latency: request to the first replayed event of a finished run;
#  4. execd's RSS with $RETAINED (100) finished 20,000-line runs retained.
set -eu
. "$(dirname "$0")/lib.sh"
CLIENT="/usr/bin/python3 $(dirname "$0")/resumeclient.py"
RUNS=${RUNS:-500}
SIZE_MB=${SIZE_MB:-1024}
REPS=${REPS:-3}
RETAINED=${RETAINED:-100}

head -c $((SIZE_MB * 1024 * 1024)) /dev/urandom | base64 -w 100 | head -c $((SIZE_MB * 1024 * 1024)) > "$WORK/big.txt"
start_execd resume -D execd.modules.load=shell
echo "# resume: echo hi ($RUNS runs each)"
$CLIENT latency "$EXECD_PORT" 50 >/dev/null   # warm-up
$CLIENT latency "$EXECD_PORT" "$RUNS"
echo "# resume: cat of $SIZE_MB MiB ($REPS each)"
$CLIENT throughput "$EXECD_PORT" "$WORK/big.txt" "$REPS"
echo "# resume: resume latency"
$CLIENT resume "$EXECD_PORT" 200
echo "# resume: retained runs"
$CLIENT retained "$EXECD_PORT" "$EXECD_PID" "$RETAINED"
