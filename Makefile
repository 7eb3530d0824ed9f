# ofts top-level entry points. Everything real lives in CMake; this file only
# installs what a fresh Debian box lacks and picks the build tree.
#   make demo   - install, build (release), run the whole system on bundled data
#   make demo-web - the same replay with the live web view, kept running (Ctrl-C)
#   make test   - install, build (ASan+UBSan), run every test with ctest
#   make bench  - build (release) and run every build/bin/bench-*
#   make fuzz   - build the libFuzzer targets with clang and run each for a bounded time
SHELL := /bin/bash
#  No "gmake[N]: Entering directory" lines from cmake's sub-makes.
MAKEFLAGS += --no-print-directory
DEB_PKGS := build-essential cmake pkg-config libzmq3-dev libczmq-dev libprotobuf-c-dev \
            protobuf-c-compiler libcurl4-openssl-dev libjansson-dev libzstd-dev libsodium-dev \
            libcmocka-dev libsqlite3-dev libmicrohttpd-dev libwebsockets-dev libssl-dev zstd iproute2 \
            libjs-chart.js
FUZZ_PKGS := clang libclang-rt-14-dev
# Test-only: the web view's browser test (tests/test_e2e_web.c skips without it).
TEST_PKGS := chromium
JOBS ?= $(shell nproc)
CTEST_JOBS ?= 2
FUZZ_SECONDS ?= 60

#  Everything the README's commands use after `make demo`.
DEMO_TARGETS := ofts_cli ofts-gateway-md ofts-analyzer ofts-risk ofts-gateway-order ofts-monitor \
                ofts-recorder ofts-sim ofts-backtest ofts-sweep ofts-journal ofts-dbn ofts-databento \
                ofts-forwarder ofts-record ofts-replay-bus ofts-rerun ofts-explain ofts-alerts ofts-projectx

.PHONY: deps configure build build-test demo demo-web test bench fuzz clean

deps:
	@tools/install-deps.sh $(DEB_PKGS)

configure: deps
	cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DOFTS_SANITIZE=OFF >/dev/null

build: configure
	cmake --build build -j $(JOBS)

build-test: deps
	cmake -S . -B build-test -DCMAKE_BUILD_TYPE=Debug -DOFTS_SANITIZE=ON >/dev/null
	cmake --build build-test -j $(JOBS)

demo: configure
	@echo "== building (release) into build/bin"
	@set -o pipefail; cmake --build build -j $(JOBS) --target $(DEMO_TARGETS) \
	  | { grep -vE '^\[ *[0-9]+%\] (Building|Linking|Built|Generating)|^Consolidate|^Scanning' || true; }
	@tools/demo.sh build

demo-web: configure
	cmake --build build -j $(JOBS) --target $(DEMO_TARGETS)
	tools/demo-web.sh build

test: build-test
	@tools/install-deps.sh $(TEST_PKGS) || echo "make test: chromium not installed; e2e_web will be skipped"
	cd build-test && ctest -j $(CTEST_JOBS) --output-on-failure --timeout 300

bench: configure
	cmake --build build -j $(JOBS) --target bench-targets
	@set -e; for b in build/bin/bench-*; do echo "== $$b"; $$b; done

fuzz: deps
	@tools/install-deps.sh $(FUZZ_PKGS)
	CC=clang cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=Debug -DOFTS_FUZZ=ON >/dev/null
	cmake --build build-fuzz -j $(JOBS) --target fuzz-targets
	tools/run-fuzz.sh build-fuzz $(FUZZ_SECONDS)

clean:
	rm -rf build build-test build-fuzz
