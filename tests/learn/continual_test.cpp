#include "hnet/learn/continual.h"

#include <map>

#include "hnet/conditions/interval_embedding.h"
#include "hnet/generators/chunked_generator.h"
#include "hnet/learn/methods/finetune.h"
#include "hnet/learn/methods/hypercl.h"
#include "hnet/learn/methods/interval.h"
#include "hnet/learn/methods/separate.h"
#include "hnet/learn/schedule.h"
#include "hnet/targets/conv_net.h"
#include "hnet/targets/mlp.h"
#include "hnet/targets/module_adapter.h"
#include "support/test_support.h"

namespace hnet {
namespace {

using test::blobs;

std::shared_ptr<ChunkedGeneratorImpl> small_generator(
    const std::shared_ptr<const Spec>& spec, double condition_second_moment = 1.0) {
  return ChunkedGenerator(
             spec, GeneratorOptions(4).hidden({16}).chunk_size(20).condition_second_moment(
                       condition_second_moment))
      .ptr();
}

// A learner on a 6-8-2 MLP with 3 tasks, the method given by name.
struct Rig {
  std::shared_ptr<MlpImpl> mlp = Mlp(MlpOptions({6, 8, 2})).ptr();
  std::shared_ptr<ChunkedGeneratorImpl> gen;
  std::shared_ptr<ContinualMethod> method;
  std::unique_ptr<ContinualLearner> learner;

