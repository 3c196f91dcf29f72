#include "hnet/app/sweep.h"

#include <c10/util/Exception.h>

#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <numeric>
#include <set>

#include "hnet/app/continual_experiment.h"
#include "hnet/app/run_folder.h"
#include "hnet/count.h"
#include "hnet/errors.h"
#include "hnet/io/atomic_file.h"
#include "hnet/io/plot.h"
#include "sweep_grid.h"

namespace hnet {
namespace {

constexpr const char* kForcedSplit = "eval.split=val";

// The values of one "key=v1,v2" argument: split at commas outside [] and {}.
std::vector<std::string> split_values(const std::string& text, const std::string& arg) {
  std::vector<std::string> values;
  std::string current;
  int depth = 0;
  for (char ch : text) {
    if (ch == '[' || ch == '{') ++depth;
    if (ch == ']' || ch == '}') --depth;
    HNET_CHECK_INPUT(depth >= 0, "sweep axis '", arg, "': a bracket closes that was not opened");
    if (ch == ',' && depth == 0) {
      values.push_back(current);
      current.clear();
    } else {
      current += ch;
    }
  }
  HNET_CHECK_INPUT(depth == 0, "sweep axis '", arg, "': a bracket is not closed");
  values.push_back(current);
  std::set<std::string> seen;
  for (const auto& v : values) {
    HNET_CHECK_INPUT(!v.empty(), "sweep axis '", arg, "': an empty value");
    HNET_CHECK_INPUT(seen.insert(v).second, "sweep axis '", arg, "': value '", v, "' repeats");
  }
  return values;
}

}  // namespace

std::vector<SweepAxis> parse_sweep_axes(const std::vector<std::string>& args) {
  std::vector<SweepAxis> axes;
  std::set<std::string> keys;
  for (const auto& arg : args) {
    const size_t eq = arg.find('=');
    HNET_CHECK_INPUT(
        eq != std::string::npos && eq > 0 && eq + 1 < arg.size(), "sweep axis '", arg,
        "' must look like key=v1,v2,...");
    SweepAxis axis{arg.substr(0, eq), split_values(arg.substr(eq + 1), arg)};
    HNET_CHECK_INPUT(
        keys.insert(axis.key).second, "sweep axis '", arg, "': key '", axis.key,
        "' is already an axis");
    axes.push_back(std::move(axis));
  }
  return axes;
}

SweepResult run_sweep(
    const io::Config& config, const std::vector<SweepAxis>& axes, const std::string& dir,
    const SweepOptions& options) {
  check_sweep_grid(axes, dir, options.max_points);
  check_run_keeps_inputs(dir, {"sweep.json", "sweep.png"}, options.run.inputs);
  // Every point is resolved (and, in run_in_folders, its folder checked)
  // before any trains.
  SweepResult result;
  result.axes = axes;
  const auto points = sweep_points(axes);
  std::vector<FolderRun> runs;
  for (size_t i = 0; i < points.size(); ++i) {
    auto overrides = points[i];
    overrides.push_back(kForcedSplit);
    auto point = config.with_overrides(overrides);
    HNET_CHECK_INPUT(
        point.get_float("data.val_fraction") > 0, "sweep: point ", i, " (",
        joined_overrides(points[i]),
        ") has 'data.val_fraction' 0: no validation data to choose on");
    runs.push_back(
        {point, sweep_point_folder(dir, i),
         "point " + std::to_string(i) + " (" + std::to_string(i + 1) + " of " +
             std::to_string(points.size()) + "): " + joined_overrides(points[i])});
  }
  const auto summaries = run_in_folders(runs, options.run);
  for (size_t i = 0; i < points.size(); ++i) result.points.push_back({points[i], summaries[i]});
  for (size_t i = 1; i < result.points.size(); ++i) {
    if (result.points[i].validation.mean_acc_final >
        result.points[result.chosen].validation.mean_acc_final)
      result.chosen = i;
  }
  // The one look at the test set: the chosen point's final networks.
  result.test_acc =
      evaluate_checkpoint(sweep_point_folder(dir, result.chosen) + "/checkpoint.safetensors");
  result.test_mean_acc = std::accumulate(result.test_acc.begin(), result.test_acc.end(), 0.0) /
                         static_cast<double>(result.test_acc.size());
  io::write_file_atomic(
      (std::filesystem::path(dir) / "sweep.json").string(), result.to_json() + "\n");
  if (io::gnuplot_available()) {
    std::vector<double> x, val;
    for (size_t i = 0; i < result.points.size(); ++i) {
      x.push_back(static_cast<double>(i));
      val.push_back(result.points[i].validation.mean_acc_final);
    }
    io::plot_accuracy_curves(
        (std::filesystem::path(dir) / "sweep.png").string(), x,
        {{"validation mean final accuracy", val}},
        "sweep (chosen: point " + std::to_string(result.chosen) + ")", "grid point",
        "validation accuracy");
  }
  return result;
}

std::string SweepResult::to_json() const {
  nlohmann::json axes_json = nlohmann::json::array();
  for (const auto& a : axes) axes_json.push_back({{"key", a.key}, {"values", a.values}});
  nlohmann::json points_json = nlohmann::json::array();
  for (size_t i = 0; i < points.size(); ++i) {
    const auto& v = points[i].validation;
    points_json.push_back(
        {{"point", i},
         {"overrides", points[i].overrides},
         {"val_mean_acc_final", v.mean_acc_final},
         {"val_acc_final", v.acc_final},
         {"val_forgetting", v.forgetting},
         {"val_bwt", v.bwt},
         {"wall_seconds", v.wall_seconds}});
  }
  return nlohmann::json{
      {"selection", "highest validation mean final accuracy (first point on ties)"},
      {"axes", axes_json},
      {"points", points_json},
      {"chosen", chosen},
      {"chosen_overrides", points[chosen].overrides},
      {"test_acc", test_acc},
      {"test_mean_acc", test_mean_acc}}
      .dump(2);
}

void SweepResult::print_table(std::ostream& out) const {
  char line[160];
  for (size_t i = 0; i < points.size(); ++i) {
    const auto& v = points[i].validation;
    std::snprintf(
        line, sizeof line, "%s point %-3zu val %.4f  forgetting %.4f  %7.1f s  ",
        i == chosen ? "*" : " ", i, v.mean_acc_final, v.forgetting, v.wall_seconds);
    out << line << joined_overrides(points[i].overrides) << "\n";
  }
  std::snprintf(
      line, sizeof line, "chosen on validation: point %zu; its test mean final accuracy %.4f\n",
      chosen, test_mean_acc);
  out << line;
}

}  // namespace hnet
