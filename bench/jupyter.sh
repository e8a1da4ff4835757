#!/bin/sh
# Jupyter module benchmarks (issues #4 and #17), each mode of the module in the same
# run (MODES, default "direct server"), side by side with their baselines:
#  1. execd's start to its first python result, against jupyter_client's
#     start_new_kernel -> kernel_info_reply (STARTS runs, alternating);
#  2. daemon-side RSS with one live python kernel: execd and every process it
#     started except the kernels (goal <= 15 MB);
#  3. a new context with a spare kernel to its first result (direct; SPARES runs);
#  4. warm `1+1` through POST /code (RUNS runs) against jupyter_client's
#     BlockingKernelClient on a kernel of its own, alternating;
#  5. 32 contexts running cells at once: every result checked.
set -eu
. "$(dirname "$0")/lib.sh"
CLIENT="/usr/bin/python3 $(dirname "$0")/jupyterclient.py"
RUNS=${RUNS:-300}
STARTS=${STARTS:-7}
SPARES=${SPARES:-10}
MODES=${MODES:-direct server}

ready() {
	i=0
	until grep -q "default python context ready" "$WORK/$1.log"; do
		i=$((i + 1)); [ $i -gt 1500 ] && { echo "no pre-warmed context"; cat "$WORK/$1.log"; exit 1; }
		sleep 0.02
	done
}

for mode in $MODES; do
	echo "# jupyter, mode $mode"
	$CLIENT startup "$EXECD" "$STARTS" "$mode"

	start_execd "rss-$mode" -D execd.modules.load=jupyter -D module.jupyter.mode="$mode" -D module.jupyter.spareKernels.python=0
	ready "rss-$mode"
	$CLIENT first "$EXECD_PORT"
	sleep 1
	echo "$mode: daemon-side RSS with one live python kernel: $($CLIENT rss "$EXECD_PID") (goal <= 15 MB)"
	kill "$EXECD_PID"; wait "$EXECD_PID" 2>/dev/null || true

	start_execd "$mode" -D execd.modules.load=jupyter -D module.jupyter.mode="$mode"
	ready "$mode"
	[ "$mode" = direct ] && $CLIENT spare "$EXECD_PORT" "$SPARES"
	$CLIENT warm "$EXECD_PORT" "$RUNS"
	$CLIENT concurrent "$EXECD_PORT" 32 || echo "WRONG RESULTS"
	kill "$EXECD_PID"; wait "$EXECD_PID" 2>/dev/null || true
done
