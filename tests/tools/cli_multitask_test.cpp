// `hnet multitask` end to end on a tiny run: the summary's contract,
// continuing a run, and bad input exiting with 2 and one line naming it.

#include <csignal>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "support/cli_process.h"

namespace hnet {
namespace {

using ::testing::HasSubstr;

class MultitaskCli : public test::ScratchDirTest {
 protected:
  void SetUp() override {
    ScratchDirTest::SetUp();
    if (!test::have_fashion_mnist()) GTEST_SKIP() << "Fashion-MNIST not installed";
    config_ = path("tiny.yaml");
    std::ofstream(config_) << "method: multitask\n"
                              "threads: 1\n"
                              "data: {train_limit: 600, test_limit: 200, val_size: 100}\n"
                              "multitask: {tasks: 'segment,classify', methods: "
                              "'single,lora,flora,maestro'}\n"
                              "backbone: {widths: [4, 8], convs_per_stage: 1}\n"
                              "pretrain: {steps: 5}\n"
                              "decoder: {dim: 4}\n"
                              "optimizer: {steps: 4, batch_size: 16}\n"
                              "lora: {rank: 2}\n"
                              "maestro: {max_rank: 3}\n"
                              "log: {every: 2}\n";
  }
  std::string config_;
};

TEST_F(MultitaskCli, WritesEveryMethodAndContinues) {
  const auto out = path("run");
  auto r = test::run_hnet({"multitask", config_, "--out", out}, {}, dir_.string());
  ASSERT_EQ(r.status, 0) << r.err;
  const auto s = nlohmann::json::parse(test::slurp(out + "/summary.json"));
  EXPECT_EQ(s["tasks"], nlohmann::json({"segment", "classify"}));
  EXPECT_EQ(s["metrics"], nlohmann::json({"miou", "acc"}));
  ASSERT_EQ(s["methods"].size(), 4u);
  const auto& single = s["methods"][0];
  EXPECT_EQ(single["method"], "single");
  EXPECT_DOUBLE_EQ(single["delta_m"].get<double>(), 0.0);
  // Two encoders (one per task) of conv 1->4 and conv 4->8, 3x3 with bias.
  EXPECT_EQ(single["trainable_params"], 2 * ((9 * 4 + 4) + (36 * 8 + 8)));
  // LoRA rank 2 on both tasks: 2 (out + in k k) per layer.
  EXPECT_EQ(s["methods"][1]["trainable_params"], 2 * (2 * (4 + 9) + 2 * (8 + 36)));
  // FLoRA at LoRA's count: layer 0 [1, 1, 3, 3] (its in is 1), layer 1 the largest r.
  EXPECT_LE(s["methods"][2]["trainable_params"], s["methods"][1]["trainable_params"]);
  const auto& maestro = s["methods"][3];
  EXPECT_EQ(s["maestro_learned_ranks"].size(), 2u);
  EXPECT_EQ(s["maestro_curve"].size(), 3u);
  int64_t learned = 0;
  for (size_t l = 0; l < 2; ++l) {
    learned += 2 * s["maestro_learned_ranks"][l].get<int64_t>() * (l == 0 ? 4 + 9 : 8 + 36);
  }
  EXPECT_EQ(s["maestro_learned_params"], learned);
  // Trained: every layer at max_rank 3.
  EXPECT_EQ(maestro["trainable_params"], 2 * (3 * (4 + 9) + 3 * (8 + 36)));
  for (const auto& m : s["methods"]) {
    EXPECT_GE(m["per_task"]["segment"].get<double>(), 0.0);
    EXPECT_LE(m["per_task"]["classify"].get<double>(), 1.0);
    EXPECT_TRUE(m.contains("val_delta_m"));
    EXPECT_GT(m["decoder_params"].get<int64_t>(), 0);
  }
  EXPECT_TRUE(std::filesystem::exists(out + "/backbone.safetensors"));

  // Running the same command again finds every method finished.
  auto again = test::run_hnet({"multitask", config_, "--out", out}, {}, dir_.string());
  ASSERT_EQ(again.status, 0) << again.err;
  EXPECT_THAT(again.out, HasSubstr("lora: finished in an earlier run"));
  const auto s2 = nlohmann::json::parse(test::slurp(out + "/summary.json"));
  EXPECT_EQ(s2["methods"], s["methods"]);
  EXPECT_EQ(s2["maestro_curve"], s["maestro_curve"]);
  EXPECT_EQ(s2["maestro_learned_ranks"], s["maestro_learned_ranks"]);
  // The second invocation's seconds add to the first's.
  EXPECT_GT(s2["wall_seconds"].get<double>(), s["wall_seconds"].get<double>());
  EXPECT_EQ(test::slurp(out + "/metrics.jsonl").size(), s["metrics_bytes"].get<size_t>());

  // The backbone of this run does not fit an encoder of other widths.
  auto other = test::run_hnet(
      {"multitask", config_, "backbone.widths=[4, 16]",
       "backbone.file=" + out + "/backbone.safetensors", "--out", path("other")},
      {}, dir_.string());
  EXPECT_EQ(other.status, 2) << other.err;
  EXPECT_THAT(other.err, HasSubstr("is an encoder of another architecture"));
  EXPECT_EQ(test::line_count(other.err), 1) << other.err;
}

// The (method, step) of every metrics.jsonl line, in order.
std::vector<std::pair<std::string, int64_t>> logged_steps(const std::string& path) {
  std::vector<std::pair<std::string, int64_t>> steps;
  std::istringstream lines(test::slurp(path));
  for (std::string line; std::getline(lines, line);) {
    const auto j = nlohmann::json::parse(line);
    steps.emplace_back(j.at("method").get<std::string>(), j.at("step").get<int64_t>());
  }
  return steps;
}

// A run killed between methods, with a killed method's lines left in
// metrics.jsonl, continues to the results and the log of an uninterrupted run.
TEST_F(MultitaskCli, AKilledRunContinuesToTheUninterruptedResult) {
  const auto whole = path("whole"), killed = path("killed");
  ASSERT_EQ(test::run_hnet({"multitask", config_, "--out", whole}, {}, dir_.string()).status, 0);
  // Writes: config.yaml, backbone.safetensors, summary.json after single,
  // after lora; killed right after the fourth.
  auto first = test::run_hnet(
      {"multitask", config_, "--out", killed}, {"HNET_FAULT_KILL_AFTER_WRITE=4"}, dir_.string(),
      test::Cli::kWithFaults);
  ASSERT_EQ(first.status, 128 + SIGKILL) << first.err;
  ASSERT_EQ(nlohmann::json::parse(test::slurp(killed + "/summary.json"))["methods"].size(), 2u);
  // As if flora had been killed after logging its step 2.
  std::ofstream(killed + "/metrics.jsonl", std::ios::app)
      << R"({"method":"flora","step":2,"loss":9.5})"
      << "\n";
  auto rest = test::run_hnet({"multitask", config_, "--out", killed}, {}, dir_.string());
  ASSERT_EQ(rest.status, 0) << rest.err;
  EXPECT_THAT(rest.out, HasSubstr("lora: finished in an earlier run"));
  const auto a = nlohmann::json::parse(test::slurp(whole + "/summary.json"));
  const auto b = nlohmann::json::parse(test::slurp(killed + "/summary.json"));
  ASSERT_EQ(b["methods"].size(), a["methods"].size());
  for (size_t m = 0; m < a["methods"].size(); ++m) {
    EXPECT_EQ(b["methods"][m]["per_task"], a["methods"][m]["per_task"]) << m;
    EXPECT_EQ(b["methods"][m]["trainable_params"], a["methods"][m]["trainable_params"]) << m;
  }
  EXPECT_EQ(b["maestro_learned_ranks"], a["maestro_learned_ranks"]);
  EXPECT_EQ(logged_steps(killed + "/metrics.jsonl"), logged_steps(whole + "/metrics.jsonl"));
}

TEST_F(MultitaskCli, BadInputExitsWithTwoAndNamesIt) {
  const std::vector<std::pair<std::string, std::string>> cases{
      {"multitask.methods=single,prompt", "unknown name 'prompt'"},
      {"multitask.methods=lora,single", "must start with 'single'"},
      {"multitask.tasks=segment,depth", "unknown name 'depth'"},
      {"flora.ranks=[1, 1, 1]", "config key 'flora.ranks' must hold 4 entries"},
      {"lora.rank=12", "rank 12 exceeds what conv layer 0 allows"},
      {"backbone.widths=[4, 6]", "not a multiple of the narrowest layer's 4"},
      {"limits.max_parameters=10",
       "parameters (the backbone encoder), more than config key "
       "'limits.max_parameters' allows (10)"},
  };
  for (const auto& [override, message] : cases) {
    const auto out = path("bad");
    auto r = test::run_hnet(
        {"multitask", config_, override,
         "multitask.methods=" + std::string(
                                    override.rfind("multitask.methods", 0) == 0
                                        ? override.substr(18)
                                        : "single,lora,flora,polyhistor_lite"),
         "--out", out},
        {}, dir_.string());
    EXPECT_EQ(r.status, 2) << override << ": " << r.err;
    EXPECT_THAT(r.err, HasSubstr(message)) << override;
    EXPECT_EQ(test::line_count(r.err), 1) << r.err;
    EXPECT_FALSE(std::filesystem::exists(out)) << override;
  }
}

}  // namespace
}  // namespace hnet
