// `hnet ghn` end to end on a tiny run: the files and summary of train, eval
// agreeing with it, predict's export, finetune, resume, and bad input
// exiting with 2 and one line naming it.

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "hnet/ghn/architecture.h"
#include "hnet/io/safetensors.h"
#include "support/cli_process.h"

namespace hnet {
namespace {

using ::testing::HasSubstr;
using json = nlohmann::json;
namespace fs = std::filesystem;

class GhnCli : public test::ScratchDirTest {
 protected:
  void SetUp() override {
    ScratchDirTest::SetUp();
    if (!test::have_fashion_mnist()) GTEST_SKIP() << "Fashion-MNIST not installed";
    config_ = path("tiny.yaml");
    std::ofstream(config_) << "method: ghn\n"
                              "threads: 1\n"
                              "data: {train_limit: 1200, test_limit: 200, val_size: 200}\n"
                              "space: {widths: [4, 8], kernels: [3], max_stages: 2, hidden: [16]}\n"
                              "sets: {test: 3, ood: 4}\n"
                              "ghn: {hidden: 8, block: 8, max_kernel: 3, virtual_edges: 3}\n"
                              "optimizer: {steps: 6, meta_batch: 2, batch_size: 16}\n"
                              "checkpoint: {every: 4}\n"
                              "finetune: {steps: 3, archs: 2}\n"
                              "log: {every: 2}\n"
                              "eval: {batch_size: 100}\n";
  }

  // Trains the tiny config into `out` (once per test).
  void train(const std::string& out, const std::vector<std::string>& overrides = {}) {
    std::vector<std::string> args{"ghn", "train", config_};
    args.insert(args.end(), overrides.begin(), overrides.end());
    args.insert(args.end(), {"--out", out});
    auto r = test::run_hnet(args, {}, dir_.string());
    ASSERT_EQ(r.status, 0) << r.err;
  }

  std::string config_;
};

TEST_F(GhnCli, TrainWritesItsFilesAndEvalAgreesWithTheSummary) {
  const auto out = path("run");
  train(out);
  for (const char* f :
       {"config.yaml", "architectures.json", "metrics.jsonl", "checkpoint.safetensors",
        "ghn.safetensors", "summary.json"}) {
    EXPECT_TRUE(fs::exists(out + "/" + f)) << f;
  }
  EXPECT_EQ(test::line_count(test::slurp(out + "/metrics.jsonl")), 3);  // steps 2, 4, 6
  const auto s = json::parse(test::slurp(out + "/summary.json"));
  EXPECT_EQ(s["method"], "ghn");
  EXPECT_EQ(s["test"]["acc"].size(), 3u);
  EXPECT_EQ(s["ood"]["acc"].size(), 4u);
  EXPECT_EQ(s["val"]["acc"].size(), 3u);
  EXPECT_GT(s["decoder_params"].get<int64_t>(), 0);
  EXPECT_LT(s["decoder_params"].get<int64_t>(), s["ghn_params"].get<int64_t>());
  for (const char* set : {"test", "ood"}) {
    auto r = test::run_hnet({"ghn", "eval", out, "--set", set, "--json"}, {}, dir_.string());
    ASSERT_EQ(r.status, 0) << r.err;
    const auto e = json::parse(r.out);
    EXPECT_EQ(e["set"], set);
    EXPECT_EQ(e["acc"], s[set]["acc"]) << set;
    EXPECT_EQ(e["mean_acc"], s[set]["mean_acc"]) << set;
    EXPECT_EQ(e["archs"].size(), e["acc"].size());
  }
  auto table = test::run_hnet({"ghn", "eval", out, "--set", "ood"}, {}, dir_.string());
  ASSERT_EQ(table.status, 0) << table.err;
  EXPECT_THAT(table.out, HasSubstr("resnet20"));
  EXPECT_THAT(table.out, HasSubstr("mean"));
}

// The export holds exactly the network's parameters and batch-norm
// statistics, with metadata that describes it.
TEST_F(GhnCli, PredictExportsThePlainNetwork) {
  const auto out = path("run");
  train(out);
  const auto arch = json::parse(R"({"input": [1, 28, 28], "classes": 10, "layers": [
      {"name": "c1", "op": "conv", "out": 6, "kernel": 3, "bias": false},
      {"name": "bn", "op": "batch_norm"}, {"name": "r", "op": "relu"},
      {"name": "p", "op": "max_pool", "kernel": 2}, {"name": "g", "op": "global_avg_pool"},
      {"name": "fc", "op": "linear", "out": 10}]})");
  std::ofstream(path("arch.json")) << arch.dump();
  auto r = test::run_hnet(
      {"ghn", "predict", out, "--arch", path("arch.json"), "--out", path("net.safetensors")}, {},
      dir_.string());
  ASSERT_EQ(r.status, 0) << r.err;
  const auto file = io::load_safetensors(path("net.safetensors"));
  std::vector<std::string> names;
  for (const auto& t : file.tensors) names.push_back(t.first);
  std::sort(names.begin(), names.end());
  EXPECT_EQ(
      names, (std::vector<std::string>{
                 "bn.bias", "bn.running_mean", "bn.running_var", "bn.weight", "c1.weight",
                 "fc.bias", "fc.weight"}));
  EXPECT_EQ(file.metadata.at("format"), "hnet-ghn-network");
  EXPECT_EQ(
      json::parse(file.metadata.at("architecture")),
      architecture_to_json(architecture_from_json(arch, "a")));
  // Statistics were recomputed: not the initial 0 / 1.
  EXPECT_GT(file.get("bn.running_mean").abs().sum().item<double>(), 0);
  auto cycle = arch;
  cycle["layers"][0]["inputs"] = {"r"};
  std::ofstream(path("cycle.json")) << cycle.dump();
  auto bad = test::run_hnet(
      {"ghn", "predict", out, "--arch", path("cycle.json"), "--out", path("bad.safetensors")}, {},
      dir_.string());
  EXPECT_EQ(bad.status, 2);
  EXPECT_THAT(bad.err, HasSubstr("cycle.json"));
  EXPECT_EQ(test::line_count(bad.err), 1);
  EXPECT_FALSE(fs::exists(path("bad.safetensors")));
}

