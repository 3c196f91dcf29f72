// Inference with generated weights: the generator runs once, then the
// target MLP 784-400-400-10 runs on batches of 1 and 128 inputs, against the
// same MLP as a plain torch::nn::Sequential holding the same fixed weights.

#include "support.h"

namespace {

// The split generator settings for a 10-class target.
const hnet::bench::Shape kInference{{784, 400, 400, 10}, {100, 100}, 750, 32, 32, 0};

struct Models {
  hnet::Mlp target{hnet::MlpOptions(kInference.sizes)};
  torch::Tensor flat;
  torch::nn::Sequential plain;
};

Models& models() {
  static Models m = [] {
    Models out;
    torch::NoGradGuard no_grad;
    auto gen = hnet::bench::make_generator(hnet::bench::Kind::kChunked, kInference);
    out.flat = gen->forward(torch::randn({1, kInference.condition_dim}))[0].clone();
    hnet::Weights w(out.target->spec(), out.flat);
    const auto& sizes = kInference.sizes;
    for (size_t i = 0; i + 1 < sizes.size(); ++i) {
      torch::nn::Linear layer(sizes[i], sizes[i + 1]);
      layer->weight.copy_(w[2 * i]);
      layer->bias.copy_(w[2 * i + 1]);
      out.plain->push_back(layer);
      if (i + 2 < sizes.size()) out.plain->push_back(torch::nn::ReLU());
    }
    return out;
  }();
  return m;
}

void infer(benchmark::State& state, int64_t batch, bool generated) {
  hnet::bench::set_threads(state.range(0));
  auto& m = models();
  torch::NoGradGuard no_grad;
  auto x = torch::rand({batch, kInference.sizes[0]});
  hnet::Weights w(m.target->spec(), m.flat);
  auto run = [&] { return generated ? m.target->forward(x, w) : m.plain->forward(x); };
  for (int i = 0; i < 10; ++i) benchmark::DoNotOptimize(run());
  for (auto _ : state) benchmark::DoNotOptimize(run());
  hnet::bench::report(state, batch, hnet::bench::mlp_flops(kInference.sizes, batch));
}

}  // namespace

BENCHMARK_CAPTURE(infer, hnet_b1, 1, true)->Apply(hnet::bench::thread_args);
BENCHMARK_CAPTURE(infer, torchnn_b1, 1, false)->Apply(hnet::bench::thread_args);
BENCHMARK_CAPTURE(infer, hnet_b128, 128, true)->Apply(hnet::bench::thread_args);
BENCHMARK_CAPTURE(infer, torchnn_b128, 128, false)->Apply(hnet::bench::thread_args);
BENCHMARK_MAIN();
