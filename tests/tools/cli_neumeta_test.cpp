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
    std::ofstream(config_) << "threads: 1\n"
                              "data: {train_limit: 1000, test_limit: 200}\n"
                              "widths: {train: [4, 8], eval: [4, 6, 8]}\n"
                              "mlp: {steps: 20}\n"
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
    EXPECT_FALSE(row.contains("val_gap"));
  }
  EXPECT_FALSE(s.contains("max_val_gap"));
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
