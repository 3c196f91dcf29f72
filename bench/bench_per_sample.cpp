// Per-sample weights (batch 64, MLP 784-256-10, one weight set per input):
//
// - batched / loop: the target alone on 64 given weight sets, in one batched
//   forward or one forward per set. Both read the same 64 x 203,530 weights
//   once, so this ratio is bounded by memory traffic, not by batching.
// - gen_batched / gen_loop: what a data-conditioned hypernetwork does per
//   mini-batch: a full generator (trunk 100, head of 203,530 outputs) makes
//   each sample's weights from its 32-wide condition, then the target runs;
//   one generator call for the 64 conditions (one product) or one per sample
//   (64 matrix-vector products, each reading the whole head).

#include "hnet/generators/full_generator.h"
#include "support.h"

namespace {

const std::vector<int64_t> kSizes{784, 256, 10};
constexpr int64_t kBatch = 64;
constexpr int64_t kConditionDim = 32;
const std::vector<int64_t> kTrunk{100};

struct Fixture {
  hnet::Mlp target{hnet::MlpOptions(kSizes)};
  torch::Tensor x = torch::randn({kBatch, kSizes[0]});
  hnet::Weights w{target->spec(), torch::randn({kBatch, target->spec()->numel()}) * 0.05};
};

// The target alone on the fixture's given weight sets.
void run_given(Fixture& f, bool batched) {
  if (batched) {
    benchmark::DoNotOptimize(f.target->forward(f.x, f.w));
    return;
  }
  for (int64_t b = 0; b < kBatch; ++b) {
    benchmark::DoNotOptimize(f.target->forward(f.x.narrow(0, b, 1), f.w.select(b)));
  }
}

// Each sample's weights generated from its condition, then the target.
void run_generated(
    Fixture& f, hnet::WeightGenerator& gen, const torch::Tensor& cond, bool batched) {
  const auto& spec = f.target->spec();
  if (batched) {
    benchmark::DoNotOptimize(f.target->forward(f.x, hnet::Weights(spec, gen.forward(cond))));
    return;
  }
  for (int64_t b = 0; b < kBatch; ++b) {
    auto flat = gen.forward(cond.narrow(0, b, 1))[0];
    benchmark::DoNotOptimize(f.target->forward(f.x.narrow(0, b, 1), hnet::Weights(spec, flat)));
  }
}

void per_sample(benchmark::State& state, bool batched, bool generated) {
  hnet::bench::set_threads(state.range(0));
  torch::manual_seed(0);
  static Fixture f;
  static auto gen =
      hnet::FullGenerator(f.target->spec(), hnet::GeneratorOptions(kConditionDim).hidden(kTrunk));
  const auto cond = torch::randn({kBatch, kConditionDim});
  torch::NoGradGuard no_grad;
  auto run = [&] { generated ? run_generated(f, *gen, cond, batched) : run_given(f, batched); };
  for (int i = 0; i < 3; ++i) run();
  for (auto _ : state) run();
  double flops = hnet::bench::mlp_flops(kSizes, kBatch);
  if (generated) {
    flops +=
        2.0 * kBatch * (kConditionDim * kTrunk.back() + kTrunk.back() * f.target->spec()->numel());
  }
  hnet::bench::report(state, kBatch, flops);
}

}  // namespace

BENCHMARK_CAPTURE(per_sample, batched, true, false)->Apply(hnet::bench::thread_args);
BENCHMARK_CAPTURE(per_sample, loop, false, false)->Apply(hnet::bench::thread_args);
BENCHMARK_CAPTURE(per_sample, gen_batched, true, true)->Apply(hnet::bench::thread_args);
BENCHMARK_CAPTURE(per_sample, gen_loop, false, true)->Apply(hnet::bench::thread_args);
BENCHMARK_MAIN();