  Rig(const std::string& name, double beta = 0.05,
      ContinualOptions options = ContinualOptions().steps(60).batch_size(32).lr(1e-2),
      int64_t heads = 1, int64_t tasks = 3, double eps = 0.2) {
    TaskHeads h(mlp->spec(), heads);
    if (name == "separate") {
      method = std::make_shared<SeparateMethod>(mlp->spec(), tasks);
    } else if (name == "interval") {
      const auto e = IntervalEmbeddingOptions(tasks, 4).eps(eps);
      gen = small_generator(h.generated_spec(), e.second_moment());
      method = std::make_shared<IntervalMethod>(
          gen, IntervalEmbedding(e), h, IntervalOptions().beta(beta));
    } else {
      gen = small_generator(h.generated_spec());
      TaskEmbedding table(tasks, 4);
      if (name == "finetune") {
        method = std::make_shared<FinetuneMethod>(gen, table, h);
      } else {
        method = std::make_shared<HyperclMethod>(gen, table, h, HyperclOptions().beta(beta));
      }
    }
    learner = std::make_unique<ContinualLearner>(mlp, method, tasks, options);
  }
  HyperclMethod& hypercl() {
    return dynamic_cast<HyperclMethod&>(*method);
  }
};

TEST(ContinualRegularizer, IsZeroOnTheFirstTaskAndRightAfterTheSnapshot) {
  test::seed_torch();
  Rig s("hypercl");
  std::vector<double> regs;
  s.learner->train_task(0, blobs(0, 256), [&](const StepReport& r) { regs.push_back(r.reg); });
  EXPECT_EQ(regs.size(), 60u);
  for (double r : regs) EXPECT_EQ(r, 0.0);
  s.hypercl().take_snapshot(1);
  EXPECT_EQ(s.hypercl().regularizer(1, torch::arange(1)).item<double>(), 0.0);
}

TEST(ContinualRegularizer, GradientReachesOnlyTheGenerator) {
  test::seed_torch();
  Rig s("hypercl", 0.5);
  s.hypercl().take_snapshot(2);
  {
    torch::NoGradGuard no_grad;
    s.gen->head->weight.add_(0.1);  // the generator moves away from its snapshot
  }
  auto reg = s.hypercl().regularizer(2, torch::arange(2));
  EXPECT_GT(reg.item<double>(), 0);
  reg.backward();
  for (const auto& p : s.gen->named_parameters()) {
    ASSERT_TRUE(p.value().grad().defined()) << p.key();
  }
  EXPECT_GT(s.gen->head->weight.grad().abs().sum().item<double>(), 0);
  // Earlier tasks' embeddings are held fixed: no gradient reaches them.
  const auto& grad = s.hypercl().table().grad();
  EXPECT_TRUE(!grad.defined() || grad.abs().sum().item<double>() == 0);
}

TEST(ContinualRegularizer, KeepsEarlierTasksWhileFinetuneForgets) {
  std::map<std::string, double> first_task_drop;
  for (const std::string method : {"hypercl", "finetune"}) {
    test::seed_torch();
    Rig s(method, 0.5);
    EXPECT_EQ(s.method->name(), method);
    auto task0 = blobs(0, 512), test0 = blobs(0, 512);
    s.learner->train_task(0, task0, {});
    const double before = s.learner->task_accuracy(0, test0);
    auto flat_before = s.learner->task_weights(0);
    s.learner->train_task(1, blobs(1, 512), {});
    s.learner->train_task(2, blobs(2, 512), {});
    first_task_drop[method] = (s.learner->task_weights(0) - flat_before).norm().item<double>();
    EXPECT_GT(before, 0.9);
  }
  // The regulariser keeps task 1's generated weights much closer to where they were.
  EXPECT_LT(first_task_drop["hypercl"], 0.5 * first_task_drop["finetune"]);
}

TEST(ContinualInterval, EveryTaskIntervalHoldsTheUniversalEmbedding) {
  test::seed_torch();
  Rig s("interval");
  for (int64_t t = 0; t < 3; ++t) s.learner->train_task(t, blobs(t, 256), {});
  // Radius per coordinate: eps / dim = 0.2 / 4; centres within half of it.
  const double r = 0.2 / 4;
  auto& method = dynamic_cast<IntervalMethod&>(*s.method);
  auto centres = method.conditions(0, 3).detach();
  EXPECT_LE(centres.abs().max().item<double>(), r / 2 + 1e-7);
  // The embeddings were trained apart: the intervals are not one interval.
  EXPECT_GT((centres[0] - centres[2]).abs().max().item<double>(), 1e-4);
  auto universal = (std::get<0>(centres.max(0)) + std::get<0>(centres.min(0))) * 0.5;
  EXPECT_LE((centres - universal).abs().max().item<double>(), r + 1e-7);
  const auto networks = s.method->universal_weights(2);
  ASSERT_TRUE(networks.has_value());
  ASSERT_EQ(networks->size(), 3u);
  for (const auto& w : *networks) EXPECT_EQ(w.numel(), s.mlp->spec()->numel());
  // Methods without one network for all tasks say so.
  EXPECT_FALSE(Rig("hypercl").method->universal_weights(2).has_value());
}

// The encoders report the second moment the generator's initialisation
// assumes: E[c^2] of their conditions at initialisation.
TEST(ContinualConditions, EncodersReportTheSecondMomentOfTheirConditions) {
  test::seed_torch();
  IntervalEmbedding interval(IntervalEmbeddingOptions(20000, 8).eps(0.5));
  const double measured = interval->rows(0, 20000).pow(2).mean().item<double>();
  EXPECT_NEAR(measured / interval->second_moment(), 1.0, 0.02);
  EXPECT_LT(interval->second_moment(), 1e-3);
  TaskEmbedding table(TaskEmbeddingOptions(20000, 8).init_std(0.5));
  EXPECT_NEAR(
      table->rows(0, 20000).pow(2).mean().item<double>() / table->second_moment(), 1.0, 0.02);
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
    Rig s("interval", 1.0, ContinualOptions().steps(150).batch_size(32).lr(1e-2), heads, 2, 0.01);
    for (int64_t t = 0; t < 2; ++t) s.learner->train_task(t, conflicting(t, 256), {});
    for (int64_t t = 0; t < 2; ++t) {
      acc[heads].push_back(s.learner->task_accuracy(t, conflicting(t, 512)));
    }
  }
  EXPECT_GT(acc[2][0], 0.9);
  EXPECT_GT(acc[2][1], 0.9);
  // A shared head cannot give both label sets.
  EXPECT_LT(acc[1][0] + acc[1][1], 1.5);
}

TEST(ContinualHeads, RejectsAGeneratorForAnotherHeadCount) {
  Mlp mlp(MlpOptions({6, 8, 2}));
  auto gen = small_generator(TaskHeads(mlp->spec(), 2).generated_spec());
  EXPECT_THROW_WITH(
      HyperclMethod(gen, TaskEmbedding(2, 4), TaskHeads(mlp->spec(), 1)),
      "continual: the generator's spec does not match the target's with 1 head(s)");
}

TEST(ContinualSchedule, CosineDecaysFromTheBaseRateTowardsZero) {
  EXPECT_DOUBLE_EQ(scheduled_lr(1e-3, 100, true, 1), 1e-3);
  EXPECT_NEAR(scheduled_lr(1e-3, 100, true, 51), 0.5e-3, 1e-12);
  EXPECT_GT(scheduled_lr(1e-3, 100, true, 100), 0);
  EXPECT_LT(scheduled_lr(1e-3, 100, true, 100), 1e-6);
  EXPECT_DOUBLE_EQ(scheduled_lr(1e-3, 100, false, 100), 1e-3);
}

TEST(Continual, SeparateNetworksAreIndependent) {
  test::seed_torch();
  Rig s("separate", 0, ContinualOptions().steps(40).lr(1e-2), 1, 2);
  s.learner->train_task(0, blobs(0, 256), {});
  auto w0 = s.learner->task_weights(0).clone();
  s.learner->train_task(1, blobs(1, 256), {});
  EXPECT_TRUE(torch::equal(w0, s.learner->task_weights(0)));
  EXPECT_EQ(s.method->generator_params(), 0);
  EXPECT_EQ(s.method->stored_networks(), 2);
}

TEST(Continual, RejectsBadOptions) {
  Rig s("hypercl");
  auto mlp = s.mlp;
  auto method = s.method;
  EXPECT_THROW_WITH(
      ContinualLearner(mlp, nullptr, 2, ContinualOptions()), "target and method are required");
  EXPECT_THROW_WITH(
      ContinualLearner(mlp, method, 2, ContinualOptions().lr(0)), "lr must be > 0, got 0");
  EXPECT_THROW_WITH(
      IntervalMethod(
          small_generator(mlp->spec()), IntervalEmbedding(IntervalEmbeddingOptions(2, 4)),
          TaskHeads(mlp->spec(), 1), IntervalOptions().kappa(2)),
      "kappa must be in [0, 1], got 2");
  EXPECT_THROW_WITH(
      HyperclMethod(
          small_generator(mlp->spec()), TaskEmbedding(2, 4), TaskHeads(mlp->spec(), 1),
          HyperclOptions().beta(-1)),
      "beta must be >= 0, got -1");
}

// The learner takes any Target: a convolutional one (inputs reshaped to
// images, running statistics kept per task) and a plain torch module through
// ModuleAdapter both learn two tasks and keep the first.
TEST(ContinualTargets, LearnsWithAConvNetAndWithAnAdaptedModule) {
  auto images = [](int64_t task, int64_t n) {
    auto d = blobs(task, n);
    // 6 features spread over a 16x16 image (constant blocks), so a ConvNet sees them.
    d.images = d.images.repeat_interleave(43, 1).narrow(1, 0, 256).contiguous();
    return d;
  };
  for (const std::string kind : {"convnet", "module"}) {
    SCOPED_TRACE(kind);
    test::seed_torch();
    std::shared_ptr<Target> target;
    std::vector<int64_t> shape;
    if (kind == "convnet") {
      target = ConvNet(ConvNetOptions()
                           .image_size(16)
                           .channels({4, 4})
                           .hidden(8)
                           .classes(2)
                           .norm(Norm::kBatch)
                           .stats_slots(2))
                   .ptr();
      shape = {1, 16, 16};
    } else {
      torch::nn::Sequential net(
          torch::nn::Linear(256, 8), torch::nn::ReLU(), torch::nn::Linear(8, 2));
      target = ModuleAdapter(net).ptr();
    }
    auto gen = small_generator(target->spec());
    auto method = std::make_shared<HyperclMethod>(
        gen, TaskEmbedding(2, 4), TaskHeads(target->spec(), 1), HyperclOptions().beta(0.5));
    ContinualLearner learner(
        target, method, 2,
        ContinualOptions().steps(150).batch_size(32).lr(1e-2).input_shape(shape));
    learner.train_task(0, images(0, 512), {});
    learner.train_task(1, images(1, 512), {});
    EXPECT_GT(learner.task_accuracy(0, images(0, 512)), 0.85);
    EXPECT_GT(learner.task_accuracy(1, images(1, 512)), 0.85);
    // Running statistics are part of the state, one slot per task.
    size_t stats = 0;
    for (const auto& [name, t] : learner.state()) stats += name.rfind("target.", 0) == 0;
    EXPECT_EQ(stats > 0, kind == "convnet");
  }
}

// Hooks see every step at the points they are promised, and may replace the loss.
TEST(ContinualHooks, SeeEveryStepAndMayReplaceTheLoss) {
  struct Recorder : StepHooks {
    std::vector<std::string> events;
    void on_loss(int64_t task, int64_t step, torch::Tensor& loss) override {
      events.push_back("loss " + std::to_string(task) + ":" + std::to_string(step));
      if (step == 3) loss = loss * 0 + 42;
    }
    void on_gradients(int64_t, int64_t, const std::vector<torch::Tensor>& params) override {
      events.push_back("grad " + std::to_string(params.size()));
    }
    void on_step_end(int64_t, int64_t step) override {
      events.push_back("end " + std::to_string(step));
    }
  };
  test::seed_torch();
  Rig s("hypercl", 0.05, ContinualOptions().steps(3).lr(1e-2));
  auto hooks = std::make_shared<Recorder>();
  s.learner->set_hooks(hooks);
  std::vector<double> losses;
  s.learner->train_task(0, blobs(0, 64), [&](const StepReport& r) { losses.push_back(r.loss); });
  const size_t params = s.gen->parameters().size() + 1;  // and the embeddings
  const std::vector<std::string> expected{"loss 1:1", "grad " + std::to_string(params), "end 1",
                                          "loss 1:2", "grad " + std::to_string(params), "end 2",
                                          "loss 1:3", "grad " + std::to_string(params), "end 3"};
  EXPECT_EQ(hooks->events, expected);
  EXPECT_EQ(losses.back(), 42);
}

TEST(ContinualNonFinite, DataAreCheckedOnceBeforeTheFirstStep) {
  test::seed_torch();
  Rig s("hypercl");
  s.learner->train_task(0, blobs(0, 64), {});
  auto data = blobs(1, 64);
  data.images[5][3] = NAN;
  data.images[9][0] = -INFINITY;
  int steps = 0;
  EXPECT_THROW_WITH(
      s.learner->train_task(1, data, [&](const StepReport&) { ++steps; }),
      "continual: task 2 before step 1: the training images hold 1 NaN and 1 infinite values, "
      "the first at [5, 3]");
  EXPECT_EQ(steps, 0);
}

TEST(ContinualNonFinite, NanLossStopsNamingTaskAndStep) {
  test::seed_torch();
  Rig s("finetune");
  s.learner->train_task(0, blobs(0, 64), {});
  // Generated weights go NaN from the first step of task 2 on (state()
  // tensors share memory with the learner's).
  for (auto& [name, t] : s.learner->state()) {
    if (name.rfind("generator.", 0) == 0 && t.dim() == 2) {
      torch::NoGradGuard no_grad;
      t.fill_(NAN);
      break;
    }
  }
  EXPECT_THROW_WITH(
      s.learner->train_task(1, blobs(1, 64), {}), "continual: task 2 step 1: the loss is nan");
}

TEST(ContinualNonFinite, InfiniteGradientStopsNamingTheTensor) {
  test::seed_torch();
  Rig s("hypercl", 0.05, ContinualOptions().steps(10).lr(1e-2), 1, 2);
  // The loss stays finite; only the gradient reaching the head goes bad, at step 4.
  int calls = 0;
  s.gen->head->weight.register_hook(
      [&](torch::Tensor g) { return ++calls == 4 ? g.clone().fill_(INFINITY) : g; });
  std::vector<int64_t> steps;
  EXPECT_THROW_WITH(
      s.learner->train_task(0, blobs(0, 64), [&](const StepReport& r) { steps.push_back(r.step); }),
      "continual: task 1 step 4: the gradient of 'generator.head.weight'");
  EXPECT_EQ(steps, (std::vector<int64_t>{1, 2, 3}));
}

TEST(ContinualNonFinite, CheckpointWithNonFiniteOrMistypedTensorsIsRejected) {
  test::seed_torch();
  Rig s("hypercl");
  auto state = s.learner->state();
  io::TensorFile file{state, {}};
  file.tensors[0].second = file.tensors[0].second.clone();
  file.tensors[0].second.view(-1)[2] = NAN;
  EXPECT_THROW_WITH(
      s.learner->load_state(file), "checkpoint: tensor 'embeddings' holds 1 NaN and 0 infinite");
  EXPECT_THROW(s.learner->load_state(file), c10::ValueError);
  file.tensors[0].second = state[0].second.to(torch::kFloat64);
  EXPECT_THROW_WITH(
      s.learner->load_state(file), "checkpoint: tensor 'embeddings' has dtype Double but the");
}

// The gradients Adam sees never exceed the threshold, and the first step's,
// naturally far larger, is cut down to exactly it.
TEST(Continual, GradClipBoundsTheGradientNorm) {
  for (double clip : {0.0, 1e-3}) {
    SCOPED_TRACE(clip);
    test::seed_torch();
    Rig s("hypercl", 0.01, ContinualOptions().steps(20).lr(1e-2).grad_clip(clip), 1, 2);
    std::vector<double> norms;
    s.learner->train_task(0, blobs(0, 128), [&](const StepReport&) {
      double sq = 0;
      for (const auto& p : s.gen->parameters()) sq += p.grad().pow(2).sum().item<double>();
      sq += s.hypercl().table().grad().pow(2).sum().item<double>();
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
