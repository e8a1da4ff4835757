# Cross-compiling execd for aarch64 Linux (make dist ARCH=arm64) with Debian's cross
# toolchain (crossbuild-essential-arm64: the C library, libstdc++ and the loader in
# /usr/aarch64-linux-gnu) and a private sysroot of Debian's arm64 packages of what execd
# links (scripts/arm64-sysroot.sh): POCO, libseccomp, zlib, PCRE, expat.
#   cmake -S . -B build-arm64 -DCMAKE_TOOLCHAIN_FILE=cmake/aarch64-linux-gnu.cmake \
#         -DEXECD_ARM64_SYSROOT=$PWD/build-arm64/sysroot -DEXECD_BUILD_TESTS=OFF
# The sysroot holds no C library, so it is not the compiler's --sysroot: it is a find
# root for find_package/find_library/pkg-config, and the linker's -rpath-link.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(CMAKE_LIBRARY_ARCHITECTURE aarch64-linux-gnu)
set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_CXX_COMPILER aarch64-linux-gnu-g++)

if(NOT EXECD_ARM64_SYSROOT)
	set(EXECD_ARM64_SYSROOT "${CMAKE_BINARY_DIR}/sysroot")
endif()
set(EXECD_ARM64_SYSROOT "${EXECD_ARM64_SYSROOT}" CACHE PATH "arm64 packages unpacked (scripts/arm64-sysroot.sh)")
list(APPEND CMAKE_TRY_COMPILE_PLATFORM_VARIABLES EXECD_ARM64_SYSROOT)

set(CMAKE_FIND_ROOT_PATH "${EXECD_ARM64_SYSROOT}" /usr/aarch64-linux-gnu)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)   # javac, the host's
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

set(ENV{PKG_CONFIG_LIBDIR} "${EXECD_ARM64_SYSROOT}/usr/lib/aarch64-linux-gnu/pkgconfig:${EXECD_ARM64_SYSROOT}/usr/share/pkgconfig")
set(ENV{PKG_CONFIG_SYSROOT_DIR} "${EXECD_ARM64_SYSROOT}")
set(ENV{PKG_CONFIG_PATH} "")

# The POCO libraries need libpcre, libz and libexpat: the linker finds them here.
set(_execd_rpath_link "-Wl,-rpath-link,${EXECD_ARM64_SYSROOT}/usr/lib/aarch64-linux-gnu:${EXECD_ARM64_SYSROOT}/lib/aarch64-linux-gnu")
set(CMAKE_EXE_LINKER_FLAGS_INIT "${_execd_rpath_link}")
set(CMAKE_SHARED_LINKER_FLAGS_INIT "${_execd_rpath_link}")
set(CMAKE_MODULE_LINKER_FLAGS_INIT "${_execd_rpath_link}")
