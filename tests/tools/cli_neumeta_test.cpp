// `hnet neumeta` end to end on a tiny run: the summary's contract and
// bad configurations exiting with 2 and one line naming the key.

#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "support/cli_process.h"

namespace hnet {
namespace {

using ::testing::HasSubstr;

class ImplicitCli : public test::ScratchDirTest {
 protected:
  void SetUp() override {
    ScratchDirTest::SetUp();
    if (!test::have_fashion_mnist()) GTEST_SKIP() << "Fashion-MNIST not installed";
    config_ = path("tiny.yaml");
    std::ofstream(config_) << "method: neumeta\n"
                              "threads: 1\n"
                              "data: {train_limit: 1000, test_limit: 200, val_size: 100}\n"
                              "widths: {train: [4, 8], eval: [4, 6, 8]}\n"
                              "mlp: {steps: 20}\n"
                              "baseline: {max_steps: 30, eval_every: 10, patience: 1}\n"
                              "generator: {hidden: [8], octaves: 3}\n"
                              "optimizer: {steps: 6}\n"
                              "implicit: {warmup_steps: 4, fit_rows: 4}\n"
                              "log: {every: 2}\n";
  }
  std::string config_;
};

TEST_F(ImplicitCli, WritesSummaryPerWidth) {
  const auto out = path("run");
  auto r = test::run_hnet({"neumeta", config_, "--out", out}, {}, dir_.string());
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("(never trained)"));
  auto s = nlohmann::json::parse(test::slurp(out + "/summary.json"));
  EXPECT_EQ(s["method"], "neumeta");
  EXPECT_EQ(s["widths"], nlohmann::json({4, 6, 8}));
  EXPECT_EQ(s["reference_params"], 784 * 8 + 8 + 8 * 8 + 8 + 8 * 10 + 10);
  ASSERT_EQ(s["results"].size(), 3u);
  EXPECT_EQ(s["results"][1]["width"], 6);
  EXPECT_EQ(s["results"][1]["trained"], false);
  EXPECT_EQ(s["results"][2]["trained"], true);
  for (const auto& row : s["results"]) {
    const double gap = row["independent_acc"].get<double>() - row["generated_acc"].get<double>();
    EXPECT_DOUBLE_EQ(row["gap"].get<double>(), gap);
    // Each baseline: the best of the three learning rates on validation,
    // stopped early (at most 30 steps, measured every 10).
    const double lr = row["independent_lr"].get<double>();
    EXPECT_TRUE(
        std::abs(lr - 0.001 / 3) < 1e-12 || std::abs(lr - 0.001) < 1e-12 ||
        std::abs(lr - 0.003) < 1e-12)
        << lr;
    EXPECT_LE(row["independent_steps_run"].get<int64_t>(), 30);
    EXPECT_EQ(row["independent_best_step"].get<int64_t>() % 10, 0);
  }
  for (const char* f : {"config.yaml", "metrics.jsonl", "generator.safetensors"}) {
    EXPECT_TRUE(std::filesystem::exists(out + "/" + f)) << f;
  }
  EXPECT_EQ(test::line_count(test::slurp(out + "/metrics.jsonl")), 5);  // steps 2, 4, ..., 10
  // A second run into the same folder is refused.
  auto again = test::run_hnet({"neumeta", config_, "--out", out}, {}, dir_.string());
  EXPECT_EQ(again.status, 2);
  EXPECT_THAT(again.err, HasSubstr("already holds a run"));
}

// With a validation split every width is also scored on the held-out
// training images, and the largest of those gaps is reported.
TEST_F(ImplicitCli, ValidationSplitIsScoredPerWidth) {
  const auto out = path("val");
  auto r =
      test::run_hnet({"neumeta", config_, "data.val_size=200", "--out", out}, {}, dir_.string());
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("(validation: gap "));
  auto s = nlohmann::json::parse(test::slurp(out + "/summary.json"));
  EXPECT_EQ(s["val_size"], 200);
  double largest = -1;
  for (const auto& row : s["results"]) {
    const double gap =
        row["independent_val_acc"].get<double>() - row["generated_val_acc"].get<double>();
    EXPECT_DOUBLE_EQ(row["val_gap"].get<double>(), gap);
    // 200 images: accuracies are multiples of 1/200.
    EXPECT_NEAR(
        row["generated_val_acc"].get<double>() * 200,
        std::round(row["generated_val_acc"].get<double>() * 200), 1e-6);
    largest = std::max(largest, gap);
  }
  EXPECT_DOUBLE_EQ(s["max_val_gap"].get<double>(), largest);
  auto bad = test::run_hnet({"neumeta", config_, "data.val_size=1000"}, {}, dir_.string());
  EXPECT_EQ(bad.status, 2);
  EXPECT_THAT(
      bad.err, HasSubstr("'data.val_size' must be below the 1000 training images, got 1000"));
}

