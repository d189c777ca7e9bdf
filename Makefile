# penctld: the two commands of the README.
#   make demo   the main job: a treatment on a virtual Raspberry Pi
#   make test   every test: unit (plain, sanitized, libgpiod 2), integration,
#               systemd checks, cross builds for the Raspberry Pi,
#               whole-system VM scenarios
# Both install the Debian packages they need first (tools/install-deps.sh
# says which), with sudo only when not root.

BUILD ?= _build
BUILD_ASAN ?= _build-asan
BUILD_GPIOD2 ?= _build-gpiod2
BUILD_FUZZ ?= _build-fuzz
GPIOD2_PREFIX ?= $(CURDIR)/_gpiod2
SYSTEM_CACHE ?= $(CURDIR)/_system-cache
# Outside the clone: CI starts from a fresh clone each time and must not
# rebuild the clean Debian root (~1 min and ~190 MB) every run.
FRESH_CACHE ?= /var/cache/penctld-tests/fresh
# The cross-build root (arm64 and armhf toolchains, ~1 GB): same reason.
CROSS_CACHE ?= /var/cache/penctld-tests/cross
# The Debian packages: $(DEB_DIR)/<architecture>/*.deb
DEB_DIR ?= _deb
# AUTO: tests only when their packages are there; `make test` says ON.
PENCTL_TESTS ?= AUTO
FUZZ_SECONDS ?= 300
JOBS ?= $(shell nproc)
CTEST = ctest --output-on-failure --no-tests=error

.PHONY: all deps test-deps build demo test test-unit test-asan test-integration-asan \
	asan-build test-gpiod2 test-integration test-systemd test-system test-fresh \
	fuzz test-fuzz fuzz-build check-config install clean deb deb-arm64 deb-armhf test-cross \
	bench bench-smoke

all: build

deps:
	@tools/install-deps.sh build

test-deps:
	@tools/install-deps.sh test

build: deps
	# Prefix /usr: the paths compiled in (config, unit ExecStart) must match
	# where the VM test bed and a Raspberry Pi install put things.
	cmake -S . -B $(BUILD) -DPENCTL_WERROR=ON -DPENCTL_TESTS=$(PENCTL_TESTS) \
		-DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_INSTALL_PREFIX=/usr >/dev/null
	cmake --build $(BUILD) -j$(JOBS)

check-config: build
	$(BUILD)/daemon/penctld --check-config --config daemon/penctld.conf

demo: build
	@if [ -x tests/system/demo.sh ]; then \
		tools/install-deps.sh deb && \
		tests/system/setup-host.sh $(SYSTEM_CACHE) && \
		tests/system/demo.sh $(BUILD) $(SYSTEM_CACHE); \
	else \
		echo "== penctld --check-config on the shipped configuration =="; \
		$(BUILD)/daemon/penctld --check-config --config daemon/penctld.conf; \
	fi

# What it costs (README.md has the parts' times): about 10 minutes with
# warm caches, plus 30 s per fuzz target, about 3 minutes of test-cross
# (3 more the first time, for its root) and the VM scenarios.
TEST_PARTS = build test-unit test-integration test-systemd test-asan test-integration-asan \
	test-gpiod2 test-fuzz test-fresh test-cross test-system

# The parts in order, each timed ("make test: PART took N s"), so that a
# run's log says where its time went; the first that fails stops it.
test: test-deps
	@for part in $(TEST_PARTS); do \
		start=$$(date +%s); \
		$(MAKE) --no-print-directory $$part PENCTL_TESTS=ON || { \
			echo "make test: $$part FAILED after $$(( $$(date +%s) - start )) s"; exit 1; }; \
		echo "make test: $$part took $$(( $$(date +%s) - start )) s"; \
	done

test-unit:
	cd $(BUILD) && $(CTEST) -L '^unit$$' -j$(JOBS)

test-integration:
	cd $(BUILD) && $(CTEST) -L '^integration$$'

test-systemd:
	cd $(BUILD) && $(CTEST) -L '^systemd$$'

# The unit and integration tests again under AddressSanitizer and
# UndefinedBehaviorSanitizer.
asan-build:
	cmake -S . -B $(BUILD_ASAN) -DPENCTL_WERROR=ON -DPENCTL_SANITIZE=ON -DPENCTL_TESTS=ON \
		-DCMAKE_BUILD_TYPE=Debug >/dev/null
	cmake --build $(BUILD_ASAN) -j$(JOBS)

test-asan: asan-build
	cd $(BUILD_ASAN) && $(CTEST) -L '^unit$$' -j$(JOBS)

test-integration-asan: asan-build
	cd $(BUILD_ASAN) && $(CTEST) -L '^integration$$'

