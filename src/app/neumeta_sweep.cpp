// `hnet sweep` over an `hnet neumeta` config (hnet/app/sweep.h).

#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "hnet/app/run_folder.h"
#include "hnet/app/sweep.h"
#include "hnet/errors.h"
#include "hnet/io/atomic_file.h"
#include "hnet/io/plot.h"
#include "neumeta_folder.h"
#include "sweep_grid.h"

namespace hnet {

NeumetaSweepResult run_neumeta_sweep(
    const io::Config& config, const std::vector<SweepAxis>& axes, const std::string& dir,
    const SweepOptions& options) {
  check_sweep_grid(axes, dir, options.max_points);
  check_run_keeps_inputs(dir, {"sweep.json", "sweep.png"}, options.run.inputs);
  NeumetaRunOptions run;
  run.log = options.run.log;
  run.terminal = options.run.terminal;
  run.inputs = options.run.inputs;
  // Every point is resolved and its folder checked before any trains.
  const auto overrides = sweep_points(axes);
  std::vector<io::Config> configs;
  std::vector<bool> holds_run;
  for (size_t i = 0; i < overrides.size(); ++i) {
    auto with_split = overrides[i];
    with_split.push_back("eval.split=val");
    configs.push_back(config.with_overrides(with_split));
    holds_run.push_back(
        folder_holds_config(sweep_point_folder(dir, i), configs.back(), neumeta_config_schema()));
  }
  NeumetaSweepResult result;
  result.axes = axes;
  for (size_t i = 0; i < overrides.size(); ++i) {
    if (run.log) {
      *run.log << "point " << i << " (" << i + 1 << " of " << overrides.size()
               << "): " << joined_overrides(overrides[i]) << "\n";
    }
    const auto s = neumeta_run_in_folder(configs[i], sweep_point_folder(dir, i), holds_run[i], run);
    NeumetaSweepPoint p;
    p.overrides = overrides[i];
    for (const auto& row : s.at("results")) {
      p.generated_acc.push_back(row.at("generated_acc").get<double>());
    }
    for (double a : p.generated_acc) p.mean_generated_acc += a / p.generated_acc.size();
    p.max_gap = s.at("max_gap").get<double>();
    p.wall_seconds = s.at("wall_seconds").get<double>();
    result.points.push_back(p);
    if (p.mean_generated_acc > result.points[result.chosen].mean_generated_acc) result.chosen = i;
  }
  // The one look at the test set: the chosen point's networks.
  result.test = evaluate_neumeta_run(sweep_point_folder(dir, result.chosen));
  io::write_file_atomic(
      (std::filesystem::path(dir) / "sweep.json").string(), result.to_json() + "\n");
  if (io::gnuplot_available()) {
    std::vector<double> x, val;
    for (size_t i = 0; i < result.points.size(); ++i) {
      x.push_back(static_cast<double>(i));
      val.push_back(result.points[i].mean_generated_acc);
    }
    io::plot_accuracy_curves(
        (std::filesystem::path(dir) / "sweep.png").string(), x,
        {{"validation accuracy, mean over widths", val}},
        "NeuMeta sweep (chosen: point " + std::to_string(result.chosen) + ")", "grid point",
        "validation accuracy");
  }
  return result;
}

std::string NeumetaSweepResult::to_json() const {
  nlohmann::json axes_json = nlohmann::json::array();
  for (const auto& a : axes) axes_json.push_back({{"key", a.key}, {"values", a.values}});
  nlohmann::json points_json = nlohmann::json::array();
  for (size_t i = 0; i < points.size(); ++i) {
    const auto& p = points[i];
    points_json.push_back(
        {{"point", i},
         {"overrides", p.overrides},
         {"val_generated_acc", p.generated_acc},
         {"val_mean_generated_acc", p.mean_generated_acc},
         {"val_max_gap", p.max_gap},
         {"wall_seconds", p.wall_seconds}});
  }
  nlohmann::json tested = nlohmann::json::array();
  for (const auto& r : test.results) {
    tested.push_back(
        {{"width", r.width},
         {"trained", r.trained},
         {"generated_acc", r.generated_acc},
         {"independent_acc", r.independent_acc},
         {"gap", r.gap}});
  }
  return nlohmann::json{
      {"selection",
       "highest mean generated validation accuracy over the evaluated widths (first on ties)"},
      {"axes", axes_json},
      {"points", points_json},
      {"chosen", chosen},
      {"chosen_overrides", points[chosen].overrides},
      {"test", tested},
      {"test_max_gap", test.max_gap}}
      .dump(2);
}

void NeumetaSweepResult::print_table(std::ostream& out) const {
  char line[160];
  for (size_t i = 0; i < points.size(); ++i) {
    const auto& p = points[i];
    std::snprintf(
        line, sizeof line, "%s point %-3zu val %.4f  max gap %+.4f  %7.1f s  ",
        i == chosen ? "*" : " ", i, p.mean_generated_acc, p.max_gap, p.wall_seconds);
    out << line << joined_overrides(p.overrides) << "\n";
  }
  std::snprintf(
      line, sizeof line, "chosen on validation: point %zu; on the test set its largest gap %+.4f\n",
      chosen, test.max_gap);
  out << line;
}

}  // namespace hnet
