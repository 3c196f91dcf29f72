// Per-sample weights (batch 64, MLP 784-256-10): one batched forward vs a
// loop over the 64 weight sets.

#include <benchmark/benchmark.h>
#include <torch/torch.h>

#include "hnet/targets/mlp.h"

namespace {

struct Fixture {
  hnet::Mlp target{hnet::MlpOptions({784, 256, 10})};
  torch::Tensor x = torch::randn({64, 784});
  hnet::Weights w{target->spec(), torch::randn({64, target->spec()->numel()}) * 0.05};
};

void per_sample_batched(benchmark::State& state) {
  torch::set_num_threads(static_cast<int>(state.range(0)));
  Fixture f;
  torch::NoGradGuard no_grad;
  for (auto _ : state) benchmark::DoNotOptimize(f.target->forward(f.x, f.w));
  state.counters["samples/s"] =
      benchmark::Counter(64.0 * state.iterations(), benchmark::Counter::kIsRate);
}

void per_sample_loop(benchmark::State& state) {
  torch::set_num_threads(static_cast<int>(state.range(0)));
  Fixture f;
  torch::NoGradGuard no_grad;
  for (auto _ : state) {
    for (int64_t b = 0; b < 64; ++b) {
      benchmark::DoNotOptimize(f.target->forward(f.x.narrow(0, b, 1), f.w.select(b)));
    }
  }
  state.counters["samples/s"] =
      benchmark::Counter(64.0 * state.iterations(), benchmark::Counter::kIsRate);
}

}  // namespace

BENCHMARK(per_sample_batched)->Arg(1)->Arg(2)->UseRealTime();
BENCHMARK(per_sample_loop)->Arg(1)->Arg(2)->UseRealTime();
BENCHMARK_MAIN();