// --seeds: one run folder per seed, the aggregate in seeds.json, and a
// second call reads the finished seeds back instead of training again.
TEST_F(ImplicitCli, SeedsAggregateAndContinue) {
  const auto out = path("seeds");
  auto r = test::run_hnet({"neumeta", config_, "--seeds", "1-2", "--out", out}, {}, dir_.string());
  ASSERT_EQ(r.status, 0) << r.err;
  auto s = nlohmann::json::parse(test::slurp(out + "/seeds.json"));
  EXPECT_EQ(s["seeds"], nlohmann::json({1, 2}));
  const auto& gap = s["statistics"]["max_gap"];
  ASSERT_EQ(gap["values"].size(), 2u);
  for (int k = 0; k < 2; ++k) {
    const auto run = nlohmann::json::parse(
        test::slurp(out + "/seed-" + std::to_string(k + 1) + "/summary.json"));
    EXPECT_EQ(gap["values"][k].get<double>(), run["max_gap"].get<double>());
    EXPECT_EQ(s["runs"][k]["seed"], k + 1);
  }
  EXPECT_DOUBLE_EQ(
      gap["mean"].get<double>(),
      (gap["values"][0].get<double>() + gap["values"][1].get<double>()) / 2);
  EXPECT_TRUE(s["statistics"].contains("gap_w6"));
  const auto before = std::filesystem::last_write_time(out + "/seed-1/generator.safetensors");
  auto again =
      test::run_hnet({"neumeta", config_, "--seeds", "1-2", "--out", out}, {}, dir_.string());
  ASSERT_EQ(again.status, 0) << again.err;
  EXPECT_EQ(std::filesystem::last_write_time(out + "/seed-1/generator.safetensors"), before);
  EXPECT_EQ(nlohmann::json::parse(test::slurp(out + "/seeds.json")), s);
  // Another configuration in the same folders is refused before training.
  auto other = test::run_hnet(
      {"neumeta", config_, "optimizer.steps=7", "--seeds", "1-2", "--out", out}, {}, dir_.string());
  EXPECT_EQ(other.status, 2);
  EXPECT_THAT(other.err, HasSubstr("holds a run of another configuration (optimizer.steps:"));
  // A finished seed whose summary lacks what this hnet writes (an older run,
  // fixed-step baselines) is refused, not mixed into the aggregate.
  auto old = nlohmann::json::parse(test::slurp(out + "/seed-2/summary.json"));
  for (auto& row : old["results"]) row.erase("independent_steps_run");
  std::ofstream(out + "/seed-2/summary.json") << old.dump();
  auto stale =
      test::run_hnet({"neumeta", config_, "--seeds", "1-2", "--out", out}, {}, dir_.string());
  EXPECT_EQ(stale.status, 2);
  EXPECT_THAT(stale.err, HasSubstr("seed-2/summary.json: not a NeuMeta summary of this hnet"));
  EXPECT_EQ(test::line_count(stale.err), 1);
  auto no_out = test::run_hnet({"neumeta", config_, "--seeds", "1-2"}, {}, dir_.string());
  EXPECT_EQ(no_out.status, 2);
  EXPECT_THAT(no_out.err, HasSubstr("--seeds needs --out DIR"));
}

