#!/bin/sh
# Starts execd next to a sandbox's command, as OpenSandbox's bootstrap.sh does.
#
#   bootstrap.sh [command args...]
#
# EXECD       the execd binary (default /opt/opensandbox/execd)
# EXECD_INIT  1, true, yes or on (any case): execd becomes the sandbox's init,
#             exec "$EXECD" --init -- command args... (PID 1 when bootstrap.sh is)
#             otherwise execd runs in the background, with no arguments, and the
#             command replaces this shell (no command: wait for execd)
# EXECD_ENVS  the file of extra variables for user processes (default
#             /opt/opensandbox/.env); created empty when missing, if its
#             directory is writable
#
# POSIX sh and shell built-ins only: busybox sh and dash run it.

EXECD="${EXECD:-/opt/opensandbox/execd}"

_truthy() {
	case "${1:-}" in
	1 | [Tt][Rr][Uu][Ee] | [Yy][Ee][Ss] | [Oo][Nn]) return 0 ;;
	*) return 1 ;;
	esac
}

# The variables file: touched when missing and its directory takes it; the
# default is exported only when the file is there, so that execd does not
# warn about a file nobody meant to have.
_envs="${EXECD_ENVS:-/opt/opensandbox/.env}"
if [ ! -e "$_envs" ]; then
	case "$_envs" in
	*/*) _dir="${_envs%/*}"; _dir="${_dir:-/}" ;;
	*) _dir=. ;;
	esac
	if [ -d "$_dir" ] && [ -w "$_dir" ]; then
		: >> "$_envs" 2>/dev/null || echo "bootstrap.sh: warning: cannot create $_envs" >&2
	fi
fi
if [ -n "${EXECD_ENVS:-}" ] || [ -e "$_envs" ]; then
	EXECD_ENVS="$_envs"
	export EXECD_ENVS
fi
unset _envs _dir

if _truthy "${EXECD_INIT:-}"; then
	exec "$EXECD" --init -- "$@"
fi

"$EXECD" &
_execd_pid=$!
if [ $# -gt 0 ]; then
	exec "$@"
fi
# No command: live as long as execd, passing on a stop (a shell that is PID 1
# would not die of SIGTERM itself).
trap 'kill -TERM "$_execd_pid" 2>/dev/null' TERM INT
while :; do
	wait "$_execd_pid"
	_status=$?
	kill -0 "$_execd_pid" 2>/dev/null || exit "$_status"
done