# A second configuration against libgpiod 2 (bookworm-backports, unpacked
# into a private prefix; the system's libgpiod 1.6 stays as it is).
test-gpiod2:
	tools/libgpiod2-prefix.sh $(GPIOD2_PREFIX)
	PKG_CONFIG_PATH=$$(echo $(GPIOD2_PREFIX)/usr/lib/*/pkgconfig) \
		cmake -S . -B $(BUILD_GPIOD2) -DPENCTL_WERROR=ON -DPENCTL_TESTS=ON >/dev/null
	cmake --build $(BUILD_GPIOD2) -j$(JOBS)
	cd $(BUILD_GPIOD2) && $(CTEST) -L '^unit$$' -j$(JOBS)

# The suite holds the host's VM lock from its first VM to its last
# (tests/system/vm-lock.sh): another run's VMs wait for all of it, not
# between two of its tests, where the wait would count against a test's time.
test-system:
	@if [ -x tests/system/setup-host.sh ]; then \
		tools/install-deps.sh deb && \
		tests/system/setup-host.sh $(SYSTEM_CACHE) && \
		cd $(BUILD) && PENCTL_SYSTEM_CACHE=$(SYSTEM_CACHE) \
			$(CURDIR)/tests/system/hold-vm-lock.sh $(CTEST) -L '^system$$'; \
	fi

# The benchmark (docs/performance.md): one VM, one table, $(BUILD)/bench/bench.json.
bench: build
	tests/system/setup-host.sh $(SYSTEM_CACHE)
	PENCTL_SYSTEM_CACHE=$(SYSTEM_CACHE) tests/bench/run.sh --build $(BUILD)

# Its smoke run (10 presses and 5 foot-switch presses, ~4 min): fails only when it could not measure.
# make test runs it as the ctest system/bench-smoke.
bench-smoke: build
	tests/system/setup-host.sh $(SYSTEM_CACHE)
	PENCTL_SYSTEM_CACHE=$(SYSTEM_CACHE) tests/bench/run.sh --quick --build $(BUILD) \
		--out $(BUILD)/bench-smoke

# libFuzzer targets (tests/fuzz), built with clang into $(BUILD_FUZZ):
# `make fuzz` runs each FUZZ_SECONDS on a copy of its corpus, `make
# test-fuzz` 30 s each.  A crash fails and keeps the input (run.sh says where).
fuzz-build:
	CC=clang cmake -S . -B $(BUILD_FUZZ) -DPENCTL_WERROR=ON -DPENCTL_FUZZ=ON -DPENCTL_TESTS=OFF \
		-DCMAKE_BUILD_TYPE=Debug >/dev/null
	cmake --build $(BUILD_FUZZ) -j$(JOBS) --target penctl-fuzzers

fuzz: test-deps fuzz-build
	tests/fuzz/run.sh $(BUILD_FUZZ) $(FUZZ_SECONDS)

test-fuzz: fuzz-build
	tests/fuzz/run.sh $(BUILD_FUZZ) 30

# The README's Raspberry Pi steps and `make build`, each in a clean Debian 12
# root from a clone of the current commit (tests/fresh/run.sh).
test-fresh:
	tests/fresh/run.sh $(FRESH_CACHE)

# The Debian packages penctld and penctld-sim for this machine, built with
# dpkg-buildpackage from a copy of the tree as it is (uncommitted changes
# included; the build's by-products stay out of the clone), unit tests
# included unless DEB_BUILD_OPTIONS=nocheck; lintian must report no error
# and no warning.
DEB_NATIVE = $(DEB_DIR)/$(shell dpkg --print-architecture)
deb:
	@tools/install-deps.sh deb
	rm -rf $(DEB_NATIVE) && mkdir -p $(DEB_NATIVE)/src
	tar --exclude=./.git --exclude='./_*' --exclude='./build*' --exclude='./obj-*' \
		--exclude=./debian/tmp --exclude=./debian/.debhelper \
		--exclude=./debian/penctld --exclude=./debian/penctld-sim -cf - . | \
		tar -C $(DEB_NATIVE)/src -xf -
	cd $(DEB_NATIVE)/src && dpkg-buildpackage -us -uc -b -J$(JOBS) $(if $(filter nocheck,$(DEB_BUILD_OPTIONS)),-Pnocheck)
	rm -rf $(DEB_NATIVE)/src
	lintian --fail-on error,warning --tag-display-limit 0 $(DEB_NATIVE)/penctld_*.changes
	@ls -l $(DEB_NATIVE)/*.deb

# For the Raspberry Pi: cross-built with Debian's toolchains in a cached
# clean root (tests/cross/root.sh), the unit tests run under qemu-user;
# packages in $(DEB_DIR)/arm64 and $(DEB_DIR)/armhf.  Needs root.
deb-arm64 deb-armhf:
	@tools/install-deps.sh cross
	tests/cross/build.sh $(@:deb-%=%) $(CROSS_CACHE) $(DEB_DIR)

test-cross:
	$(MAKE) --no-print-directory deb-arm64 deb-armhf

install: build
	cmake --install $(BUILD)

clean:
	rm -rf $(BUILD) $(BUILD_ASAN) $(BUILD_GPIOD2) $(BUILD_FUZZ) $(DEB_DIR)
