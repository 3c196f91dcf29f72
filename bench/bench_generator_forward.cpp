// Generator forward pass (no gradient) for one condition: full, chunked and
// layer-wise generators at the split and permuted defaults and for a
// ~3M-weight target. Reports generated weights per second and GFLOP/s.

#include "support.h"

namespace {

using hnet::bench::Kind;
using hnet::bench::Shape;

void gen_forward(benchmark::State& state, Kind kind, const Shape* shape) {
  hnet::bench::set_threads(state.range(0));
  auto gen = hnet::bench::cached_generator(kind, *shape);
  torch::NoGradGuard no_grad;
  torch::manual_seed(1);
  auto cond = torch::randn({1, shape->condition_dim});
  for (int i = 0; i < 3; ++i) benchmark::DoNotOptimize(gen->forward(cond));
  for (auto _ : state) benchmark::DoNotOptimize(gen->forward(cond));
  hnet::bench::report(
      state, static_cast<double>(gen->spec()->numel()),
      hnet::bench::generator_flops(kind, *shape, 1));
}

}  // namespace

BENCHMARK_CAPTURE(gen_forward, full_split, Kind::kFull, &hnet::bench::kSplit)
    ->Apply(hnet::bench::thread_args);
BENCHMARK_CAPTURE(gen_forward, chunked_split, Kind::kChunked, &hnet::bench::kSplit)
    ->Apply(hnet::bench::thread_args);
BENCHMARK_CAPTURE(gen_forward, layerwise_split, Kind::kLayerwise, &hnet::bench::kSplit)
    ->Apply(hnet::bench::thread_args);
BENCHMARK_CAPTURE(gen_forward, full_permuted, Kind::kFull, &hnet::bench::kPermuted)
    ->Apply(hnet::bench::thread_args);
BENCHMARK_CAPTURE(gen_forward, chunked_permuted, Kind::kChunked, &hnet::bench::kPermuted)
    ->Apply(hnet::bench::thread_args);
BENCHMARK_CAPTURE(gen_forward, layerwise_permuted, Kind::kLayerwise, &hnet::bench::kPermuted)
    ->Apply(hnet::bench::thread_args);
BENCHMARK_CAPTURE(gen_forward, full_large, Kind::kFull, &hnet::bench::kLarge)
    ->Apply(hnet::bench::thread_args);
BENCHMARK_CAPTURE(gen_forward, chunked_large, Kind::kChunked, &hnet::bench::kLarge)
    ->Apply(hnet::bench::thread_args);
BENCHMARK_CAPTURE(gen_forward, layerwise_large, Kind::kLayerwise, &hnet::bench::kLarge)
    ->Apply(hnet::bench::thread_args);
BENCHMARK_MAIN();
