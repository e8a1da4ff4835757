#!/bin/sh
# Runs one benchmark script against two builds, alternating, ROUNDS times each, in
# the same session on the same machine: the way a change is compared with the
# tree before it (these machines are noisy; compare medians).
#   sh bench/compare.sh BEFORE_BIN AFTER_BIN bench/commands.sh [ROUNDS] [OUT_DIR]
# BEFORE_BIN and AFTER_BIN are build/bin/execd of each tree (modules next to them,
# in ../lib/execd). Each round's output goes to OUT_DIR/<before|after>-<n>.txt.
set -eu
before=$1; after=$2; script=$3; rounds=${4:-3}; out=${5:-$(mktemp -d /tmp/execd-compare-XXXXXX)}
mkdir -p "$out"
i=1
while [ "$i" -le "$rounds" ]; do
	for side in before after; do
		bin=$before; [ "$side" = after ] && bin=$after
		echo "== round $i: $side ($bin)" >&2
		EXECD=$bin sh "$script" >"$out/$side-$i.txt" 2>&1 || echo "(failed: see $out/$side-$i.txt)" >&2
	done
	i=$((i + 1))
done
echo "$out"
