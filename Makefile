# The two commands (README): `make run` and `make test`. Everything installs what it needs.
BUILD ?= build
JOBS ?= $(shell nproc)
MOUNT ?= $(CURDIR)/mnt
BASE_URL ?=
# `make install PREFIX=/usr DESTDIR=/tmp/root`: where the binary, units, docs and man page go
# (the configuration always goes to $(DESTDIR)/etc/d1drive, where the daemon reads it).
PREFIX ?= /usr/local
DESTDIR ?=

# Sanitizer and fuzzing builds (docs/hardening.md): each in its own build dir, with ccache.
FUZZ_SECONDS ?= 60
FUZZ_TARGETS ?=
CCACHE := $(if $(shell command -v ccache 2>/dev/null),-DCMAKE_CXX_COMPILER_LAUNCHER=ccache,)
SAN_REPORTS = $(CURDIR)/$(1)/sanitizer-reports
SUPP = $(CURDIR)/tests/sanitizers
# Every process of the suite (daemons spawned by the tests too) writes its findings to
# files that the recipe checks afterwards: a daemon's report cannot go unnoticed.
ASAN_ENV = ASAN_OPTIONS=halt_on_error=1:detect_leaks=1:log_path=$(call SAN_REPORTS,build-asan)/asan \
	UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1:log_path=$(call SAN_REPORTS,build-asan)/ubsan \
	LSAN_OPTIONS=suppressions=$(SUPP)/lsan.supp:print_suppressions=0
TSAN_ENV = TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1:suppressions=$(SUPP)/tsan.supp:log_path=$(call SAN_REPORTS,build-tsan)/tsan
# Tests that mount or run the stand-in node run one at a time (as in `make test`); the
# others in parallel.
SERIAL_TESTS = integration|d1_test_node
# Under TSan: the unit and actor tests (no mounts, no stand-in node; docs/hardening.md).
TSAN_TESTS ?= -E 'integration|d1_test_node|fuzz_regressions'

.PHONY: deps build test test-fast test-asan test-tsan fuzz run bench clean install deb

deps:
	@bash scripts/install-deps.sh

build: deps
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	@cmake --build $(BUILD) -j$(JOBS)

test: build
	cd $(BUILD) && ctest --output-on-failure -j1 --timeout 600

# The fast loop: unit and actor tests only (no mounts, no stand-in node).
test-fast: build
	cd $(BUILD) && ctest --output-on-failure -j$(JOBS) -E 'integration|d1_test_node'

# One clang build serves the ASan + UBSan suite and the libFuzzer targets (D1_FUZZ=ON
# instruments everything for both), so CI builds it once; -O1 with line tables only (what
# a symbolized report needs) compiles in much less time than -O2 -g.
ASAN_CMAKE = -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_C_COMPILER=clang \
	-DCMAKE_CXX_COMPILER=clang++ -DD1_FUZZ=ON $(CCACHE) \
	"-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O1 -gline-tables-only -DNDEBUG" \
	"-DCMAKE_C_FLAGS_RELWITHDEBINFO=-O1 -gline-tables-only -DNDEBUG"

test-asan: deps
	@cmake -S . -B build-asan $(ASAN_CMAKE) >/dev/null
	@cmake --build build-asan -j$(JOBS)
	@rm -rf $(call SAN_REPORTS,build-asan) && mkdir -p $(call SAN_REPORTS,build-asan)
	(cd build-asan && $(ASAN_ENV) ctest --output-on-failure -j$(JOBS) --timeout 1200 \
		-E '$(SERIAL_TESTS)'; parallel=$$?; $(ASAN_ENV) ctest --output-on-failure -j1 \
		--timeout 1200 -R '$(SERIAL_TESTS)' && exit $$parallel); status=$$?; \
	bash scripts/sanitizer-reports.sh $(call SAN_REPORTS,build-asan) && exit $$status

test-tsan: deps
	@cmake -S . -B build-tsan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DD1_SANITIZE=thread $(CCACHE) >/dev/null
	@cmake --build build-tsan -j$(JOBS)
	@rm -rf $(call SAN_REPORTS,build-tsan) && mkdir -p $(call SAN_REPORTS,build-tsan)
	(cd build-tsan && $(TSAN_ENV) ctest --output-on-failure -j1 --timeout 1200 $(TSAN_TESTS)); \
	status=$$?; bash scripts/sanitizer-reports.sh $(call SAN_REPORTS,build-tsan) && exit $$status

# Every libFuzzer target for FUZZ_SECONDS each (FUZZ_RUNS=N: at most N runs each), built
# in build-asan (above).
fuzz: deps
	@cmake -S . -B build-asan $(ASAN_CMAKE) >/dev/null
	@cmake --build build-asan -j$(JOBS) --target fuzz_targets
	@bash tests/fuzz/run.sh build-asan $(FUZZ_SECONDS) $(FUZZ_TARGETS)

run: build
	@bash scripts/run-demo.sh "$(MOUNT)" "$(BASE_URL)"

bench: build
	@bash tools/bench/run.sh
	@bash tools/bench/mobile.sh
	@bash tools/bench/streaming.sh $(BUILD)

install: build
	DESTDIR="$(DESTDIR)" cmake --install $(BUILD) --prefix "$(PREFIX)" --strip

# The Debian package, built with CPack from the same build dir: $(BUILD)/d1drive_*.deb.
deb: build
	cd $(BUILD) && cpack -G DEB

clean:
	rm -rf $(BUILD) build-asan build-tsan
