#!/bin/sh
# Installs what execd needs to build, run and test on Debian 12. Idempotent: a run that
# finds everything in place changes nothing and takes about a second.
#   scripts/setup.sh            what building, running and testing need
#   scripts/setup.sh --bench    also what the benchmarks need (wrk, nginx, hyperfine)
set -eu
export DEBIAN_FRONTEND=noninteractive

want_bench=0
for arg in "$@"; do
	case "$arg" in
	--bench) want_bench=1 ;;
	*) echo "setup.sh: unknown option $arg" >&2; exit 2 ;;
	esac
done

# Build: compiler, CMake, POCO, libseccomp, CppUnit. curl: the out-of-tree module test.
# Jupyter: the embedded server and the Python kernel (the jupyter module).
APT_PKGS="build-essential cmake pkg-config curl ca-certificates
  libpoco-dev libseccomp-dev libcppunit-dev
  jupyter-server python3-jupyter-server jupyter-core jupyter-client python3-jupyter-client python3-ipykernel"
[ "$want_bench" = 1 ] && APT_PKGS="$APT_PKGS wrk nginx hyperfine"

missing=""
for p in $APT_PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing="$missing $p"
done
if [ -n "$missing" ]; then
	echo "setup.sh: installing$missing"
	if [ "$(id -u)" != 0 ]; then
		SUDO=sudo
	else
		SUDO=
	fi
	$SUDO apt-get update -qq
	# shellcheck disable=SC2086
	$SUDO apt-get install -y -qq --no-install-recommends $missing
fi
exit 0
