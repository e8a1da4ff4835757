#!/bin/sh
# Idle resources of execd with every module loaded: RSS, threads, fds, right after
# start and again after a burst of requests, once idle threads were released.
set -eu
. "$(dirname "$0")/lib.sh"
start_execd idle
sleep 2
echo "# idle resources (the default modules: jupyter, shell, files, metrics, proxy, pty, java, go, isolation)"
echo "after start:  $(proc_status "$EXECD_PID")"
wrk -t2 -c200 -d5s "http://127.0.0.1:$EXECD_PORT/ping" >/dev/null 2>&1
echo "under load:   (200 connections just closed) $(proc_status "$EXECD_PID")"
sleep 22   # threadIdleMillis (10 s) + housekeeping (5 s) + margin
echo "idle again:   $(proc_status "$EXECD_PID")"
echo "goal: RSS <= 15 MB"
