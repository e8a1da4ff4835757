#!/bin/sh
# Abuse scenarios (issue #13): a crowd of idle keep-alive and slow-loris
# connections with /ping and /command measured meanwhile, an abandoned chatty
# stream, and a client that stops reading. BEFORE=path/to/old/execd runs the same
# scenarios against an older build first, in the same run, for comparison.
# IDLE and LORIS set the crowd (default 10000 and 2500).
set -eu
. "$(dirname "$0")/lib.sh"
IDLE=${IDLE:-10000}
LORIS=${LORIS:-2500}
STALL=${STALL:-90}
TOKEN=bench-token
CLIENT="/usr/bin/python3 $(dirname "$0")/abuseclient.py"

run_all() {
	label=$1; binary=$2
	echo "## $label ($binary)"
	EXECD=$binary start_execd "$label-crowd" --access-token "$TOKEN" -D execd.modules.load=shell
	$CLIENT crowd "$EXECD_PORT" "$EXECD_PID" "$TOKEN" "$IDLE" "$LORIS"
	kill "$EXECD_PID"; wait "$EXECD_PID" 2>/dev/null || true
	EXECD=$binary start_execd "$label-abandon" --access-token "$TOKEN" -D execd.modules.load=shell
	$CLIENT abandon "$EXECD_PORT" "$EXECD_PID" "$TOKEN"
	$CLIENT stall "$EXECD_PORT" "$EXECD_PID" "$TOKEN" "$STALL"
	kill "$EXECD_PID"; wait "$EXECD_PID" 2>/dev/null || true
}

echo "# abuse: $IDLE idle + $LORIS slow-loris connections; abandoned and stalled 'yes' streams"
echo "goal: /ping p99 <= 10 ms, /command starts within 50 ms, RSS <= 150 MB, threads <= 64 + active requests,"
echo "      an abandoned stream costs little CPU, a stalled client is dropped after execd.http.sendTimeoutMillis (60 s)"
if [ -n "${BEFORE:-}" ]; then run_all before "$BEFORE"; fi
run_all execd "$EXECD"
