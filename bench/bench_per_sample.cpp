// Per-sample weights (batch 64, MLP 784-256-10, one weight set per input):
// one batched forward vs a loop over the 64 weight sets.

#include "support.h"

namespace {

const std::vector<int64_t> kSizes{784, 256, 10};
constexpr int64_t kBatch = 64;

struct Fixture {
  hnet::Mlp target{hnet::MlpOptions(kSizes)};
  torch::Tensor x = torch::randn({kBatch, kSizes[0]});
  hnet::Weights w{target->spec(), torch::randn({kBatch, target->spec()->numel()}) * 0.05};
};

void per_sample(benchmark::State& state, bool batched) {
  hnet::bench::set_threads(state.range(0));
  torch::manual_seed(0);
  Fixture f;
  torch::NoGradGuard no_grad;
  auto run = [&] {
    if (batched) {
      benchmark::DoNotOptimize(f.target->forward(f.x, f.w));
      return;
    }
    for (int64_t b = 0; b < kBatch; ++b) {
      benchmark::DoNotOptimize(f.target->forward(f.x.narrow(0, b, 1), f.w.select(b)));
    }
  };
  for (int i = 0; i < 3; ++i) run();
  for (auto _ : state) run();
  hnet::bench::report(state, kBatch, hnet::bench::mlp_flops(kSizes, kBatch));
}

}  // namespace

BENCHMARK_CAPTURE(per_sample, batched, true)->Apply(hnet::bench::thread_args);
BENCHMARK_CAPTURE(per_sample, loop, false)->Apply(hnet::bench::thread_args);
BENCHMARK_MAIN();