// Fine-tuning starts from the zero-shot accuracies eval reports.
TEST_F(GhnCli, FinetuneStartsFromTheZeroShotNetworks) {
  const auto out = path("run");
  train(out);
  auto r = test::run_hnet({"ghn", "finetune", out}, {}, dir_.string());
  ASSERT_EQ(r.status, 0) << r.err;
  const auto f = json::parse(test::slurp(out + "/finetune_test.json"));
  EXPECT_EQ(f["steps"], json({0, 3}));
  const auto s = json::parse(test::slurp(out + "/summary.json"));
  ASSERT_EQ(f["predicted_per_arch"][0].size(), 2u);
  for (int a = 0; a < 2; ++a) {
    EXPECT_EQ(f["predicted_per_arch"][0][a], s["test"]["acc"][a]) << a;
  }
  EXPECT_EQ(f["he_per_arch"][1].size(), 2u);
}

// A run whose training finished but whose measurement was lost resumes
// into the same summary; a folder without a checkpoint is refused.
TEST_F(GhnCli, ResumeFinishesARunAndRefusesAnEmptyFolder) {
  const auto out = path("run");
  train(out);
  const auto summary = json::parse(test::slurp(out + "/summary.json"));
  fs::remove(out + "/summary.json");
  fs::remove(out + "/ghn.safetensors");
  auto r = test::run_hnet({"ghn", "train", "--resume", out}, {}, dir_.string());
  ASSERT_EQ(r.status, 0) << r.err;
  const auto again = json::parse(test::slurp(out + "/summary.json"));
  EXPECT_EQ(again["test"], summary["test"]);
  EXPECT_EQ(again["ood"], summary["ood"]);
  fs::create_directories(path("empty"));
  std::ofstream(path("empty/config.yaml")) << test::slurp(out + "/config.yaml");
  auto none = test::run_hnet({"ghn", "train", "--resume", path("empty")}, {}, dir_.string());
  EXPECT_EQ(none.status, 2);
  EXPECT_THAT(none.err, HasSubstr("no checkpoint.safetensors to resume from"));
}

TEST_F(GhnCli, BadInputExitsWithTwoNamingIt) {
  auto decoder = test::run_hnet(
      {"ghn", "train", config_, "ghn.decoder=dense", "--out", path("a")}, {}, dir_.string());
  EXPECT_EQ(decoder.status, 2);
  EXPECT_THAT(decoder.err, HasSubstr("ghn.decoder"));
  EXPECT_FALSE(fs::exists(path("a")));
  auto stages = test::run_hnet(
      {"ghn", "train", config_, "space.min_stages=3", "--out", path("b")}, {}, dir_.string());
  EXPECT_EQ(stages.status, 2);
  EXPECT_THAT(stages.err, HasSubstr("min_stages"));
  auto missing = test::run_hnet({"ghn", "eval", path("nothing")}, {}, dir_.string());
  EXPECT_EQ(missing.status, 2);
  EXPECT_THAT(missing.err, HasSubstr("no ghn.safetensors"));
  // A GHN whose configuration says another size than its tensors.
  const auto out = path("run");
  train(out);
  auto file = io::load_safetensors(out + "/ghn.safetensors");
  auto meta = file.metadata;
  const auto at = meta["config"].find("hidden: 8\n");
  ASSERT_NE(at, std::string::npos) << meta["config"];
  meta["config"].replace(at, 10, "hidden: 12\n");
  io::save_safetensors(out + "/ghn.safetensors", file.tensors, meta);
  auto other = test::run_hnet({"ghn", "eval", out}, {}, dir_.string());
  EXPECT_EQ(other.status, 2);
  EXPECT_THAT(other.err, HasSubstr("has shape"));
  EXPECT_EQ(test::line_count(other.err), 1);
  auto set = test::run_hnet({"ghn", "eval", out, "--set", "train"}, {}, dir_.string());
  EXPECT_EQ(set.status, 2);
  EXPECT_THAT(set.err, HasSubstr("--set must be test or ood, got 'train'"));
}

}  // namespace
}  // namespace hnet