// hnet sweep on a NeuMeta config: points measured on validation only, the
// chosen one tested once; its test numbers are those of an ordinary run of
// the chosen setting (the validation split changes what is measured, not
// what is trained).
TEST_F(ImplicitCli, SweepChoosesOnValidationAndTestsTheChosenPoint) {
  const auto out = path("sweep");
  auto r =
      test::run_hnet({"sweep", config_, "optimizer.steps=4,8", "--out", out}, {}, dir_.string());
  ASSERT_EQ(r.status, 0) << r.err;
  const auto s = nlohmann::json::parse(test::slurp(out + "/sweep.json"));
  ASSERT_EQ(s["points"].size(), 2u);
  const auto& p = s["points"];
  const size_t best =
      p[1]["val_mean_generated_acc"].get<double>() > p[0]["val_mean_generated_acc"].get<double>()
          ? 1
          : 0;
  EXPECT_EQ(s["chosen"], best);
  for (int k = 0; k < 2; ++k) {
    const auto point =
        nlohmann::json::parse(test::slurp(out + "/point-" + std::to_string(k) + "/summary.json"));
    EXPECT_EQ(point["split"], "val");
    for (const auto& row : point["results"]) {
      EXPECT_EQ(row["generated_acc"], row["generated_val_acc"]);  // both on validation
    }
  }
  const std::string steps = best == 1 ? "8" : "4";
  auto plain = test::run_hnet(
      {"neumeta", config_, "optimizer.steps=" + steps, "--out", path("plain")}, {}, dir_.string());
  ASSERT_EQ(plain.status, 0) << plain.err;
  const auto ordinary = nlohmann::json::parse(test::slurp(path("plain") + "/summary.json"));
  ASSERT_EQ(s["test"].size(), ordinary["results"].size());
  for (size_t k = 0; k < s["test"].size(); ++k) {
    EXPECT_EQ(s["test"][k]["generated_acc"], ordinary["results"][k]["generated_acc"]);
    EXPECT_EQ(s["test"][k]["independent_acc"], ordinary["results"][k]["independent_acc"]);
  }
  EXPECT_EQ(s["test_max_gap"], ordinary["max_gap"]);
  // Again: the finished points are read back, not trained.
  const auto before = std::filesystem::last_write_time(out + "/point-0/generator.safetensors");
  auto again =
      test::run_hnet({"sweep", config_, "optimizer.steps=4,8", "--out", out}, {}, dir_.string());
  ASSERT_EQ(again.status, 0) << again.err;
  EXPECT_EQ(std::filesystem::last_write_time(out + "/point-0/generator.safetensors"), before);
  auto axis = test::run_hnet(
      {"sweep", config_, "eval.split=test,val", "--out", path("bad")}, {}, dir_.string());
  EXPECT_EQ(axis.status, 2);
  EXPECT_THAT(axis.err, HasSubstr("'eval.split' cannot be an axis"));
}

TEST_F(ImplicitCli, BadConfigExitsWithTwo) {
  auto r = test::run_hnet(
      {"neumeta", config_, "widths.eval=[4, 12]", "--out", path("bad")}, {}, dir_.string());
  EXPECT_EQ(r.status, 2);
  EXPECT_THAT(
      r.err,
      HasSubstr("'widths.eval' must lie in the trained range [4, 8] of 'widths.train', got 12"));
  EXPECT_EQ(test::line_count(r.err), 1);
  EXPECT_FALSE(std::filesystem::exists(path("bad")));
  auto freq = test::run_hnet({"neumeta", config_, "generator.octaves=0"}, {}, dir_.string());
  EXPECT_EQ(freq.status, 2);
  EXPECT_THAT(freq.err, HasSubstr("generator.octaves"));
}

}  // namespace
}  // namespace hnet
