// Generator forward pass (no gradient) for the split-MNIST target
// (MLP 784-400-400-10): generated parameters per second.

#include <benchmark/benchmark.h>
#include <torch/torch.h>

#include "hnet/generators/chunked_generator.h"
#include "hnet/generators/full_generator.h"
#include "hnet/generators/layerwise_generator.h"
#include "hnet/targets/mlp.h"

namespace {

template <typename Generator>
void generator_forward(benchmark::State& state) {
  torch::set_num_threads(static_cast<int>(state.range(0)));
  torch::manual_seed(0);
  hnet::Mlp target(hnet::MlpOptions({784, 400, 400, 10}));
  Generator gen(target->spec(), hnet::GeneratorOptions(32).hidden({100, 100}).chunk_size(750));
  torch::NoGradGuard no_grad;
  auto cond = torch::randn({1, 32});
  for (int i = 0; i < 3; ++i) benchmark::DoNotOptimize(gen->forward(cond));
  for (auto _ : state) benchmark::DoNotOptimize(gen->forward(cond));
  state.counters["params/s"] = benchmark::Counter(
      static_cast<double>(target->spec()->numel()) * state.iterations(),
      benchmark::Counter::kIsRate);
}

}  // namespace

BENCHMARK_TEMPLATE(generator_forward, hnet::FullGenerator)->Arg(1)->Arg(2)->UseRealTime();
BENCHMARK_TEMPLATE(generator_forward, hnet::ChunkedGenerator)->Arg(1)->Arg(2)->UseRealTime();
BENCHMARK_TEMPLATE(generator_forward, hnet::LayerwiseGenerator)->Arg(1)->Arg(2)->UseRealTime();
BENCHMARK_MAIN();
