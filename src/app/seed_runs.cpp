#include "hnet/app/seed_runs.h"

#include <c10/util/Exception.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <numeric>
#include <set>

#include "hnet/app/continual_experiment.h"
#include "hnet/app/run_folder.h"
#include "hnet/errors.h"
#include "hnet/io/atomic_file.h"
#include "hnet/io/file_safety.h"
#include "seed_statistics_json.h"

namespace hnet {
namespace {

constexpr int64_t kMaxSeed = 1000000000;
constexpr size_t kMaxSeeds = 100;

// A seed of a --seeds value: 1 to 10 decimal digits, at most kMaxSeed.
int64_t parse_seed(const std::string& part, const std::string& text) {
  const bool digits =
      !part.empty() && part.size() <= 10 &&
      std::all_of(part.begin(), part.end(), [](char ch) { return ch >= '0' && ch <= '9'; });
  const int64_t value = digits ? std::stoll(part) : -1;
  HNET_CHECK_INPUT(
      digits && value <= kMaxSeed, "--seeds '", text, "': '", part,
      "' is not a seed (an integer in [0, ", kMaxSeed, "])");
  return value;
}

}  // namespace

std::string seed_folder(const std::string& dir, int64_t seed) {
  return (std::filesystem::path(dir) / ("seed-" + std::to_string(seed))).string();
}

io::Config config_at_seed(const io::Config& config, int64_t seed) {
  return config.with_overrides({"seed=" + std::to_string(seed)});
}

std::vector<int64_t> parse_seed_list(const std::string& text) {
  HNET_CHECK_INPUT(!text.empty(), "--seeds: empty, expected seeds such as 1-5 or 1,2,3");
  std::vector<int64_t> seeds;
  size_t start = 0;
  while (true) {
    const size_t comma = text.find(',', start);
    const std::string part = text.substr(start, comma == std::string::npos ? comma : comma - start);
    const size_t dash = part.find('-');
    const int64_t first = parse_seed(part.substr(0, dash), text);
    const int64_t last =
        dash == std::string::npos ? first : parse_seed(part.substr(dash + 1), text);
    HNET_CHECK_INPUT(
        first <= last && last - first < static_cast<int64_t>(kMaxSeeds), "--seeds '", text,
        "': range '", part, "' must go up and hold at most ", kMaxSeeds, " seeds");
    for (int64_t s = first; s <= last; ++s) seeds.push_back(s);
    HNET_CHECK_INPUT(
        seeds.size() <= kMaxSeeds, "--seeds '", text, "': more than ", kMaxSeeds, " seeds");
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  const std::set<int64_t> unique(seeds.begin(), seeds.end());
  HNET_CHECK_INPUT(unique.size() == seeds.size(), "--seeds '", text, "': a seed repeats");
  return seeds;
}

SeedStatistic seed_statistic(
    const std::string& name, const std::vector<double>& values, const std::vector<int64_t>& seeds,
    bool higher_is_better) {
  TORCH_CHECK(
      !values.empty() && values.size() == seeds.size(), "seed_statistic: ", values.size(),
      " values for ", seeds.size(), " seeds");
  SeedStatistic s;
  s.name = name;
  s.values = values;
  const double n = static_cast<double>(values.size());
  s.mean = std::accumulate(values.begin(), values.end(), 0.0) / n;
  double squares = 0;
  for (double v : values) squares += (v - s.mean) * (v - s.mean);
  s.std = values.size() > 1 ? std::sqrt(squares / (n - 1)) : 0.0;
  size_t worst = 0;
  for (size_t i = 1; i < values.size(); ++i) {
    if (higher_is_better ? values[i] < values[worst] : values[i] > values[worst]) worst = i;
  }
  s.worst = values[worst];
  s.worst_seed = seeds[worst];
  return s;
}

nlohmann::json statistics_json(const std::vector<SeedStatistic>& statistics) {
  nlohmann::json out = nlohmann::json::object();
  for (const auto& s : statistics) {
    out[s.name] = {
        {"mean", s.mean},
        {"std", s.std},
        {"worst", s.worst},
        {"worst_seed", s.worst_seed},
        {"values", s.values}};
  }
  return out;
}

std::string SeedRuns::to_json() const {
  nlohmann::json runs = nlohmann::json::array();
  for (size_t i = 0; i < seeds.size(); ++i) {
    auto run = nlohmann::json::parse(summaries[i].to_json());
    run["seed"] = seeds[i];
    runs.push_back(run);
  }
  return nlohmann::json{
      {"seeds", seeds}, {"statistics", statistics_json(statistics)}, {"runs", runs}}
      .dump(2);
}

SeedRuns run_seeds(
    const io::Config& config, const std::vector<int64_t>& seeds, const std::string& dir,
    const ContinualRunOptions& options) {
  HNET_CHECK_INPUT(!seeds.empty(), "--seeds: no seed given");
  HNET_CHECK_INPUT(!dir.empty(), "the output folder of a multi-seed run must not be empty");
  check_run_keeps_inputs(dir, {"seeds.json"}, options.inputs);
  std::vector<FolderRun> runs;
  for (size_t i = 0; i < seeds.size(); ++i) {
    runs.push_back(
        {config_at_seed(config, seeds[i]), seed_folder(dir, seeds[i]),
         "seed " + std::to_string(seeds[i]) + " (" + std::to_string(i + 1) + "/" +
             std::to_string(seeds.size()) + ")"});
  }
  SeedRuns out;
  out.seeds = seeds;
  out.summaries = run_in_folders(runs, options);
  auto metric = [&](const char* name, bool higher_is_better, auto field) {
    std::vector<double> values;
    for (const auto& s : out.summaries) values.push_back(field(s));
    out.statistics.push_back(seed_statistic(name, values, seeds, higher_is_better));
  };
  metric("mean_acc_final", true, [](const ContinualSummary& s) { return s.mean_acc_final; });
  metric("forgetting", false, [](const ContinualSummary& s) { return s.forgetting; });
  metric("bwt", true, [](const ContinualSummary& s) { return s.bwt; });
  if (!out.summaries[0].acc_universal.empty()) {
    metric(
        "mean_acc_universal", true, [](const ContinualSummary& s) { return s.mean_acc_universal; });
  }
  metric("scenario_task", true, [](const ContinualSummary& s) { return s.scenarios.task.mean; });
  metric(
      "scenario_domain", true, [](const ContinualSummary& s) { return s.scenarios.domain.mean; });
  metric("scenario_class", true, [](const ContinualSummary& s) { return s.scenarios.cls.mean; });
  metric("task_inference", true, [](const ContinualSummary& s) {
    return s.scenarios.task_inference.mean;
  });
  metric("wall_seconds", false, [](const ContinualSummary& s) { return s.wall_seconds; });
  if (options.dist.rank == 0) {  // other ranks write nothing (ContinualRunOptions::dist)
    io::write_file_atomic(
        (std::filesystem::path(dir) / "seeds.json").string(), out.to_json() + "\n");
  }
  return out;
}

}  // namespace hnet
