# The README's two set-up commands: `make demo` and `make test`. Both install
# what is missing (Debian 12), configure, build, then run.

BUILD ?= build
JOBS ?= 2
BUILD_TYPE ?= Release

# Debian packages hnet needs to build, test and run.
PACKAGES := cmake g++ make ccache pkg-config \
  libtorch-dev libopenblas0-pthread libdnnl-dev \
  libcli11-dev nlohmann-json3-dev libyaml-cpp-dev zlib1g-dev \
  libgtest-dev libgmock-dev libbenchmark-dev \
  gnuplot-nox dataset-fashion-mnist

SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
LAUNCHER := $(shell command -v ccache >/dev/null 2>&1 && echo -DCMAKE_CXX_COMPILER_LAUNCHER=ccache)

.PHONY: demo test deps configure build bench clean

demo: build
	rm -rf $(BUILD)/demo-run
	$(BUILD)/tools/hnet/hnet train configs/demo.yaml --out $(BUILD)/demo-run

test: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

# Installs only what is missing; no apt call when everything is present.
deps:
	@missing=$$(for p in $(PACKAGES); do \
	  dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q 'install ok installed' || echo $$p; \
	done); \
	if [ -n "$$missing" ]; then \
	  echo "installing:" $$missing; \
	  $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing; \
	fi

configure: deps
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) $(LAUNCHER)

build: configure
	cmake --build $(BUILD) -j $(JOBS)

bench: build
	@for b in $(BUILD)/bench/bench_*; do $$b; done

clean:
	rm -rf $(BUILD)
