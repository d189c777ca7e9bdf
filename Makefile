# penctld: the two commands of the README.
#   make demo   the main job: a treatment on a virtual Raspberry Pi
#   make test   every test: unit (plain, sanitized, libgpiod 2), integration,
#               systemd checks, whole-system VM scenarios
# Both install the Debian packages they need first (tools/install-deps.sh
# says which), with sudo only when not root.

BUILD ?= _build
BUILD_ASAN ?= _build-asan
BUILD_GPIOD2 ?= _build-gpiod2
GPIOD2_PREFIX ?= $(CURDIR)/_gpiod2
SYSTEM_CACHE ?= $(CURDIR)/_system-cache
JOBS ?= $(shell nproc)
CTEST = ctest --output-on-failure --no-tests=error

.PHONY: all deps test-deps build demo test test-unit test-asan test-gpiod2 test-integration \
	test-systemd test-system check-config install clean

all: build

deps:
	@tools/install-deps.sh build

test-deps:
	@tools/install-deps.sh test

build: deps
	# Prefix /usr: the paths compiled in (config, unit ExecStart) must match
	# where the VM test bed and a Raspberry Pi install put things.
	cmake -S . -B $(BUILD) -DPENCTL_WERROR=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_INSTALL_PREFIX=/usr >/dev/null
	cmake --build $(BUILD) -j$(JOBS)

check-config: build
	$(BUILD)/daemon/penctld --check-config --config daemon/penctld.conf

demo: build
	@if [ -x tests/system/demo.sh ]; then \
		tests/system/setup-host.sh $(SYSTEM_CACHE) && \
		tests/system/demo.sh $(BUILD) $(SYSTEM_CACHE); \
	else \
		echo "== penctld --check-config on the shipped configuration =="; \
		$(BUILD)/daemon/penctld --check-config --config daemon/penctld.conf; \
	fi

test: test-deps
	$(MAKE) --no-print-directory build
	$(MAKE) --no-print-directory test-unit test-integration test-systemd test-asan test-gpiod2 test-system

test-unit:
	cd $(BUILD) && $(CTEST) -L '^unit$$' -j$(JOBS)

test-integration:
	cd $(BUILD) && $(CTEST) -L '^integration$$'

test-systemd:
	cd $(BUILD) && $(CTEST) -L '^systemd$$'

# The unit tests again under AddressSanitizer and UndefinedBehaviorSanitizer.
test-asan:
	cmake -S . -B $(BUILD_ASAN) -DPENCTL_WERROR=ON -DPENCTL_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug >/dev/null
	cmake --build $(BUILD_ASAN) -j$(JOBS)
	cd $(BUILD_ASAN) && $(CTEST) -L '^unit$$' -j$(JOBS)

# A second configuration against libgpiod 2 (bookworm-backports, unpacked
# into a private prefix; the system's libgpiod 1.6 stays as it is).
test-gpiod2:
	tools/libgpiod2-prefix.sh $(GPIOD2_PREFIX)
	PKG_CONFIG_PATH=$$(echo $(GPIOD2_PREFIX)/usr/lib/*/pkgconfig) \
		cmake -S . -B $(BUILD_GPIOD2) -DPENCTL_WERROR=ON >/dev/null
	cmake --build $(BUILD_GPIOD2) -j$(JOBS)
	cd $(BUILD_GPIOD2) && $(CTEST) -L '^unit$$' -j$(JOBS)

test-system:
	@if [ -x tests/system/setup-host.sh ]; then \
		tests/system/setup-host.sh $(SYSTEM_CACHE) && \
		cd $(BUILD) && PENCTL_SYSTEM_CACHE=$(SYSTEM_CACHE) $(CTEST) -L '^system$$'; \
	fi

install: build
	cmake --install $(BUILD)

clean:
	rm -rf $(BUILD) $(BUILD_ASAN) $(BUILD_GPIOD2)
