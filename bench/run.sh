#!/bin/sh
# Runs every benchmark; see each script's header for what it measures.
set -eu
dir=$(dirname "$0")
for b in ping keepalive idle abuse commands resume jupyter files metrics proxy pty languages isolation dist; do
	sh "$dir/$b.sh"
	echo
done
