// The machine's sgemm rate at a given thread count: a 1024x1024x1024 float
// product with oneDNN's dnnl_sgemm and with torch::mm (LibTorch's BLAS).
// bench/run_bench.py takes the better of the two as the limit the other
// cases are measured against.

#include <oneapi/dnnl/dnnl.h>

#include "support.h"

namespace {

constexpr int64_t kN = 1024;

void sgemm(benchmark::State& state, bool dnnl) {
  hnet::bench::set_threads(state.range(0));
  torch::manual_seed(0);
  auto a = torch::randn({kN, kN}), b = torch::randn({kN, kN}), c = torch::empty({kN, kN});
  auto run = [&] {
    if (!dnnl) {
      torch::mm_out(c, a, b);
      return;
    }
    const auto status = dnnl_sgemm(
        'N', 'N', kN, kN, kN, 1.0f, a.data_ptr<float>(), kN, b.data_ptr<float>(), kN, 0.0f,
        c.data_ptr<float>(), kN);
    if (status != dnnl_success) state.SkipWithError("dnnl_sgemm failed");
  };
  for (int i = 0; i < 3; ++i) run();
  for (auto _ : state) {
    run();
    benchmark::ClobberMemory();
  }
  hnet::bench::report(state, 1, 2.0 * kN * kN * kN);
}

}  // namespace

BENCHMARK_CAPTURE(sgemm, dnnl, true)->Apply(hnet::bench::thread_args);
BENCHMARK_CAPTURE(sgemm, torch_mm, false)->Apply(hnet::bench::thread_args);
BENCHMARK_MAIN();
