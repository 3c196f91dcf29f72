#include "hnet/learn/continual.h"

#include <map>

#include "hnet/generators/chunked_generator.h"
#include "support/test_support.h"

namespace hnet {
namespace {

using test::blobs;

ContinualLearner make_learner(ContinualMethod method, double beta = 0.05) {
  Mlp mlp(MlpOptions({6, 8, 2}));
  auto gen = ChunkedGenerator(mlp->spec(), GeneratorOptions(4).hidden({16}).chunk_size(20)).ptr();
  return ContinualLearner(
      mlp, gen, 3, 4,
      ContinualOptions().method(method).steps(60).batch_size(32).lr(1e-2).beta(beta).interval_eps(
          0.2));
}

TEST(ContinualRegularizer, IsZeroOnTheFirstTaskAndRightAfterTheSnapshot) {
  test::seed_torch();
  auto learner = make_learner(ContinualMethod::kHypercl);
  std::vector<double> regs;
  learner.train_task(0, blobs(0, 256), [&](const StepReport& r) { regs.push_back(r.reg); });
  EXPECT_EQ(regs.size(), 60u);
  for (double r : regs) EXPECT_EQ(r, 0.0);
  learner.take_snapshot(1);
  EXPECT_EQ(learner.regularizer(1, torch::arange(1)).item<double>(), 0.0);
}

TEST(ContinualRegularizer, GradientReachesOnlyTheGenerator) {
  test::seed_torch();
  Mlp mlp(MlpOptions({6, 8, 2}));
  auto gen = ChunkedGenerator(mlp->spec(), GeneratorOptions(4).hidden({16}).chunk_size(20));
  ContinualLearner learner(mlp, gen.ptr(), 3, 4, ContinualOptions().beta(0.5));
  learner.take_snapshot(2);
  {
    torch::NoGradGuard no_grad;
    gen->head->weight.add_(0.1);  // the generator moves away from its snapshot
  }
  auto reg = learner.regularizer(2, torch::arange(2));
  EXPECT_GT(reg.item<double>(), 0);
  reg.backward();
  for (const auto& p : gen->named_parameters()) {
    ASSERT_TRUE(p.value().grad().defined()) << p.key();
  }
  EXPECT_GT(gen->head->weight.grad().abs().sum().item<double>(), 0);
  // Earlier tasks' embeddings are held fixed: no gradient reaches them.
  const auto& grad = learner.embeddings().grad();
  EXPECT_TRUE(!grad.defined() || grad.abs().sum().item<double>() == 0);
}

TEST(ContinualRegularizer, KeepsEarlierTasksWhileFinetuneForgets) {
  std::map<ContinualMethod, double> first_task_drop;
  for (auto method : {ContinualMethod::kHypercl, ContinualMethod::kFinetune}) {
    test::seed_torch();
    auto learner = make_learner(method, 0.5);
    auto task0 = blobs(0, 512), test0 = blobs(0, 512);
    learner.train_task(0, task0, {});
    const double before = learner.accuracy(learner.task_weights(0), test0);
    auto flat_before = learner.task_weights(0);
    learner.train_task(1, blobs(1, 512), {});
    learner.train_task(2, blobs(2, 512), {});
    first_task_drop[method] = (learner.task_weights(0) - flat_before).norm().item<double>();
    EXPECT_GT(before, 0.9);
  }
  // The regulariser keeps task 1's generated weights much closer to where they were.
  EXPECT_LT(
      first_task_drop[ContinualMethod::kHypercl],
      0.5 * first_task_drop[ContinualMethod::kFinetune]);
}

TEST(ContinualInterval, EveryTaskIntervalHoldsTheUniversalEmbedding) {
  test::seed_torch();
  auto learner = make_learner(ContinualMethod::kInterval);
  for (int64_t t = 0; t < 3; ++t) learner.train_task(t, blobs(t, 256), {});
  // Radius per coordinate: eps / dim = 0.2 / 4; centres within half of it.
  const double r = 0.2 / 4;
  auto centres = learner.conditions(learner.embeddings().detach());
  EXPECT_LE(centres.abs().max().item<double>(), r / 2 + 1e-7);
  // The embeddings were trained apart: the intervals are not one interval.
  EXPECT_GT((centres[0] - centres[2]).abs().max().item<double>(), 1e-4);
  auto universal = (std::get<0>(centres.max(0)) + std::get<0>(centres.min(0))) * 0.5;
  EXPECT_LE((centres - universal).abs().max().item<double>(), r + 1e-7);
  const auto networks = learner.universal_weights(2);
  ASSERT_EQ(networks.size(), 3u);
  for (const auto& w : networks) EXPECT_EQ(w.numel(), learner.target()->spec()->numel());
}

// Two tasks on the same inputs with opposite labels: one network can serve
// both only through separate heads. The interval method's generator is
// nearly the same network for every task (its intervals share a point), and
// the regulariser pins only what task 1 reads, so head 2 is free to learn.
TEST(ContinualHeads, PerTaskHeadsLetOneNetworkServeConflictingTasks) {
  auto conflicting = [](int64_t task, int64_t n) {
    auto x = torch::randn({n, 6});
    auto y = (x.select(1, 0) > 0).to(torch::kLong);
    return data::TaskData{x, task == 0 ? y : 1 - y, {}};
  };
  std::map<int64_t, std::vector<double>> acc;
  for (int64_t heads : {1, 2}) {
    test::seed_torch();
    Mlp mlp(MlpOptions({6, 8, 2}));
    auto gen = ChunkedGenerator(
                   TaskHeads(mlp->spec(), heads).generated_spec(),
                   GeneratorOptions(4).hidden({16}).chunk_size(20))
                   .ptr();
    ContinualLearner learner(
        mlp, gen, 2, 4,
        ContinualOptions()
            .method(ContinualMethod::kInterval)
            .steps(150)
            .batch_size(32)
            .lr(1e-2)
            .beta(1.0)
            .interval_eps(0.01)
            .heads(heads));
    for (int64_t t = 0; t < 2; ++t) learner.train_task(t, conflicting(t, 256), {});
    for (int64_t t = 0; t < 2; ++t) {
      acc[heads].push_back(learner.accuracy(learner.task_weights(t), conflicting(t, 512)));
    }
  }
  EXPECT_GT(acc[2][0], 0.9);
  EXPECT_GT(acc[2][1], 0.9);
  // A shared head cannot give both label sets.
  EXPECT_LT(acc[1][0] + acc[1][1], 1.5);
}

TEST(ContinualHeads, RejectsAHeadCountOtherThanOneOrTheTasks) {
  Mlp mlp(MlpOptions({6, 8, 2}));
  auto gen =
      ChunkedGenerator(TaskHeads(mlp->spec(), 2).generated_spec(), GeneratorOptions(4)).ptr();
  EXPECT_THROW_WITH(
      ContinualLearner(mlp, gen, 3, 4, ContinualOptions().heads(2)),
      "continual: heads must be 1 (shared) or the number of tasks (3), got 2");
  EXPECT_THROW_WITH(
      ContinualLearner(mlp, gen, 2, 4, ContinualOptions().heads(1)),
      "continual: the generator's spec does not match the target's with 1 head(s)");
}

TEST(ContinualSchedule, CosineDecaysFromTheBaseRateTowardsZero) {
  auto cosine = ContinualOptions().lr(1e-3).steps(100).cosine_lr(true);
  EXPECT_DOUBLE_EQ(scheduled_lr(cosine, 1), 1e-3);
  EXPECT_NEAR(scheduled_lr(cosine, 51), 0.5e-3, 1e-12);
  EXPECT_GT(scheduled_lr(cosine, 100), 0);
  EXPECT_LT(scheduled_lr(cosine, 100), 1e-6);
  EXPECT_DOUBLE_EQ(scheduled_lr(ContinualOptions().lr(1e-3).steps(100), 100), 1e-3);
}

TEST(Continual, SeparateNetworksAreIndependent) {
  test::seed_torch();
  Mlp mlp(MlpOptions({6, 8, 2}));
  ContinualLearner learner(
      mlp, nullptr, 2, 4, ContinualOptions().method(ContinualMethod::kSeparate).steps(40).lr(1e-2));
  learner.train_task(0, blobs(0, 256), {});
  auto w0 = learner.task_weights(0).clone();
  learner.train_task(1, blobs(1, 256), {});
  EXPECT_TRUE(torch::equal(w0, learner.task_weights(0)));
  EXPECT_EQ(learner.generator_params(), 0);
}

TEST(Continual, RejectsBadOptions) {
  Mlp mlp(MlpOptions({6, 2}));
  EXPECT_THROW_WITH(
      ContinualLearner(mlp, nullptr, 2, 4, ContinualOptions()), "method hypercl needs a generator");
  EXPECT_THROW_WITH(
      ContinualLearner(mlp, nullptr, 2, 4, ContinualOptions().lr(0)), "lr must be > 0, got 0");
  EXPECT_THROW_WITH(
      ContinualLearner(mlp, nullptr, 2, 4, ContinualOptions().interval_kappa(2)),
      "kappa must be in [0, 1], got 2");
  EXPECT_THROW_WITH(
      parse_continual_method("ewc"),
      "must be one of hypercl, interval, finetune, separate; got 'ewc'");
}

TEST(ContinualNonFinite, DataAreCheckedOnceBeforeTheFirstStep) {
  test::seed_torch();
  auto learner = make_learner(ContinualMethod::kHypercl);
  learner.train_task(0, blobs(0, 64), {});
  auto data = blobs(1, 64);
  data.images[5][3] = NAN;
  data.images[9][0] = -INFINITY;
  int steps = 0;
  EXPECT_THROW_WITH(
      learner.train_task(1, data, [&](const StepReport&) { ++steps; }),
      "continual: task 2 before step 1: the training images hold 1 NaN and 1 infinite values, "
      "the first at [5, 3]");
  EXPECT_EQ(steps, 0);
}

TEST(ContinualNonFinite, NanLossStopsNamingTaskAndStep) {
  test::seed_torch();
  auto learner = make_learner(ContinualMethod::kFinetune);
  learner.train_task(0, blobs(0, 64), {});
  // Generated weights go NaN from the first step of task 2 on (state()
  // tensors share memory with the learner's).
  for (auto& [name, t] : learner.state()) {
    if (name.rfind("generator.", 0) == 0 && t.dim() == 2) {
      torch::NoGradGuard no_grad;
      t.fill_(NAN);
      break;
    }
  }
  EXPECT_THROW_WITH(
      learner.train_task(1, blobs(1, 64), {}), "continual: task 2 step 1: the loss is nan");
}

TEST(ContinualNonFinite, InfiniteGradientStopsNamingTheTensor) {
  test::seed_torch();
  Mlp mlp(MlpOptions({6, 8, 2}));
  auto gen = ChunkedGenerator(mlp->spec(), GeneratorOptions(4).hidden({16}).chunk_size(20));
  ContinualLearner learner(mlp, gen.ptr(), 2, 4, ContinualOptions().steps(10).lr(1e-2));
  // The loss stays finite; only the gradient reaching the head goes bad, at step 4.
  int calls = 0;
  gen->head->weight.register_hook(
      [&](torch::Tensor g) { return ++calls == 4 ? g.clone().fill_(INFINITY) : g; });
  std::vector<int64_t> steps;
  EXPECT_THROW_WITH(
      learner.train_task(0, blobs(0, 64), [&](const StepReport& r) { steps.push_back(r.step); }),
      "continual: task 1 step 4: the gradient of 'generator.head.weight'");
  EXPECT_EQ(steps, (std::vector<int64_t>{1, 2, 3}));
}

TEST(ContinualNonFinite, CheckpointWithNonFiniteOrMistypedTensorsIsRejected) {
  test::seed_torch();
  auto learner = make_learner(ContinualMethod::kHypercl);
  auto state = learner.state();
  io::TensorFile file{state, {}};
  file.tensors[0].second = file.tensors[0].second.clone();
  file.tensors[0].second.view(-1)[2] = NAN;
  EXPECT_THROW_WITH(
      learner.load_state(file), "checkpoint: tensor 'embeddings' holds 1 NaN and 0 infinite");
  file.tensors[0].second = state[0].second.to(torch::kFloat64);
  EXPECT_THROW_WITH(
      learner.load_state(file), "checkpoint: tensor 'embeddings' has dtype Double but the");
}

// The gradients Adam sees never exceed the threshold, and the first step's,
// naturally far larger, is cut down to exactly it.
TEST(Continual, GradClipBoundsTheGradientNorm) {
  for (double clip : {0.0, 1e-3}) {
    SCOPED_TRACE(clip);
    test::seed_torch();
    Mlp mlp(MlpOptions({6, 8, 2}));
    auto gen = ChunkedGenerator(mlp->spec(), GeneratorOptions(4).hidden({16}).chunk_size(20));
    ContinualLearner learner(
        mlp, gen.ptr(), 2, 4, ContinualOptions().steps(20).lr(1e-2).grad_clip(clip));
    std::vector<double> norms;
    learner.train_task(0, blobs(0, 128), [&](const StepReport&) {
      double sq = 0;
      for (const auto& p : gen->parameters()) sq += p.grad().pow(2).sum().item<double>();
      sq += learner.embeddings().grad().pow(2).sum().item<double>();
      norms.push_back(std::sqrt(sq));
    });
    ASSERT_EQ(norms.size(), 20u);
    if (clip == 0) {
      EXPECT_GT(norms[0], 10 * 1e-3);
      continue;
    }
    EXPECT_NEAR(norms[0], clip, 1e-3 * clip);
    for (double n : norms) EXPECT_LE(n, clip * (1 + 1e-3));
  }
}

}  // namespace
}  // namespace hnet
