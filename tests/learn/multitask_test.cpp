// Multi-task labels, metrics and training on hand-made data.

#include "hnet/learn/multitask.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>

#include "hnet/adapters/low_rank_updates.h"
#include "support/test_support.h"

namespace hnet::multitask {
namespace {

using ::testing::HasSubstr;

// One 6x6 image: a 4x4 square of 1 in the middle, class 3.
data::Dataset square() {
  auto images = torch::zeros({1, 1, 6, 6});
  images.narrow(2, 1, 4).narrow(3, 1, 4).fill_(1);
  return {images, torch::tensor({int64_t{3}})};
}

TEST(MultitaskLabels, DerivedFromTheImage) {
  const auto t = derive_task_data(square());
  // Segment: the class on the square, background (10) around it.
  EXPECT_EQ(t.segment[0][0][0].item<int64_t>(), 10);
  EXPECT_EQ(t.segment[0][1][1].item<int64_t>(), 3);
  EXPECT_EQ(t.segment[0][3][4].item<int64_t>(), 3);
  EXPECT_EQ(t.segment.eq(3).sum().item<int64_t>(), 16);
  // Distance: the square's ring is 1 erosion deep, its middle 2 (over 8).
  EXPECT_FLOAT_EQ(t.distance[0][0][1][1].item<float>(), 1.0f / 8);
  EXPECT_FLOAT_EQ(t.distance[0][0][2][2].item<float>(), 2.0f / 8);
  EXPECT_FLOAT_EQ(t.distance[0][0][0][0].item<float>(), 0.0f);
  // Edges: none inside the flat middle; at the middle of the square's left
  // side, a Sobel x response of 1 + 2 + 1 = 4 (over 4).
  EXPECT_FLOAT_EQ(t.edges[0][0][2][2].item<float>(), 0.0f);
  EXPECT_FLOAT_EQ(t.edges[0][0][2][0].item<float>(), 1.0f);
}

TEST(MultitaskMetrics, DeltaMIsTheMeanSignedRelativeChange) {
  // A lower-is-better error next to mIoU: +25 % mIoU and a 20 % lower
  // error are +25 and +20, mean 22.5.
  const std::vector<TaskInfo> tasks{
      task_info("segment"), TaskInfo{"error", TaskKind::kEdges, "mse", true, 1}};
  EXPECT_NEAR(delta_m(tasks, {0.5, 0.02}, {0.4, 0.025}), 22.5, 1e-9);
  EXPECT_NEAR(delta_m(tasks, {0.4, 0.025}, {0.4, 0.025}), 0.0, 1e-12);
  // PSNR is higher-is-better: 30 dB against 25 dB is +20.
  EXPECT_NEAR(
      delta_m({task_info("segment"), task_info("edges")}, {0.5, 30}, {0.4, 25}), 22.5, 1e-9);
  EXPECT_THAT(
      test::error_message([&] {
        delta_m(tasks, {0.5}, {0.4, 0.025});
      }),
      HasSubstr("2 tasks but 1 metrics"));
  EXPECT_THAT(
      test::error_message([] { task_info("depth"); }),
      HasSubstr("unknown task 'depth': expected one of segment|edges|distance|classify"));
}

// A decoder that outputs the labels exactly scores a perfect mIoU and
// accuracy and zero MSE; a constant one scores what hand counting gives.
TEST(MultitaskMetrics, EvaluationOfKnownOutputs) {
  auto d = derive_task_data(square());
  MultitaskModel m;
  adapters::EncoderOptions o;
  o.widths = {2};
  o.convs_per_stage = 1;
  m.encoder = adapters::Encoder(o);
  m.tasks = {task_info("segment"), task_info("edges"), task_info("classify")};
  for (const auto& t : m.tasks) m.decoders.emplace_back(std::vector<int64_t>{2}, t, 2, 6);
  {
    torch::NoGradGuard no_grad;
    for (auto& dec : m.decoders) {
      for (auto& p : dec->parameters()) p.zero_();
    }
    // Segment: all-zero logits -> argmax class 0 everywhere. Classes 3 and
    // 10 are present, class 0 predicted: IoU 0 for 0, 3 and 10 -> mean 0.
    // Classify: all-zero logits -> class 0, wrong. Edges: PSNR of mean(e^2).
  }
  const auto metrics = evaluate_multitask(m, d, 1);
  EXPECT_DOUBLE_EQ(metrics[0], 0.0);
  EXPECT_NEAR(metrics[1], -10 * std::log10(d.edges.pow(2).mean().item<double>()), 1e-5);
  EXPECT_DOUBLE_EQ(metrics[2], 0.0);
  // Classifier bias favouring class 3: accuracy 1.
  {
    torch::NoGradGuard no_grad;
    m.decoders[2]->named_parameters()["classifier.bias"][3] = 1;
    // Segment: bias of the output conv favouring class 10 (background): IoU
    // of 10 is 20/36, of 3 is 0 -> mean 10/36.
    m.decoders[0]->named_parameters()["out.bias"][10] = 1;
  }
  const auto again = evaluate_multitask(m, d, 1);
  EXPECT_DOUBLE_EQ(again[2], 1.0);
  EXPECT_NEAR(again[0], (20.0 / 36) / 2, 1e-12);
}

TEST(MultitaskTraining, OnlyTheAdaptationAndDecodersGetGradients) {
  test::seed_torch();
  auto d =
      derive_task_data({torch::rand({16, 1, 8, 8}), torch::randint(0, 10, {16}, torch::kLong)});
  MultitaskModel m;
  adapters::EncoderOptions o;
  o.widths = {4, 8};
  o.convs_per_stage = 1;
  m.encoder = adapters::Encoder(o);
  m.tasks = {task_info("segment"), task_info("classify")};
  for (const auto& t : m.tasks) m.decoders.emplace_back(m.encoder->stage_widths(), t, 4, 8);
  m.adaptation = std::make_shared<adapters::LoraUpdates>(m.encoder->layers(), 2, 2);
  const auto before = m.encoder->weights[1].clone();
  MultitaskTrainingOptions options;
  options.steps = 3;
  options.batch_size = 8;
  std::vector<double> losses;
  train_multitask(m, d, options, [&](int64_t, double loss) { losses.push_back(loss); });
  EXPECT_EQ(losses.size(), 3u);
  // Each task's loss is divided by its step-1 value: 1 per task at step 1.
  EXPECT_NEAR(losses[0], 2.0, 1e-9);
  for (const auto& p : m.encoder->parameters()) EXPECT_FALSE(p.grad().defined());
  for (const auto& decoder : m.decoders) {
    for (const auto& p : decoder->parameters()) {
      ASSERT_TRUE(p.grad().defined());
      EXPECT_GT(p.grad().abs().sum().item<double>(), 0);
    }
  }
  EXPECT_TRUE(torch::equal(m.encoder->weights[1], before));
  for (const auto& p : m.adaptation->parameters()) EXPECT_TRUE(p.grad().defined());
  // LoRA's B starts at 0 and moves; the frozen weight does not.
  EXPECT_GT(m.adaptation->named_parameters()["b_t1_l1"].abs().sum().item<double>(), 0);
}

}  // namespace
}  // namespace hnet::multitask
