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

# Only for `make bench`: the PyTorch reference runs on Debian's own python3.
BENCH_PACKAGES := python3-torch
BENCH_PYTHON ?= /usr/bin/python3
BENCH_ARGS ?=

SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
LAUNCHER := $(shell command -v ccache >/dev/null 2>&1 && echo -DCMAKE_CXX_COMPILER_LAUNCHER=ccache)

.PHONY: demo test deps bench-deps install-missing configure build bench clean

demo: build
	rm -rf $(BUILD)/demo-run
	$(BUILD)/tools/hnet/hnet train configs/demo.yaml --out $(BUILD)/demo-run

test: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

# Installs only what is missing; no apt call when everything is present.
deps:
	@$(MAKE) --no-print-directory install-missing LIST="$(PACKAGES)"

bench-deps:
	@$(MAKE) --no-print-directory install-missing LIST="$(BENCH_PACKAGES)"

install-missing:
	@missing=$$(for p in $(LIST); do \
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

# hnet's benchmarks and the PyTorch reference, alternately, at 1 and 2
# threads; prints the table and writes $(BUILD)/bench/results.json.
# Example: make bench BENCH_ARGS="--reps 5 --filter continual"
bench: build bench-deps
	$(BENCH_PYTHON) bench/run_bench.py --build $(BUILD) --python $(BENCH_PYTHON) $(BENCH_ARGS)

clean:
	rm -rf $(BUILD)
