// Exports a PyTorch user can rebuild (docs/export.md): the files `hnet
// generate`, `hnet neumeta export` and `hnet demo --save` write, read by
// tests/tools/rebuild_export.py with Debian's python3-torch and no hnet code,
// give the accuracy hnet itself reports on the same test images.

#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "hnet/data/fashion_mnist.h"
#include "support/cli_process.h"

namespace hnet {
namespace {

using ::testing::HasSubstr;
using json = nlohmann::json;

// The tiny config's data.root holds the first 300 test images; the script
// reads as many from the full set (--limit).
constexpr int64_t kRoundTripTestImages = 300;

class PlainExportRoundTrip : public test::TinyRunTest {
 protected:
  void SetUp() override {
    TinyRunTest::SetUp();
    if (IsSkipped()) return;
    // `make test` installs python3-torch: without it this fails, never skips.
    ASSERT_TRUE(std::filesystem::exists(HNET_TEST_PYTHON))
        << HNET_TEST_PYTHON << " is missing: install Debian's python3-torch (make test does)";
    const auto r = test::run_program({HNET_TEST_PYTHON, "-c", "import torch"}, dir_.string());
    ASSERT_EQ(r.status, 0) << HNET_TEST_PYTHON
                           << " cannot import torch: install Debian's python3-torch (make test "
                              "does), or configure with -DHNET_TEST_PYTHON=<python with torch>\n"
                           << r.err;
  }

  std::string small_data_root() const {
    return path("fashion-mnist-small");
  }

  // Trains the tiny config with `overrides` into the folder `name`; returns
  // its checkpoint.
  std::string trained(const std::string& name, const std::vector<std::string>& overrides) {
    std::vector<std::string> args{"train", config_};
    args.insert(args.end(), overrides.begin(), overrides.end());
    args.insert(args.end(), {"--out", path(name)});
    const auto r = test::run_hnet(args, {}, dir_.string());
    EXPECT_EQ(r.status, 0) << r.err;
    return path(name) + "/checkpoint.safetensors";
  }

  // `hnet eval --json`: the accuracy of every task.
  std::vector<double> hnet_accuracies(const std::string& checkpoint) {
    const auto r = test::run_hnet({"eval", checkpoint, "--json"}, {}, dir_.string());
    EXPECT_EQ(r.status, 0) << r.err;
    return json::parse(r.out).at("acc").get<std::vector<double>>();
  }

  // `hnet generate` of task `task`; the file.
  std::string generated(const std::string& checkpoint, int64_t task, const std::string& name) {
    const auto r = test::run_hnet(
        {"generate", checkpoint, "--task", std::to_string(task), "--out", path(name)}, {},
        dir_.string());
    EXPECT_EQ(r.status, 0) << r.err;
    return path(name);
  }

  // The script's result for each file, rebuilt on the first `limit` test
  // images of the full data set (one Python start for all of them).
  std::vector<json> rebuilt(const std::vector<std::string>& files, int64_t limit) {
    std::vector<std::string> argv{HNET_TEST_PYTHON, HNET_REBUILD_EXPORT_SCRIPT};
    argv.insert(argv.end(), files.begin(), files.end());
    argv.insert(
        argv.end(), {"--data", data::default_data_root(), "--limit", std::to_string(limit)});
    const auto r = test::run_program(argv, dir_.string());
    EXPECT_EQ(r.status, 0) << r.err;
    if (r.status != 0) return std::vector<json>(files.size(), json{{"accuracy", -1}});
    return json::parse(r.out).at("results").get<std::vector<json>>();
  }

  // `hnet args...` exits 2 with one line holding each of `messages`, and
  // nothing is written at `out`.
  void expect_refused(
      const std::vector<std::string>& args, const std::string& out,
      const std::vector<std::string>& messages) {
    const auto r = test::run_hnet(args, {}, dir_.string());
    EXPECT_EQ(r.status, 2) << r.err;
    EXPECT_EQ(test::line_count(r.err), 1) << r.err;
    for (const auto& m : messages) EXPECT_THAT(r.err, HasSubstr(m));
    EXPECT_FALSE(std::filesystem::exists(out));
  }

