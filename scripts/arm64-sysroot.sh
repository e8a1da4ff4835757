#!/bin/sh
# Lays out the private arm64 sysroot that make dist ARCH=arm64 builds against: Debian's
# arm64 packages of what execd links (POCO, libseccomp, libzmq and what it needs, zlib,
# PCRE, expat) and the
# aarch64 static busybox and bash for deploy.Arm64Qemu, fetched with apt-get download and unpacked
# with dpkg-deb -x. Nothing is installed: the host's dpkg state is left alone (apart from
# the arm64 architecture that scripts/setup.sh adds, so that apt sees the packages).
# The C library, libstdc++ and the loader come from the cross toolchain
# (crossbuild-essential-arm64, /usr/aarch64-linux-gnu). Idempotent: a sysroot laid out
# from the same package list is kept.
#   arm64-sysroot.sh DIR
set -eu
dir=$1
PKGS="libpoco-dev libpocofoundation80 libpoconet80 libpocojson80 libpocoutil80 libpocoxml80
  libpcre3 libpcre3-dev libexpat1 libexpat1-dev zlib1g zlib1g-dev libseccomp2 libseccomp-dev busybox-static bash-static
  libzmq3-dev libzmq5 cppzmq-dev libsodium23 libpgm-5.3-0 libnorm1 libgssapi-krb5-2 libkrb5-3 libk5crypto3
  libcom-err2 libkrb5support0 libkeyutils1 libbsd0 libmd0"
stamp="$dir/sysroot/.packages"
list=$(echo $PKGS)
[ -f "$stamp" ] && [ "$(cat "$stamp")" = "$list" ] && exit 0

command -v apt-get >/dev/null && command -v dpkg-deb >/dev/null || { echo "arm64-sysroot.sh: needs apt-get and dpkg-deb (Debian)" >&2; exit 1; }
dpkg --print-foreign-architectures | grep -qx arm64 || { echo "arm64-sysroot.sh: apt does not know the arm64 architecture (scripts/setup.sh adds it)" >&2; exit 1; }
echo "arm64-sysroot.sh: laying out $dir/sysroot"
rm -rf "$dir/sysroot" "$dir/debs"
mkdir -p "$dir/sysroot" "$dir/debs"
args=
for p in $PKGS; do args="$args $p:arm64"; done
# shellcheck disable=SC2086
(cd "$dir/debs" && apt-get download -qq -o APT::Sandbox::User=root $args)
for deb in "$dir"/debs/*.deb; do
	dpkg-deb -x "$deb" "$dir/sysroot"
done
# Absolute links (libz.so -> /lib/aarch64-linux-gnu/libz.so.1.2.13) point into the sysroot.
find "$dir/sysroot" -type l -lname '/*' | while read -r link; do
	ln -sfnr "$dir/sysroot$(readlink "$link")" "$link"
done
echo "$list" >"$stamp"
