# Thin wrapper around scripts/setup.sh, CMake and CTest.
#   make run     install what is missing, build, start execd on :44772
#   make test    install what is missing, build, run every test
#   make build   build only (build/bin/execd)
#   make dist    dist/execd (= dist/execd-linux-amd64): one self-contained file to copy
#                into any sandbox image (see README, Deploying into a sandbox image)
#   make dist ARCH=arm64  dist/execd-linux-arm64, cross-built in build-arm64 (Debian's
#                cross toolchain, a private sysroot of arm64 packages: scripts/arm64-sysroot.sh)
#   make bench   install benchmark tools, build, run the benchmarks
#   make sanitize  build with ASan/UBSan into build-asan and run every test
#   make fuzz    build the libFuzzer targets into build-fuzz (clang) and run each
#                for FUZZ_SECONDS (30) on a copy of test/fuzz/corpus/<target>

BUILD ?= build
BUILD_TYPE ?= RelWithDebInfo
JOBS ?= $(shell nproc)
PREFIX ?= /usr/local
FUZZ_SECONDS ?= 30
FUZZ_CXX ?= /usr/bin/clang++
ARCH ?= amd64
# Warnings are errors in CI (CI=true), not on a developer's machine.
WERROR ?= $(if $(filter true 1 yes,$(CI)),ON,OFF)
ARM64_BUILD ?= build-arm64

.PHONY: all setup build run test bench install sanitize fuzz fuzz-build clean dist dist-amd64 dist-arm64

all: build

setup:
	sh scripts/setup.sh

$(BUILD)/CMakeCache.txt:
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) -DEXECD_WERROR=$(WERROR)

build: $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j $(JOBS)

run: setup
	$(MAKE) build
	exec $(BUILD)/bin/execd --config etc/execd.properties

dist: setup
	$(MAKE) dist-$(ARCH)

dist-amd64:
	$(MAKE) build
	rm -rf $(BUILD)/dist-stage
	cmake --install $(BUILD) --prefix $(BUILD)/dist-stage >/dev/null
	mkdir -p dist
	/usr/bin/python3 scripts/bundle.py --libdir /lib/x86_64-linux-gnu --libdir /usr/lib/x86_64-linux-gnu \
		$(BUILD)/bin/execd-launcher $(BUILD)/dist-stage dist/execd-linux-amd64
	cp dist/execd-linux-amd64 dist/execd

# Only what the dist needs: no tests. The sysroot is laid out once (quick when it is).
$(ARM64_BUILD)/CMakeCache.txt:
	sh scripts/arm64-sysroot.sh $(ARM64_BUILD)
	cmake -S . -B $(ARM64_BUILD) -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) -DCMAKE_TOOLCHAIN_FILE=cmake/aarch64-linux-gnu.cmake \
		-DEXECD_ARM64_SYSROOT=$(abspath $(ARM64_BUILD))/sysroot -DEXECD_BUILD_TESTS=OFF -DEXECD_WERROR=$(WERROR)

dist-arm64: $(ARM64_BUILD)/CMakeCache.txt
	sh scripts/arm64-sysroot.sh $(ARM64_BUILD)
	cmake --build $(ARM64_BUILD) -j $(JOBS)
	rm -rf $(ARM64_BUILD)/dist-stage
	cmake --install $(ARM64_BUILD) --prefix $(ARM64_BUILD)/dist-stage >/dev/null
	mkdir -p dist
	STRIP=aarch64-linux-gnu-strip /usr/bin/python3 scripts/bundle.py --libdir $(ARM64_BUILD)/sysroot/lib/aarch64-linux-gnu \
		--libdir $(ARM64_BUILD)/sysroot/usr/lib/aarch64-linux-gnu --libdir /usr/aarch64-linux-gnu/lib \
		$(ARM64_BUILD)/bin/execd-launcher $(ARM64_BUILD)/dist-stage dist/execd-linux-arm64

# deploy.Arm64Qemu runs dist/execd-linux-arm64 under qemu-user: both dists first.
test: setup
	$(MAKE) dist-amd64
	$(MAKE) dist-arm64
	cd $(BUILD) && ctest --output-on-failure --timeout 900
	$(MAKE) fuzz

bench:
	sh scripts/setup.sh --bench
	$(MAKE) build
	sh bench/run.sh

install: build
	cmake --install $(BUILD) --prefix $(PREFIX)

sanitize: setup
	cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DEXECD_SANITIZE=ON
	cmake --build build-asan -j $(JOBS)
	cd build-asan && ASAN_OPTIONS=detect_leaks=0 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 ctest --output-on-failure --timeout 900

build-fuzz/CMakeCache.txt:
	cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER=$(FUZZ_CXX) -DEXECD_FUZZ=ON

fuzz-build: build-fuzz/CMakeCache.txt
	cmake --build build-fuzz -j $(JOBS)

fuzz: setup
	$(MAKE) fuzz-build
	FUZZ_SECONDS=$(FUZZ_SECONDS) sh test/fuzz/run.sh build-fuzz

clean:
	rm -rf $(BUILD) $(ARM64_BUILD) build-asan build-fuzz