  // How many of the first `limit` test images belong to `classes`.
  static int64_t examples_of(const std::vector<int64_t>& classes, int64_t limit) {
    const auto labels =
        data::load_fashion_mnist(data::default_data_root(), data::Split::kTest).labels;
    int64_t n = 0;
    for (int64_t c : classes) n += labels.narrow(0, 0, limit).eq(c).sum().item<int64_t>();
    return n;
  }
};

// The script's accuracy equals hnet's to within one example (PyTorch and
// LibTorch may round a near tie differently), on the task's examples.
void expect_same_accuracy(const json& result, double hnet_acc, int64_t examples) {
  SCOPED_TRACE(result.dump());
  EXPECT_EQ(result.at("examples").get<int64_t>(), examples);
  const double script_correct = result.at("correct").get<double>();
  EXPECT_LE(std::abs(script_correct - hnet_acc * examples), 1.0 + 1e-9);
}

// Split (task 2: classes 2 and 3 as outputs 0 / 1), permuted (task 2's
// permutation) with PHM layers composed, and a ConvNet with batch norm (task
// 2's running statistics) and PHM. (ModuleAdapter's operations are checked
// against its forward in plain_network_test.cpp.)
TEST_F(PlainExportRoundTrip, GeneratedTasksGiveHnetsAccuracyInPyTorch) {
  struct Case {
    std::string name;
    std::vector<std::string> overrides;
    int64_t task;
    std::vector<int64_t> classes;
  };
  const std::vector<int64_t> all{0, 1, 2, 3, 4, 5, 6, 7, 8, 9};
  const std::vector<Case> cases{
      {"split", {}, 2, {2, 3}},
      // Task 2 of 3: an export that took the last task's permutation or
      // running statistics (or the slot evaluation left) would fail.
      {"permuted_phm", {"data.sequence=permuted", "target.phm=2"}, 2, all},
      {"convnet_bn_phm",
       {"data.sequence=permuted", "target.kind=convnet", "target.norm=batch", "target.phm=2",
        "target.channels=[4,4]", "target.fc_width=16"},
       2,
       all}};
  std::vector<std::string> files;
  std::vector<double> hnet_acc;
  for (const auto& c : cases) {
    const auto checkpoint = trained(c.name, c.overrides);
    hnet_acc.push_back(hnet_accuracies(checkpoint).at(c.task - 1));
    files.push_back(generated(checkpoint, c.task, c.name + ".safetensors"));
  }
  const auto results = rebuilt(files, kRoundTripTestImages);
  ASSERT_EQ(results.size(), cases.size());
  for (size_t i = 0; i < cases.size(); ++i) {
    SCOPED_TRACE(cases[i].name);
    // Trained networks, well above chance: a wrong permutation or label
    // mapping cannot match them by luck.
    EXPECT_GT(hnet_acc[i], 1.5 / static_cast<double>(cases[i].classes.size()));
    expect_same_accuracy(
        results[i], hnet_acc[i], examples_of(cases[i].classes, kRoundTripTestImages));
  }
}

TEST_F(PlainExportRoundTrip, NeumetaWidthsGiveTheRunsAccuracyInPyTorch) {
  const std::string config = path("neumeta.yaml");
  std::ofstream(config) << "threads: 1\n"
                           "data: {root: \""
                        << small_data_root()
                        << "\", train_limit: 1000, test_limit: 200, val_size: 100}\n"
                           "widths: {train: [4, 8], eval: [6, 8]}\n"
                           "mlp: {steps: 200}\n"
                           "baseline: {max_steps: 30, eval_every: 10, patience: 1}\n"
                           "generator: {hidden: [16], octaves: 3}\n"
                           "optimizer: {steps: 100, lr: 0.003}\n"
                           "implicit: {warmup_steps: 100, fit_rows: 8}\n"
                           "log: {every: 50}\n";
  auto r = test::run_hnet({"neumeta", config, "--out", path("run")}, {}, dir_.string());
  ASSERT_EQ(r.status, 0) << r.err;
  const auto summary = json::parse(test::slurp(path("run/summary.json")));
  const std::string generator = path("run/generator.safetensors");
  std::vector<std::string> files;
  for (const char* width : {"6", "8"}) {
    files.push_back(path(std::string("width") + width + ".safetensors"));
    r = test::run_hnet(
        {"neumeta", "export", generator, "--width", width, "--out", files.back()}, {},
        dir_.string());
    ASSERT_EQ(r.status, 0) << r.err;
  }
  const auto results = rebuilt(files, 200);
  ASSERT_EQ(results.size(), 2u);
  for (size_t i = 0; i < 2; ++i) {
    const double hnet_acc = summary.at("results").at(i).at("generated_acc").get<double>();
    expect_same_accuracy(results[i], hnet_acc, 200);
  }
  EXPECT_GT(summary.at("results").at(1).at("generated_acc").get<double>(), 0.2);

  // Widths the generator was not trained for, and files that are not a
  // generator, are bad input.
  expect_refused(
      {"neumeta", "export", generator, "--width", "9", "--out", path("w9.safetensors")},
      path("w9.safetensors"), {"width must lie in the trained range [4, 8] of ", "got 9"});
  expect_refused(
      {"neumeta", "export", files[0], "--width", "6", "--out", path("w.safetensors")},
      path("w.safetensors"), {"not the generator.safetensors of an hnet neumeta run"});
}

// `hnet demo --save`: the last task, as `hnet generate` writes it.
TEST_F(PlainExportRoundTrip, DemoSavesItsLastTask) {
  const std::string run = path("demo"), saved = path("last.safetensors");
  auto r = test::run_hnet(
      {"demo", "tasks=2", "threads=1", "data.root=" + small_data_root(), "optimizer.steps=20",
       "target.hidden=[16]", "--out", run, "--save", saved},
      {}, dir_.string());
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("task 2 (the last) written to " + saved));
  const double hnet_acc = hnet_accuracies(run + "/checkpoint.safetensors").at(1);
  const auto results = rebuilt({saved}, kRoundTripTestImages);
  ASSERT_EQ(results.size(), 1u);
  expect_same_accuracy(results[0], hnet_acc, examples_of({2, 3}, kRoundTripTestImages));

  // A --save the run could not write is refused before it trains.
  expect_refused(
      {"demo", "data.root=" + small_data_root(), "--out", path("demo2"), "--save",
       path("missing/last.safetensors")},
      path("demo2"), {"/missing does not exist"});
}

// A target that cannot be written as plain operations is named, exit 2.
TEST_F(PlainExportRoundTrip, ResNetCannotBeExportedYet) {
  const auto checkpoint = trained(
      "resnet", {"target.kind=resnet", "target.depth=8", "target.width=2", "optimizer.steps=5"});
  expect_refused(
      {"generate", checkpoint, "--task", "1", "--out", path("resnet.safetensors")},
      path("resnet.safetensors"),
      {"hnet::ResNet(depth=8", "cannot be written as plain operations yet"});
}

}  // namespace
}  // namespace hnet
