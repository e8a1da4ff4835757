#!/bin/sh
# The JS SDK interop tests (ctest: interop.JsSdk). Installs the pinned npm
# dependencies when they are missing, then runs node's test runner against the
# execd binary given as $1.
set -eu
cd "$(dirname "$0")"
if [ ! -d node_modules/@alibaba-group/opensandbox ]; then
	npm ci --no-audit --no-fund --loglevel=error
fi
EXECD_BIN=$1 exec node --test --test-concurrency=1
