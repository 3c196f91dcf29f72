// `hnet ghn` end to end on a tiny run: the files and summary of train, eval
// agreeing with it, predict's export, finetune, resume, data-parallel ranks
// (equal to one rank, a lost rank, resume after it), and bad input exiting
// with 2 and one line naming it.

#include <signal.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <future>
#include <nlohmann/json.hpp>
#include <thread>

#include "hnet/distributed/communicator.h"
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

// Data-parallel training (--nproc): 2 ranks, each with half the meta-batch,
// end with the parameters of 1 rank with the whole meta-batch, up to float
// summation order; only rank 0 writes.
TEST_F(GhnCli, TwoRanksTrainAsOneRankWithTheCombinedMetaBatch) {
  const auto one = path("one"), two = path("two");
  train(one);
  auto r = test::run_hnet(
      {"ghn", "train", config_, "--out", two, "--nproc", "2", "--timeout", "60"}, {},
      dir_.string());
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("zero-shot test"));
  EXPECT_EQ(test::safetensors_difference(one + "/ghn.safetensors", two + "/ghn.safetensors"), "");
  EXPECT_EQ(
      test::line_count(test::slurp(one + "/metrics.jsonl")),
      test::line_count(test::slurp(two + "/metrics.jsonl")));
  // Changing one rank's share would change the result: the test can fail.
  train(path("other"), {"optimizer.meta_batch=1"});
  EXPECT_NE(
      test::safetensors_difference(one + "/ghn.safetensors", path("other") + "/ghn.safetensors"),
      "");
}

// A rank killed mid-run makes the other stop with a clear error within its
// timeout (no hang); --resume continues from the last checkpoint.
TEST_F(GhnCli, ALostRankStopsTheOtherAndResumeContinues) {
  const auto out = path("run");
  const std::string master = "127.0.0.1:" + std::to_string(distributed::free_loopback_port());
  auto rank = [&](int r) {
    return test::spawn_hnet(
        {"ghn", "train", config_, "optimizer.steps=100000", "checkpoint.every=2", "log.every=1",
         "--out", out, "--world-size", "2", "--rank", std::to_string(r), "--master", master,
         "--timeout", "10"},
        {}, path("out" + std::to_string(r)), path("err" + std::to_string(r)));
  };
  const pid_t r0 = rank(0), r1 = rank(1);
  // Wait (bounded) until a few steps and a checkpoint are done.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  while (test::line_count(test::slurp(out + "/metrics.jsonl")) < 4 &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ::kill(r1, SIGKILL);
  EXPECT_EQ(test::wait_for(r1), 128 + SIGKILL);
  ASSERT_GE(test::line_count(test::slurp(out + "/metrics.jsonl")), 4) << test::slurp(path("err0"));
  const auto stopped = std::chrono::steady_clock::now();
  std::future<int> status0 = std::async(std::launch::async, [r0] { return test::wait_for(r0); });
  if (status0.wait_for(std::chrono::seconds(60)) != std::future_status::ready) {
    ::kill(r0, SIGKILL);
    FAIL() << "rank 0 did not stop after rank 1 was lost";
  }
  EXPECT_LT(std::chrono::steady_clock::now() - stopped, std::chrono::seconds(60));
  EXPECT_EQ(status0.get(), 1);
  const auto err = test::slurp(path("err0"));
  EXPECT_THAT(err, HasSubstr("a rank stopped or did not answer"));
  EXPECT_EQ(test::line_count(err), 1) << err;
  // The checkpoint holds a finished step: resume (alone, the run shortened
  // to just past it) finishes the run.
  const auto ckpt = io::load_safetensors(out + "/checkpoint.safetensors");
  const int64_t step = std::stoll(ckpt.metadata.at("step"));
  EXPECT_GE(step, 2);
  auto config = test::slurp(out + "/config.yaml");
  const auto at = config.find("steps: 100000");
  ASSERT_NE(at, std::string::npos);
  config.replace(at, 13, "steps: " + std::to_string(step + 2));
  std::ofstream(out + "/config.yaml") << config;
  auto resumed = test::run_hnet({"ghn", "train", "--resume", out}, {}, dir_.string());
  ASSERT_EQ(resumed.status, 0) << resumed.err;
  EXPECT_THAT(resumed.out, HasSubstr("resuming at step " + std::to_string(step + 1)));
  EXPECT_TRUE(fs::exists(out + "/summary.json"));
}

TEST_F(GhnCli, BadRankOptionsExitWithTwoAndWriteNothing) {
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases{
      {{"--nproc", "0"}, "--nproc must be >= 1, got 0"},
      {{"--world-size", "2", "--rank", "0"}, "--world-size > 1 needs --master HOST:PORT"},
      {{"--world-size", "2", "--rank", "2", "--master", "127.0.0.1:5"},
       "--rank must be in 0..1 (world size 2), got 2"},
      {{"--master", "nohost"}, "expected HOST:PORT"},
      {{"--nproc", "2", "--world-size", "2"}, "--nproc starts its own ranks"},
      {{"--nproc", "2", "optimizer.meta_batch=3"},
       "config key 'optimizer.meta_batch' 3 does not split evenly over 2 ranks"},
  };
  for (const auto& [extra, expected] : cases) {
    std::vector<std::string> args{"ghn", "train", config_, "--out", path("x")};
    args.insert(args.end(), extra.begin(), extra.end());
    auto r = test::run_hnet(args, {}, dir_.string());
    EXPECT_EQ(r.status, 2) << expected;
    EXPECT_THAT(r.err, HasSubstr(expected));
    EXPECT_EQ(test::line_count(r.err), 1) << r.err;
    EXPECT_FALSE(fs::exists(path("x"))) << expected;
  }
}

}  // namespace
}  // namespace hnet
