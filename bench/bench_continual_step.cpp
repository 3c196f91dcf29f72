// One continual-learning training step at task 5 (regulariser over the 4
// previous tasks): mini-batch, generator forward, target forward,
// cross-entropy, output regulariser, backward, Adam step.
//
// - learner: hnet::ContinualLearner as `hnet train` runs it (the current and
//   the 4 regularised tasks in one batched generator call); time per step,
//   measured between steps so the snapshot and optimiser set-up are excluded.
// - batched / loop: the same step written out here with the library's
//   pieces: the current task's generator call, then the regulariser in one
//   generator call for the 4 earlier tasks or one call per task; their ratio
//   is what batching the regulariser buys.

#include <chrono>

#include "hnet/learn/continual.h"
#include "hnet/learn/methods/hypercl.h"
#include "support.h"

namespace {

using hnet::bench::Shape;
constexpr int64_t kTask = 4;  // 0-based: 4 previous tasks
constexpr double kBeta = 0.01;
constexpr double kLr = 3e-4;

int64_t classes(const Shape& s) {
  return s.sizes.back();
}

void manual_args(benchmark::internal::Benchmark* b) {
  b->ArgName("threads");
  for (int64_t t : hnet::bench::thread_counts()) b->Arg(t);
  b->UseManualTime();
}

void cl_step_learner(benchmark::State& state, const Shape* s) {
  hnet::bench::set_threads(state.range(0));
  constexpr int64_t kSteps = 6;
  auto gen = hnet::bench::cached_generator(hnet::bench::Kind::kChunked, *s);
  torch::manual_seed(0);
  hnet::Mlp target(hnet::MlpOptions(s->sizes));
  auto method = std::make_shared<hnet::HyperclMethod>(
      gen, hnet::TaskEmbedding(kTask + 1, s->condition_dim), hnet::TaskHeads(target->spec(), 1),
      hnet::HyperclOptions().beta(kBeta));
  hnet::ContinualLearner learner(
      target.ptr(), method, kTask + 1,
      hnet::ContinualOptions().steps(kSteps).batch_size(s->batch).lr(kLr));
  const auto data = hnet::bench::synthetic_task(2048, classes(*s), s == &hnet::bench::kPermuted);
  learner.train_task(kTask, data, {});  // warm-up
  using clock = std::chrono::steady_clock;
  for (auto _ : state) {
    std::vector<clock::time_point> marks;
    marks.reserve(kSteps);
    learner.train_task(
        kTask, data, [&](const hnet::StepReport&) { marks.push_back(clock::now()); });
    state.SetIterationTime(
        std::chrono::duration<double>(marks.back() - marks.front()).count() / (kSteps - 1));
  }
  hnet::bench::report(state, s->batch, hnet::bench::training_step_flops(*s, kTask + 1));
}

// The hypercl step of ContinualLearner::train_task (HyperclMethod), with the regularised
// tasks' generator outputs computed in the batched call or one per task.
struct ManualStep {
  ManualStep(const Shape& s, bool batched)
      : batched(batched),
        target(hnet::MlpOptions(s.sizes)),
        gen(hnet::bench::cached_generator(hnet::bench::Kind::kChunked, s)),
        data(hnet::bench::synthetic_task(2048, classes(s), &s == &hnet::bench::kPermuted)),
        embeddings(torch::randn({kTask + 1, s.condition_dim}).requires_grad_()),
        order(torch::randperm(2048, torch::kLong)),
        batch(s.batch) {
    {
      torch::NoGradGuard no_grad;
      snapshot = gen->forward(embeddings.narrow(0, 0, kTask)).clone();
    }
    params = gen->as_module().parameters();
    params.push_back(embeddings);
    adam = std::make_unique<torch::optim::Adam>(params, torch::optim::AdamOptions(kLr));
  }

  void step() {
    namespace F = torch::nn::functional;
    if (cursor + batch > order.size(0)) cursor = 0;
    auto idx = order.narrow(0, cursor, batch);
    cursor += batch;
    auto x = data.inputs(idx);
    auto y = data.labels.index_select(0, idx);
    auto current = gen->forward(embeddings.narrow(0, kTask, 1)).squeeze(0);
    torch::Tensor reg;
    if (batched) {
      reg = gen->squared_distance(prev(), snapshot);
    } else {
      auto p = prev();
      for (int64_t j = 0; j < kTask; ++j) {
        auto d = gen->squared_distance(p.narrow(0, j, 1), snapshot.narrow(0, j, 1));
        reg = reg.defined() ? reg + d : d;
      }
    }
    reg = reg * (kBeta / kTask);
    auto loss = F::cross_entropy(target->forward(x, hnet::Weights(target->spec(), current)), y);
    benchmark::DoNotOptimize(loss.item<double>());
    adam->zero_grad();
    (loss + reg).backward();
    for (const auto& p : params) {
      TORCH_CHECK(!p.grad().defined() || torch::isfinite(p.grad()).all().item<bool>());
    }
    adam->step();
    benchmark::DoNotOptimize(reg.item<double>());
  }

  torch::Tensor prev() const {
    return embeddings.narrow(0, 0, kTask).detach();
  }

  bool batched;
  hnet::Mlp target;
  std::shared_ptr<hnet::WeightGenerator> gen;
  hnet::data::TaskData data;
  torch::Tensor embeddings, order, snapshot;
  std::vector<torch::Tensor> params;
  std::unique_ptr<torch::optim::Adam> adam;
  int64_t batch, cursor = 0;
};

void cl_step(benchmark::State& state, const Shape* s, bool batched) {
  hnet::bench::set_threads(state.range(0));
  // Built once per process (Google Benchmark calls this while sizing runs).
  static std::map<std::pair<const Shape*, bool>, std::unique_ptr<ManualStep>> cache;
  auto& m = cache[{s, batched}];
  if (!m) {
    torch::manual_seed(0);
    m = std::make_unique<ManualStep>(*s, batched);
  }
  for (int i = 0; i < 2; ++i) m->step();
  for (auto _ : state) m->step();
  hnet::bench::report(state, s->batch, hnet::bench::training_step_flops(*s, kTask + 1));
}

}  // namespace

BENCHMARK_CAPTURE(cl_step_learner, split_learner, &hnet::bench::kSplit)->Apply(manual_args);
BENCHMARK_CAPTURE(cl_step, split_batched, &hnet::bench::kSplit, true)
    ->Apply(hnet::bench::thread_args);
BENCHMARK_CAPTURE(cl_step, split_loop, &hnet::bench::kSplit, false)
    ->Apply(hnet::bench::thread_args);
BENCHMARK_CAPTURE(cl_step_learner, permuted_learner, &hnet::bench::kPermuted)->Apply(manual_args);
BENCHMARK_CAPTURE(cl_step, permuted_batched, &hnet::bench::kPermuted, true)
    ->Apply(hnet::bench::thread_args);
BENCHMARK_CAPTURE(cl_step, permuted_loop, &hnet::bench::kPermuted, false)
    ->Apply(hnet::bench::thread_args);
BENCHMARK_MAIN();
