#!/bin/sh
# Jupyter module benchmarks (issue #4), side by side with their baselines:
#  1. warm `1+1` through POST /code (300 runs) against jupyter_client's
#     BlockingKernelClient on a kernel of its own, in the same run;
#  2. the first POST /code in the default Python context once execd reported the
#     pre-warmed context ready;
#  3. 32 contexts running cells at once: every result checked;
#  4. execd's own RSS with 8 live kernels (the kernels are not counted).
set -eu
. "$(dirname "$0")/lib.sh"
CLIENT="/usr/bin/python3 $(dirname "$0")/jupyterclient.py"
RUNS=${RUNS:-300}

start_execd jupyter -D execd.modules.load=jupyter
i=0
until grep -q "default python context ready" "$WORK/jupyter.log"; do
	i=$((i + 1)); [ $i -gt 1500 ] && { echo "no pre-warmed context"; cat "$WORK/jupyter.log"; exit 1; }
	sleep 0.02
done
echo "# jupyter"
$CLIENT first "$EXECD_PORT"
$CLIENT warm "$EXECD_PORT" "$RUNS"
$CLIENT concurrent "$EXECD_PORT" 32 || echo "WRONG RESULTS"
kill "$EXECD_PID"; wait "$EXECD_PID" 2>/dev/null || true

start_execd jupyter8 -D execd.modules.load=jupyter -D module.jupyter.prewarm=false
echo "before kernels: $(proc_status "$EXECD_PID")"
$CLIENT concurrent "$EXECD_PORT" 8 >/dev/null
sleep 1
echo "with 8 live kernels: $(proc_status "$EXECD_PID") (goal: RSS <= 30 MB; kernels are separate processes)"
