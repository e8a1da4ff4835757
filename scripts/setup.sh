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
# Jupyter: the embedded server and the Python kernel (the jupyter module); matplotlib for the
# image test; libzmq3-dev so that ijavascript's zeromq@5 builds against the system library
# (its own build downloads libzmq, which fails offline), and with cppzmq-dev (header-only
# C++ bindings) for the jupyter module's direct kernel connections (issue #17). Java and Go: the JDK (javac
# builds the java module's JShell runner) and the Go toolchain (the go module).
# clang and libclang-rt-14-dev (the libFuzzer and sanitizer runtimes): make fuzz.
# zlib1g-dev (libz.a for the static launcher) and binutils (objdump, strip): make dist;
# busybox-static and bash-static: the root file systems the deployed execd is tested in.
# crossbuild-essential-arm64 and qemu-user-static: make dist ARCH=arm64 and its smoke test
# (deploy.Arm64Qemu); the arm64 libraries go into a private sysroot, not onto this
# machine (scripts/arm64-sysroot.sh), but apt must know the arm64 architecture for that.
APT_PKGS="build-essential cmake pkg-config curl ca-certificates clang libclang-rt-14-dev
  zlib1g-dev binutils busybox-static bash-static crossbuild-essential-arm64 qemu-user-static
  libpoco-dev libseccomp-dev libcppunit-dev
  jupyter-server python3-jupyter-server jupyter-core jupyter-client python3-jupyter-client python3-ipykernel
  python3-matplotlib libzmq3-dev cppzmq-dev bubblewrap
  openjdk-17-jdk-headless golang-go"
[ "$want_bench" = 1 ] && APT_PKGS="$APT_PKGS wrk nginx hyperfine python3-websocket"

SUDO=
[ "$(id -u)" != 0 ] && SUDO=sudo

update=0
if ! dpkg --print-foreign-architectures | grep -qx arm64; then
	echo "setup.sh: adding the arm64 architecture (apt-get download of arm64 packages)"
	$SUDO dpkg --add-architecture arm64
	update=1
fi
ls /var/lib/apt/lists/*_binary-arm64_Packages* >/dev/null 2>&1 || update=1
missing=""
for p in $APT_PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing="$missing $p"
done
if [ -n "$missing" ] || [ "$update" = 1 ]; then
	$SUDO apt-get update -qq
fi
if [ -n "$missing" ]; then
	echo "setup.sh: installing$missing"
	# shellcheck disable=SC2086
	$SUDO apt-get install -y -qq --no-install-recommends $missing
fi

# JavaScript and TypeScript kernels from npm (node >= 18; the machines ship node 20).
# The kernels are registered with Debian's Python, which has jupyter_client: the first
# python3 on PATH may be another one.
if ! command -v npm >/dev/null 2>&1; then
	echo "setup.sh: installing nodejs npm"
	$SUDO apt-get update -qq
	$SUDO apt-get install -y -qq --no-install-recommends nodejs npm
fi
NPM_ROOT=$(npm root -g)
node_loads() {
	node -e "require('$1')" >/dev/null 2>&1
}
if ! node_loads "$NPM_ROOT/tslab/node_modules/zeromq"; then
	echo "setup.sh: installing tslab (npm)"
	$SUDO npm install -g --no-audit --no-fund --loglevel=error tslab@1.0.22
fi
if ! node_loads "$NPM_ROOT/ijavascript/node_modules/zeromq"; then
	echo "setup.sh: installing ijavascript (npm, zeromq built against the system libzmq)"
	$SUDO env npm_config_zmq_external=true npm install -g --no-audit --no-fund --loglevel=error ijavascript@5.2.1
	node_loads "$NPM_ROOT/ijavascript/node_modules/zeromq" || {
		echo "setup.sh: ijavascript's zeromq module does not load" >&2
		exit 1
	}
fi
KERNELS=/usr/local/share/jupyter/kernels
if [ ! -f "$KERNELS/tslab/kernel.json" ] || [ ! -f "$KERNELS/jslab/kernel.json" ]; then
	echo "setup.sh: registering the tslab and jslab kernels"
	$SUDO env PATH="/usr/bin:$PATH" tslab install --python=/usr/bin/python3
fi
if [ ! -f "$KERNELS/javascript/kernel.json" ]; then
	echo "setup.sh: registering the javascript kernel (ijavascript)"
	$SUDO env PATH="/usr/bin:$PATH" ijsinstall --install=global --spec-path=full
fi
exit 0
