#!/bin/sh
# Java and Go modules (issue #8): context creation to first result and warm runs,
# against the jshell CLI over pipes and `go run` with a warm cache in the same run.
set -eu
. "$(dirname "$0")/lib.sh"
CLIENT="/usr/bin/python3 $(dirname "$0")/langclient.py"
start_execd languages -D execd.modules.load=java,go
$CLIENT java "$EXECD_PORT" ${RUNS:-100}
$CLIENT go "$EXECD_PORT" ${GO_RUNS:-20}
echo "execd with a JVM and a Go context: $(proc_status "$EXECD_PID")"
