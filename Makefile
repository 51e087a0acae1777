# The two commands (README): `make run` and `make test`. Everything installs what it needs.
BUILD ?= build
JOBS ?= $(shell nproc)
MOUNT ?= $(CURDIR)/mnt
BASE_URL ?=
# `make install PREFIX=/usr DESTDIR=/tmp/root`: where the binary, units, docs and man page go
# (the configuration always goes to $(DESTDIR)/etc/d1drive, where the daemon reads it).
PREFIX ?= /usr/local
DESTDIR ?=

.PHONY: deps build test test-fast run bench clean install deb

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
	@bash tools/bench/streaming.sh $(BUILD)

install: build
	DESTDIR="$(DESTDIR)" cmake --install $(BUILD) --prefix "$(PREFIX)" --strip

# The Debian package, built with CPack from the same build dir: $(BUILD)/d1drive_*.deb.
deb: build
	cd $(BUILD) && cpack -G DEB

clean:
	rm -rf $(BUILD)
