# The two commands (README): `make run` and `make test`. Everything installs what it needs.
BUILD ?= build
JOBS ?= $(shell nproc)
MOUNT ?= $(CURDIR)/mnt
BASE_URL ?=

.PHONY: deps build test test-fast run bench clean

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

run: build
	@bash scripts/run-demo.sh "$(MOUNT)" "$(BASE_URL)"

bench: build
	@bash tools/bench/run.sh
	@bash tools/bench/mobile.sh

clean:
	rm -rf $(BUILD)
