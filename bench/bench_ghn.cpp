// Graph hypernetworks (GHN-2: Knyazev et al. 2021): the `ghn(model)` call
// that predicts every parameter of a ResNet-20 of doubled widths (about
// 1.1M parameters, graph tracing included), and one training step of the
// shipped config (meta-batch 8 sampled architectures, 64 images). There is
// no PyTorch reference of the same GHN yet (issue 17), so these are
// absolute times, not ratios.

#include "hnet/ghn/architecture.h"
#include "hnet/ghn/ghn_training.h"
#include "support.h"

namespace {

using hnet::ArchLayer;

// ResNet-20 (He et al. 2016) for 28x28x1 at widths 32/64/128.
hnet::Architecture resnet20_doubled() {
  hnet::Architecture arch;
  int counter = 0;
  auto add = [&](ArchLayer l, std::vector<std::string> in = {}) {
    l.name = "l" + std::to_string(counter++);
    l.inputs = std::move(in);
    arch.layers.push_back(l);
    return l.name;
  };
  auto op = [](const std::string& name) {
    ArchLayer l;
    l.op = name;
    return l;
  };
  auto conv_bn = [&](int64_t width, int64_t kernel, int64_t stride, std::vector<std::string> in) {
    ArchLayer c = op("conv");
    c.out = width;
    c.kernel = kernel;
    c.stride = stride;
    c.bias = false;
    add(c, std::move(in));
    return add(op("batch_norm"));
  };
  conv_bn(32, 3, 1, {});
  std::string h = add(op("relu"));
  int64_t channels = 32;
  for (int64_t width : {32, 64, 128}) {
    for (int block = 0; block < 3; ++block) {
      const int64_t stride = block == 0 && width != channels ? 2 : 1;
      conv_bn(width, 3, stride, {h});
      add(op("relu"));
      const std::string branch = conv_bn(width, 3, 1, {});
      const std::string shortcut = stride == 1 ? h : conv_bn(width, 1, stride, {h});
      add(op("sum"), {branch, shortcut});
      h = add(op("relu"));
      channels = width;
    }
  }
  add(op("global_avg_pool"));
  ArchLayer fc = op("linear");
  fc.out = arch.classes;
  add(fc);
  return arch;
}

void predict(benchmark::State& state, const std::string& decoder) {
  hnet::bench::set_threads(state.range(0));
  torch::manual_seed(0);
  hnet::Ghn ghn(hnet::GhnOptions().decoder(decoder));
  ghn->eval();
  const auto arch = resnet20_doubled();
  hnet::ArchNet net(arch);
  const auto example = torch::zeros({1, 1, 28, 28});
  state.counters["params"] = static_cast<double>(hnet::architecture_params(arch));
  for (auto _ : state) hnet::predict_parameters(*ghn, net, example);
}

void train_step(benchmark::State& state) {
  hnet::bench::set_threads(state.range(0));
  torch::manual_seed(0);
  hnet::data::Dataset images{torch::rand({2000, 1, 28, 28}), torch::randint(10, {2000})};
  hnet::Ghn ghn{hnet::GhnOptions()};
  hnet::GhnTrainer trainer(*ghn, hnet::ArchSpaceOptions(), {}, images, hnet::GhnTrainingOptions());
  int64_t k = 0;
  for (int i = 0; i < 3; ++i) trainer.step(++k);  // warm-up
  for (auto _ : state) benchmark::DoNotOptimize(trainer.step(++k));
  state.counters["archs_per_s"] =
      benchmark::Counter(8.0, benchmark::Counter::kIsIterationInvariantRate);
}

}  // namespace

BENCHMARK_CAPTURE(predict, tiled_resnet20x2, "tiled")
    ->Apply(hnet::bench::thread_args)
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(predict, lowrank_resnet20x2, "lowrank")
    ->Apply(hnet::bench::thread_args)
    ->Unit(benchmark::kMillisecond);
BENCHMARK(train_step)->Apply(hnet::bench::thread_args)->Unit(benchmark::kMillisecond);
BENCHMARK_MAIN();
