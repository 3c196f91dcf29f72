#include "hnet/app/neumeta_seeds.h"

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "hnet/app/run_folder.h"
#include "hnet/errors.h"
#include "hnet/io/atomic_file.h"
#include "hnet/io/file_safety.h"
#include "neumeta_folder.h"
#include "seed_statistics_json.h"

namespace hnet {
namespace {

using json = nlohmann::json;

// A finished seed's summary.json, checked to hold what the aggregate reads
// in the form this hnet writes: early-stopped baselines (a run of an older
// hnet, with fixed-step baselines, is refused rather than mixed in).
json read_summary(const std::string& path) {
  json s;
  std::ifstream in(path);
  try {
    s = json::parse(in);
  } catch (const json::exception& e) {
    HNET_CHECK_INPUT(false, path, ": not a NeuMeta summary (", e.what(), ")");
  }
  bool complete =
      s.is_object() && s.contains("results") && s["results"].is_array() && !s["results"].empty();
  for (const char* key : {"max_gap", "max_val_gap", "wall_seconds"}) {
    complete = complete && s.contains(key) && s[key].is_number();
  }
  for (const auto& row : complete ? s["results"] : json::array()) {
    for (const char* key :
         {"width", "gap", "generated_acc", "independent_acc", "independent_steps_run"}) {
      complete = complete && row.is_object() && row.contains(key) && row[key].is_number();
    }
  }
  HNET_CHECK_INPUT(
      complete, path,
      ": not a NeuMeta summary of this hnet (a field is missing, or its baselines were not "
      "stopped on validation); remove its folder or give another --out");
  return s;
}

}  // namespace

json neumeta_run_in_folder(
    const io::Config& config, const std::string& dir, bool holds_run,
    const NeumetaRunOptions& options) {
  const std::string path = (std::filesystem::path(dir) / "summary.json").string();
  if (io::path_exists(path)) {
    HNET_CHECK_INPUT(
        holds_run, dir,
        " holds a summary.json but no config.yaml; remove it or give another --out");
    return read_summary(path);
  }
  return json::parse(run_neumeta_experiment(config, dir, options).to_json());
}

std::vector<SeedStatistic> run_neumeta_seeds(
    const io::Config& config, const std::vector<int64_t>& seeds, const std::string& dir,
    const NeumetaRunOptions& options) {
  HNET_CHECK_INPUT(!seeds.empty(), "--seeds: no seed given");
  HNET_CHECK_INPUT(!dir.empty(), "the output folder of a multi-seed run must not be empty");
  check_run_keeps_inputs(dir, {"seeds.json"}, options.inputs);
  // Every folder is checked before the first seed trains.
  std::vector<bool> holds_run;
  for (int64_t seed : seeds) {
    holds_run.push_back(folder_holds_config(
        seed_folder(dir, seed), config_at_seed(config, seed), neumeta_config_schema()));
  }
  json runs = json::array();
  for (size_t i = 0; i < seeds.size(); ++i) {
    if (options.log) {
      *options.log << "seed " << seeds[i] << " (" << i + 1 << "/" << seeds.size() << ")\n";
    }
    auto summary = neumeta_run_in_folder(
        config_at_seed(config, seeds[i]), seed_folder(dir, seeds[i]), holds_run[i], options);
    summary["seed"] = seeds[i];
    runs.push_back(std::move(summary));
  }
  std::vector<SeedStatistic> stats;
  auto metric = [&](const std::string& name, bool higher_is_better, auto field) {
    std::vector<double> values;
    for (const auto& r : runs) values.push_back(field(r));
    stats.push_back(seed_statistic(name, values, seeds, higher_is_better));
  };
  metric("max_gap", false, [](const json& r) { return r.at("max_gap").get<double>(); });
  metric("max_val_gap", false, [](const json& r) { return r.at("max_val_gap").get<double>(); });
  const size_t widths = runs[0].at("results").size();
  for (size_t k = 0; k < widths; ++k) {
    const std::string w = "_w" + std::to_string(runs[0]["results"][k].at("width").get<int64_t>());
    metric(
        "gap" + w, false, [k](const json& r) { return r["results"][k].at("gap").get<double>(); });
    metric("generated_acc" + w, true, [k](const json& r) {
      return r["results"][k].at("generated_acc").get<double>();
    });
    metric("independent_acc" + w, true, [k](const json& r) {
      return r["results"][k].at("independent_acc").get<double>();
    });
  }
  metric("wall_seconds", false, [](const json& r) { return r.at("wall_seconds").get<double>(); });
  io::write_file_atomic(
      (std::filesystem::path(dir) / "seeds.json").string(),
      json{{"seeds", seeds}, {"statistics", statistics_json(stats)}, {"runs", runs}}.dump(2) +
          "\n");
  return stats;
}

}  // namespace hnet
