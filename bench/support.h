#pragma once
/// \file
/// Shared set-up of the benchmarks: thread counts, the benchmarked shapes
/// (the split / permuted defaults of configs/ and a ~3M-weight target),
/// analytic FLOP counts, generator factories and the counters every bench
/// reports. bench/reference/cases.py mirrors the shapes and FLOP counts.

#include <benchmark/benchmark.h>
#include <dlfcn.h>
#include <torch/torch.h>

#include <cstdlib>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "hnet/data/task_sequence.h"
#include "hnet/generators/registry.h"
#include "hnet/kernels/allocator.h"
#include "hnet/targets/mlp.h"

namespace hnet::bench {

/// As the hnet CLI does at start-up (see kernels/allocator.h); respects a
/// malloc configuration the user set.
inline const bool kAllocatorTuned = kernels::tune_allocator();

/// Thread counts to run: HNET_BENCH_THREADS="1,2" (default both).
inline std::vector<int64_t> thread_counts() {
  std::vector<int64_t> out;
  const char* env = std::getenv("HNET_BENCH_THREADS");
  std::stringstream in(env && *env ? env : "1,2");
  for (std::string item; std::getline(in, item, ',');) {
    if (!item.empty()) out.push_back(std::stoll(item));
  }
  return out;
}

/// Registers one run per thread count, named ".../threads:N".
inline void thread_args(benchmark::internal::Benchmark* b) {
  b->ArgName("threads");
  for (int64_t t : thread_counts()) b->Arg(t);
  b->UseRealTime();
}

/// Sets LibTorch's (and so oneDNN's OpenMP) intra-op threads. Debian's
/// OpenBLAS keeps its own pool (2 threads here whatever LibTorch is told), so
/// unless the user set OPENBLAS_NUM_THREADS it is aligned through
/// openblas_set_num_threads, as bench/reference does, so "1 thread" means one
/// core on both sides of a comparison.
inline void set_threads(int64_t threads) {
  torch::set_num_threads(static_cast<int>(threads));
  if (std::getenv("OPENBLAS_NUM_THREADS") != nullptr) return;
  using SetThreads = void (*)(int);
  if (auto fn = reinterpret_cast<SetThreads>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads"))) {
    fn(static_cast<int>(threads));
  }
}

/// A benchmarked configuration: target MLP and chunked generator settings.
struct Shape {
  std::vector<int64_t> sizes;   ///< target MLP widths
  std::vector<int64_t> hidden;  ///< generator trunk
  int64_t chunk_size;
  int64_t embedding_dim;  ///< chunk / layer embedding width
  int64_t condition_dim;  ///< task embedding width
  int64_t batch;          ///< training mini-batch
};

/// configs/split_fmnist.yaml: 2 outputs per task.
inline const Shape kSplit{{784, 400, 400, 2}, {100, 100}, 750, 32, 32, 64};
/// configs/permuted_fmnist.yaml (generator 200-200, chunks of 4000, chunk
/// embeddings of 64).
inline const Shape kPermuted{{784, 1000, 1000, 10}, {200, 200}, 4000, 64, 32, 128};
/// A target of 2,990,710 weights, generator 100-100 with chunks of 2000 (no
/// shipped config: the large-generator case of the performance targets).
inline const Shape kLarge{{784, 1500, 1200, 10}, {100, 100}, 2000, 32, 32, 128};

/// The benchmarked generator kinds (the FLOP counts below know these).
enum class Kind { kFull, kChunked, kLayerwise };

/// The registry's name of `kind` (see hnet/generators/registry.h).
inline const char* kind_name(Kind kind) {
  switch (kind) {
    case Kind::kFull:
      return "full";
    case Kind::kLayerwise:
      return "layerwise";
    case Kind::kChunked:
      break;
  }
  return "chunked";
}

inline GeneratorOptions generator_options(const Shape& s) {
  return GeneratorOptions(s.condition_dim)
      .hidden(s.hidden)
      .chunk_size(s.chunk_size)
      .embedding_dim(s.embedding_dim);
}

inline std::shared_ptr<WeightGenerator> make_generator(Kind kind, const Shape& s) {
  return hnet::make_generator(
      kind_name(kind), Mlp(MlpOptions(s.sizes))->spec(), generator_options(s));
}

/// Generators are built (and calibrated) once per process: Google Benchmark
/// calls a bench function several times while it sizes the iteration count.
inline std::shared_ptr<WeightGenerator> cached_generator(Kind kind, const Shape& s) {
  static std::map<std::pair<int, const Shape*>, std::shared_ptr<WeightGenerator>> cache;
  auto& g = cache[{static_cast<int>(kind), &s}];
  if (!g) {
    torch::manual_seed(0);
    g = make_generator(kind, s);
  }
  return g;
}

// ---- Analytic FLOP counts: 2*m*n*k per product, elementwise work ignored.

/// Weights of the target MLP.
inline int64_t mlp_numel(const std::vector<int64_t>& sizes) {
  int64_t n = 0;
  for (size_t i = 0; i + 1 < sizes.size(); ++i) n += sizes[i] * sizes[i + 1] + sizes[i + 1];
  return n;
}

/// One forward pass of the MLP on `rows` inputs.
inline double mlp_flops(const std::vector<int64_t>& sizes, int64_t rows) {
  double f = 0;
  for (size_t i = 0; i + 1 < sizes.size(); ++i) f += 2.0 * rows * sizes[i] * sizes[i + 1];
  return f;
}

inline int64_t chunk_count(const Shape& s) {
  return (mlp_numel(s.sizes) + s.chunk_size - 1) / s.chunk_size;
}

/// One generator forward for `b` conditions (the trunk's first layer is
/// split into a condition and an embedding part, as TrunkImpl::forward_pairs).
inline double generator_flops(Kind kind, const Shape& s, int64_t b) {
  const int64_t n = mlp_numel(s.sizes);
  const auto& h = s.hidden;
  double f = 0;
  if (kind == Kind::kFull) {
    int64_t in = s.condition_dim;
    for (int64_t w : h) {
      f += 2.0 * b * in * w;
      in = w;
    }
    return f + 2.0 * b * in * n;
  }
  const int64_t rows =
      kind == Kind::kChunked ? chunk_count(s) : static_cast<int64_t>(2 * (s.sizes.size() - 1));
  f += 2.0 * b * s.condition_dim * h[0] + 2.0 * rows * s.embedding_dim * h[0];
  for (size_t i = 1; i < h.size(); ++i) f += 2.0 * b * rows * h[i - 1] * h[i];
  const double per_row_out = kind == Kind::kChunked ? s.chunk_size : 0.0;
  return f + (kind == Kind::kChunked ? 2.0 * b * rows * h.back() * per_row_out
                                     : 2.0 * b * h.back() * n);
}

/// One continual-learning step: generator for `conds` conditions, target on
/// the mini-batch; backward counted as twice the forward.
inline double training_step_flops(const Shape& s, int64_t conds) {
  return 3.0 * (generator_flops(Kind::kChunked, s, conds) + mlp_flops(s.sizes, s.batch));
}

/// Counters read by bench/run_bench.py: "flop" per iteration, and the rates
/// items/s and GFLOP/s (over real or manual time).
inline void report(benchmark::State& state, double items_per_iter, double flops_per_iter) {
  const auto iters = static_cast<double>(state.iterations());
  state.counters["items/s"] =
      benchmark::Counter(items_per_iter * iters, benchmark::Counter::kIsRate);
  if (flops_per_iter > 0) {
    state.counters["flop"] = flops_per_iter;
    state.counters["GFLOP/s"] =
        benchmark::Counter(flops_per_iter * iters * 1e-9, benchmark::Counter::kIsRate);
  }
}

/// Synthetic task data of the right shape (timings do not depend on values):
/// `rows` random images, labels in [0, classes), optionally permuted.
inline data::TaskData synthetic_task(int64_t rows, int64_t classes, bool permuted) {
  data::TaskData d;
  d.images = torch::rand({rows, 784});
  d.labels = torch::randint(classes, {rows}, torch::kLong);
  if (permuted) d.permutation = torch::randperm(784, torch::kLong);
  return d;
}

}  // namespace hnet::bench
