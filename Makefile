# The README's two set-up commands: `make demo` and `make test`. Both install
# what is missing (Debian 12), configure, build, then run.

BUILD ?= build
JOBS ?= 2
BUILD_TYPE ?= Release
# Extra cmake -D options for `configure` (used by test-asan).
CMAKE_ARGS ?=
# Seconds each fuzz target runs in `make fuzz`.
FUZZ_SECONDS ?= 60

# Debian packages hnet needs to build, test and run. python3-torch: the
# tests read hnet's exports back with PyTorch alone, on Debian's own python3
# (tests/tools/rebuild_export.py). libgloo-dev: the headers of c10d's Gloo
# process group (its library is inside libtorch), for data-parallel training.
PACKAGES := cmake g++ make ccache pkg-config \
  libtorch-dev libgloo-dev libopenblas0-pthread libopenblas0-openmp libdnnl-dev \
  libcli11-dev nlohmann-json3-dev libyaml-cpp-dev zlib1g-dev \
  libgtest-dev libgmock-dev libbenchmark-dev python3-torch \
  gnuplot-nox dataset-fashion-mnist

# For `make bench`: the PyTorch reference runs on Debian's own python3.
BENCH_PACKAGES := python3-torch
BENCH_PYTHON ?= /usr/bin/python3
BENCH_ARGS ?=

# clang and its runtime (libFuzzer, sanitizers), only for `make fuzz`.
FUZZ_PACKAGES := clang-14 libclang-rt-14-dev
FUZZERS := fuzz_safetensors fuzz_idx fuzz_config fuzz_checkpoint_metadata

SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
LAUNCHER := $(shell command -v ccache >/dev/null 2>&1 && echo -DCMAKE_CXX_COMPILER_LAUNCHER=ccache)

.PHONY: demo test deps bench-deps fuzz-deps install-missing configure build bench results docs test-asan fuzz clean

# Builds only the command-line tool (not the tests or benchmarks), then runs
# the main job (`hnet demo`: configs/demo.yaml).
demo: configure
	cmake --build $(BUILD) -j $(JOBS) --target hnet_cli
	rm -rf $(BUILD)/demo-run
	$(BUILD)/tools/hnet/hnet demo --out $(BUILD)/demo-run

test: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

# Installs only what is missing; no apt call when everything is present.
deps:
	@$(MAKE) --no-print-directory install-missing LIST="$(PACKAGES)"

bench-deps:
	@$(MAKE) --no-print-directory install-missing LIST="$(BENCH_PACKAGES)"

fuzz-deps:
	@$(MAKE) --no-print-directory install-missing LIST="$(FUZZ_PACKAGES)"

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
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) $(LAUNCHER) $(CMAKE_ARGS)

build: configure
	cmake --build $(BUILD) -j $(JOBS)

# hnet's benchmarks and the PyTorch reference, alternately, at 1 and 2
# threads; prints the table and writes $(BUILD)/bench/results.json.
# Example: make bench BENCH_ARGS="--reps 5 --filter continual"
bench: build bench-deps
	$(BENCH_PYTHON) bench/run_bench.py --build $(BUILD) --python $(BENCH_PYTHON) $(BENCH_ARGS)

# Re-runs README's headline rows (every seed) on the code as it is and writes
# their numbers into docs/results.json, docs/results.md and README's table.
# QUICK=1: only the rows under about five minutes; ROWS=TEXT: only the rows
# whose name contains TEXT.
results: build
	python3 tools/make_results.py --build $(BUILD) $(if $(QUICK),--quick) $(if $(ROWS),--rows "$(ROWS)")

# Rewrites README's and docs/results.md's generated blocks (the results
# table from docs/results.json, the config key list) without running anything.
docs: build
	python3 tools/make_results.py --build $(BUILD) --docs-only

# The suite under AddressSanitizer + UndefinedBehaviorSanitizer, in build-asan.
# LibTorch, OpenBLAS and oneDNN are not instrumented and keep caches and
# thread pools alive until exit, which LeakSanitizer reports as leaks that
# are not hnet's: leak detection is off. Any other report stops the test
# (halt_on_error), and UBSan failures are fatal too.
ASAN_ENV := ASAN_OPTIONS=detect_leaks=0:halt_on_error=1:abort_on_error=0:strict_string_checks=1:detect_stack_use_after_return=1 \
  UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
test-asan:
	$(MAKE) build BUILD=build-asan BUILD_TYPE=RelWithDebInfo \
	  CMAKE_ARGS="-DHNET_SANITIZE_ADDRESS=ON -DHNET_SANITIZE_UNDEFINED=ON -DHNET_BUILD_BENCHMARKS=OFF -DHNET_BUILD_EXAMPLES=OFF"
	cd build-asan && $(ASAN_ENV) ctest --output-on-failure -j $(JOBS)

# Each libFuzzer target for FUZZ_SECONDS, from the committed seeds (new
# inputs go to build-fuzz/corpus, crashes to build-fuzz/crashes).
fuzz: deps fuzz-deps
	cmake -S . -B build-fuzz -DCMAKE_CXX_COMPILER=clang++-14 -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	  -DHNET_BUILD_FUZZERS=ON -DHNET_BUILD_TESTS=OFF -DHNET_BUILD_TOOLS=OFF \
	  -DHNET_BUILD_BENCHMARKS=OFF -DHNET_BUILD_EXAMPLES=OFF $(LAUNCHER)
	cmake --build build-fuzz -j $(JOBS) --target $(FUZZERS)
	fuzz/run.sh build-fuzz $(FUZZ_SECONDS) $(FUZZERS)

clean:
	rm -rf $(BUILD) build-asan build-fuzz
