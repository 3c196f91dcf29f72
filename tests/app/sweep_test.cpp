// hnet sweep: the axis parser, the checks made before anything trains, and a
// tiny two-point grid chosen on validation and continued when run again.

#include "hnet/app/sweep.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "hnet/app/continual_experiment.h"
#include "support/cli_process.h"
#include "support/test_support.h"
#include "two_task_config.h"

namespace hnet {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

TEST(SweepAxes, ValuesSplitOutsideBrackets) {
  const auto axes = parse_sweep_axes({"optimizer.lr=1e-4,1e-3", "target.hidden=[100,100],[200]"});
  ASSERT_EQ(axes.size(), 2u);
  EXPECT_EQ(axes[0].key, "optimizer.lr");
  EXPECT_EQ(axes[0].values, (std::vector<std::string>{"1e-4", "1e-3"}));
  EXPECT_EQ(axes[1].values, (std::vector<std::string>{"[100,100]", "[200]"}));
}

TEST(SweepAxes, MalformedAxesAreBadInput) {
  for (const char* bad :
       {"optimizer.lr", "=1,2", "optimizer.lr=", "optimizer.lr=1,,2", "optimizer.lr=1,",
        "target.hidden=[1,2", "target.hidden=1]"}) {
    EXPECT_THROW(parse_sweep_axes({bad}), c10::ValueError) << bad;
  }
  EXPECT_THROW_WITH(parse_sweep_axes({"seed=1,2", "seed=3"}), "key 'seed' is already an axis");
  EXPECT_THROW_WITH(parse_sweep_axes({"seed=1,2,1"}), "value '1' repeats");
}

TEST(Sweep, BadGridsAreRefusedBeforeAnythingIsWritten) {
  const std::string dir = test::scratch_dir() + "/sweep";
  const auto c = test::two_task_config();
  auto refused = [&](const std::vector<std::string>& args, const std::string& message,
                     SweepOptions options = {}) {
    EXPECT_THROW_WITH(run_sweep(c, parse_sweep_axes(args), dir, options), message);
    EXPECT_FALSE(fs::exists(dir)) << message;
  };
  refused({"optimzer.lr=0.1,0.2"}, "unknown key 'optimzer.lr'");
  refused({"optimizer.lr=0.1,-1"}, "'optimizer.lr' must be > 0, got -1");
  refused({"eval.split=test,val"}, "'eval.split' cannot be an axis");
  refused({"eval.scenario=task,class"}, "'eval.scenario' cannot be an axis");
  refused({"data.val_fraction=0.1,0"}, "point 1 (data.val_fraction=0) has 'data.val_fraction' 0");
  SweepOptions small;
  small.max_points = 3;
  refused({"seed=1,2", "optimizer.lr=0.1,0.2"}, "the grid has 4 points, more than the 3", small);
  std::vector<std::string> big;
  for (int i = 0; i < 4; ++i) big.push_back("seed=1,2,3,4,5,6");  // the same key...
  EXPECT_THROW(parse_sweep_axes(big), c10::ValueError);           // ...is refused first
  refused(
      {"seed=1,2,3,4,5,6,7,8,9,10", "optimizer.steps=1,2,3,4,5,6,7,8,9,10",
       "log.every=1,2,3,4,5,6,7,8,9,10,11"},
      "the grid has 1100 points, more than the 1000");
  EXPECT_THROW(run_sweep(c, {}, dir), c10::ValueError);
}

TEST(Sweep, ChoosesOnValidationTestsTheChosenPointOnceAndContinues) {
  if (!test::have_fashion_mnist()) GTEST_SKIP() << "Fashion-MNIST not installed";
  const std::string dir = test::scratch_dir() + "/sweep";
  const auto axes = parse_sweep_axes({"optimizer.lr=0.00001,0.003"});
  const auto result = run_sweep(test::two_task_config(), axes, dir);
  ASSERT_EQ(result.points.size(), 2u);
  // Each point is a run measured on validation data.
  for (size_t i = 0; i < 2; ++i) {
    const auto saved = io::Config::resolve(
        continual_config_schema(), dir + "/point-" + std::to_string(i) + "/config.yaml", {});
    EXPECT_EQ(saved.get_string("eval.split"), "val");
  }
  EXPECT_EQ(result.points[1].overrides, (std::vector<std::string>{"optimizer.lr=0.003"}));
  // The chosen point is the one with the higher validation accuracy; a
  // learning rate of 1e-5 over 15 steps barely learns.
  const double a = result.points[0].validation.mean_acc_final;
  const double b = result.points[1].validation.mean_acc_final;
  EXPECT_GT(b, a);
  EXPECT_EQ(result.chosen, 1u);
  // Its test accuracy is that of its checkpoint on the test set.
  EXPECT_EQ(result.test_acc, evaluate_checkpoint(dir + "/point-1/checkpoint.safetensors"));
  const auto saved = json::parse(test::slurp(dir + "/sweep.json"));
  EXPECT_EQ(saved["chosen"], 1);
  EXPECT_EQ(saved["test_acc"].get<std::vector<double>>(), result.test_acc);
  EXPECT_EQ(saved["points"][0]["val_mean_acc_final"].get<double>(), a);
  // Run again: finished points are not trained again.
  const std::string log = test::slurp(dir + "/point-0/metrics.jsonl");
  const auto again = run_sweep(test::two_task_config(), axes, dir);
  EXPECT_EQ(test::slurp(dir + "/point-0/metrics.jsonl"), log);
  EXPECT_EQ(again.test_acc, result.test_acc);
  // Another grid into the same folder is refused before it trains.
  EXPECT_THROW_WITH(
      run_sweep(test::two_task_config(), parse_sweep_axes({"optimizer.lr=0.001,0.003"}), dir),
      "another configuration (optimizer.lr: 1e-05 there, 0.001 here)");
}

}  // namespace
}  // namespace hnet
