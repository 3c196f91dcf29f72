// Multi-seed runs: the --seeds parser, the statistics by hand, and a tiny
// two-seed run that continues when run again.

#include "hnet/app/seed_runs.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
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

TEST(SeedList, RangesListsAndBoth) {
  EXPECT_EQ(parse_seed_list("1-5"), (std::vector<int64_t>{1, 2, 3, 4, 5}));
  EXPECT_EQ(parse_seed_list("1,4,9"), (std::vector<int64_t>{1, 4, 9}));
  EXPECT_EQ(parse_seed_list("7"), (std::vector<int64_t>{7}));
  EXPECT_EQ(parse_seed_list("0-2,10"), (std::vector<int64_t>{0, 1, 2, 10}));
}

TEST(SeedList, BadTextIsBadInput) {
  for (const char* bad :
       {"", "a", "1,,2", "-3", "5-1", "1-2-3", "1,", "1.5", "99999999999", "2000000000", "1-101",
        "1-3,2", " 1"}) {
    EXPECT_THROW(parse_seed_list(bad), c10::ValueError) << bad;
  }
  EXPECT_THROW_WITH(parse_seed_list("1-3,2"), "a seed repeats");
  EXPECT_THROW_WITH(parse_seed_list("1,x"), "--seeds '1,x': 'x' is not a seed");
}

// By hand: values 0.90, 0.96, 0.93 at seeds 4, 5, 6: mean 0.93, sample
// variance (0.0009 + 0.0009 + 0) / 2 = 0.0009, std 0.03.
TEST(SeedStatistic, MeanSampleStdAndWorstSeed) {
  const auto acc = seed_statistic("acc", {0.90, 0.96, 0.93}, {4, 5, 6}, true);
  EXPECT_NEAR(acc.mean, 0.93, 1e-12);
  EXPECT_NEAR(acc.std, 0.03, 1e-12);
  EXPECT_EQ(acc.worst, 0.90);
  EXPECT_EQ(acc.worst_seed, 4);
  const auto forgetting = seed_statistic("forgetting", {0.90, 0.96, 0.93}, {4, 5, 6}, false);
  EXPECT_EQ(forgetting.worst, 0.96);
  EXPECT_EQ(forgetting.worst_seed, 5);
  const auto one = seed_statistic("acc", {0.5}, {1}, true);
  EXPECT_EQ(one.std, 0);
  EXPECT_THROW(seed_statistic("acc", {0.5}, {1, 2}, true), c10::Error);
}

TEST(SeedRuns, EachSeedItsOwnRunAndARerunContinues) {
  if (!test::have_fashion_mnist()) GTEST_SKIP() << "Fashion-MNIST not installed";
  const std::string dir = test::scratch_dir() + "/seeds";
  // Seed 8 was killed after its first task by an earlier call: it resumes,
  // and ends as a run that was never stopped.
  ContinualRunOptions first_task;
  first_task.stop_after = 1;
  EXPECT_FALSE(
      run_continual_experiment(test::two_task_config({"seed=8"}), dir + "/seed-8", first_task));
  const auto whole =
      run_continual_experiment(test::two_task_config({"seed=8"}), test::scratch_dir() + "/whole");
  const auto runs = run_seeds(test::two_task_config(), {3, 8}, dir);
  ASSERT_TRUE(whole.has_value());
  EXPECT_EQ(runs.summaries[1].acc_matrix, whole->acc_matrix);
  ASSERT_EQ(runs.summaries.size(), 2u);
  const auto seeds = json::parse(test::slurp(dir + "/seeds.json"));
  EXPECT_EQ(seeds["seeds"], (std::vector<int64_t>{3, 8}));
  // Each seed's folder is an ordinary run at that seed, and seeds.json
  // carries its summary and the statistics of its values.
  std::vector<double> finals;
  for (int64_t seed : {3, 8}) {
    const std::string folder = dir + "/seed-" + std::to_string(seed);
    const auto summary = json::parse(test::slurp(folder + "/summary.json"));
    const auto saved = io::Config::resolve(continual_config_schema(), folder + "/config.yaml", {});
    EXPECT_EQ(saved.get_int("seed"), seed);
    finals.push_back(summary["mean_acc_final"].get<double>());
  }
  EXPECT_NE(finals[0], finals[1]);  // different seeds, different draws
  const auto& stat = seeds["statistics"]["mean_acc_final"];
  EXPECT_EQ(stat["values"].get<std::vector<double>>(), finals);
  EXPECT_DOUBLE_EQ(stat["mean"].get<double>(), (finals[0] + finals[1]) / 2);
  EXPECT_NEAR(stat["std"].get<double>(), std::abs(finals[0] - finals[1]) / std::sqrt(2.0), 1e-12);
  EXPECT_EQ(stat["worst"].get<double>(), std::min(finals[0], finals[1]));
  for (const char* name : {"forgetting", "bwt", "wall_seconds"}) {
    EXPECT_TRUE(seeds["statistics"].contains(name)) << name;
  }
  // Run again: nothing is trained again (the metrics logs stay as they are)
  // and the results are the same.
  const std::string log_before = test::slurp(dir + "/seed-8/metrics.jsonl");
  const auto again = run_seeds(test::two_task_config(), {3, 8}, dir);
  EXPECT_EQ(test::slurp(dir + "/seed-8/metrics.jsonl"), log_before);
  EXPECT_EQ(again.summaries[1].acc_final, runs.summaries[1].acc_final);
  // A folder holding another configuration's runs is refused before training.
  EXPECT_THROW_WITH(
      run_seeds(test::two_task_config({"optimizer.lr=0.002"}), {3}, dir),
      "another configuration (optimizer.lr: 0.001 there, 0.002 here)");
  EXPECT_THROW(run_seeds(test::two_task_config(), {}, dir), c10::ValueError);
}

}  // namespace
}  // namespace hnet
