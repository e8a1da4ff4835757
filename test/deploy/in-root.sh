#!/bin/sh
# Starts the deployed execd inside ROOT as a sandbox would: a mount namespace of
# its own with /proc, /dev (and /dev/pts) and the host's /tmp (so that the
# interop tests' temporary files and port files are the same paths on both
# sides) mounted, then chroot. The mounts go with the namespace when execd
# exits; execd keeps this script's pid (exec all the way down).
#   EXECD_ROOT=ROOT in-root.sh [execd arguments]
set -eu
root=${EXECD_ROOT:?EXECD_ROOT names the root file system}
exec unshare --mount --propagation private /bin/sh -c '
	root=$1; shift
	mount --rbind /dev "$root/dev"
	mount -t proc proc "$root/proc"
	mount --rbind /tmp "$root/tmp"
	exec chroot "$root" /opt/opensandbox/execd "$@"' in-root "$root" "$@"
