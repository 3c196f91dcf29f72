#pragma once
/// \file
/// A grid of settings of one continual-learning config, chosen on
/// validation data only (`hnet sweep CONFIG key=v1,v2 ... --out DIR`).
///
/// Every point of the grid runs with `eval.split: val`, so its accuracies
/// are measured on the held-out part of each task's training set; the points
/// are ranked by their mean final validation accuracy, and only the chosen
/// point is then evaluated on the test set, once. The sweep writes into
///
///   DIR/point-<i>/  one ordinary run folder per grid point (continual_run.h)
///   DIR/sweep.json  the grid, each point's validation results, the chosen
///                   point and its test accuracy
///   DIR/sweep.png   validation mean final accuracy of each point
///
/// The points run one after the other. Running the same command again
/// continues: finished points are read back, a killed one resumes.

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include "hnet/app/continual_run.h"
#include "hnet/app/neumeta_run.h"
#include "hnet/io/config.h"

namespace hnet {

/// One key of the grid and the values it takes, as YAML text.
struct SweepAxis {
  std::string key;
  std::vector<std::string> values;
};

/// The axes of `args`, each "key=v1,v2,...": values are split at commas
/// outside brackets, so "target.hidden=[100,100],[200]" has two values.
/// c10::ValueError quoting the argument when it has no '=', an empty key or
/// value, a key given twice, a value given twice, or unbalanced brackets.
/// Values are compared as text: 0.001 and 1e-3 are two points.
std::vector<SweepAxis> parse_sweep_axes(const std::vector<std::string>& args);

/// Grids above this many points need an explicit `max_points`.
constexpr int64_t kDefaultMaxSweepPoints = 1000;

struct SweepOptions {
  /// The largest grid accepted (c10::ValueError before anything runs).
  int64_t max_points = kDefaultMaxSweepPoints;
  /// Options of every point's run (stop_after must be 0).
  ContinualRunOptions run;
};

/// One grid point: its overrides ("key=value", in axis order) and results.
struct SweepPoint {
  std::vector<std::string> overrides;
  ContinualSummary validation;  ///< the run's summary, measured on validation data
};

struct SweepResult {
  std::vector<SweepAxis> axes;
  std::vector<SweepPoint> points;  ///< in grid order (the last axis varies fastest)
  size_t chosen = 0;               ///< the highest validation mean final accuracy (first on ties)
  std::vector<double> test_acc;    ///< the chosen point's final test accuracy per task
  double test_mean_acc = 0;

  /// The sweep.json text (two-space indented).
  std::string to_json() const;
  /// One line per point (overrides, validation mean final, forgetting, wall
  /// time; the chosen one marked) and the chosen point's test accuracy.
  void print_table(std::ostream& out) const;
};

/// Runs the grid `axes` over `config` into `dir` (see the file comment).
/// Every point's configuration is resolved (each value against its key's
/// rule), and every point folder checked (a folder holding another
/// configuration's run is bad input), before any point trains. Values that
/// pass their rules but cannot be built together (a rank above a layer's
/// size, a model over `limits.max_parameters`) are found when their point
/// is built, after the points before it have run. c10::ValueError for an empty grid, a grid larger
/// than `options.max_points`, an axis over `eval.split`, a value its key's rule refuses, or a
/// config without validation data (`data.val_fraction` 0).
SweepResult run_sweep(
    const io::Config& config, const std::vector<SweepAxis>& axes, const std::string& dir,
    const SweepOptions& options = {});

/// One grid point of a NeuMeta sweep, measured on validation data.
struct NeumetaSweepPoint {
  std::vector<std::string> overrides;
  std::vector<double> generated_acc;  ///< per evaluated width
  double mean_generated_acc = 0;      ///< what the points are ranked by
  double max_gap = 0;                 ///< independent - generated, largest over widths
  double wall_seconds = 0;
};

struct NeumetaSweepResult {
  std::vector<SweepAxis> axes;
  std::vector<NeumetaSweepPoint> points;
  size_t chosen = 0;  ///< the highest mean generated validation accuracy (first on ties)
  /// The chosen point's generated and independent MLPs on the test set
  /// (evaluate_neumeta_run).
  NeumetaSummary test;

  std::string to_json() const;
  void print_table(std::ostream& out) const;
};

/// The sweep of a NeuMeta config (`hnet sweep` on an `hnet neumeta` config):
/// every point is an ordinary NeuMeta run in DIR/point-<i> with
/// `eval.split: val`, so it measures every width on the held-out training
/// images and never reads the test set; points are ranked by their mean
/// generated validation accuracy over the evaluated widths, and only the
/// chosen point's generated and independent MLPs are then tested. Writes
/// DIR/sweep.json (and DIR/sweep.png); the same call again reads finished
/// points back (a NeuMeta run has no checkpoint: a killed point starts
/// again). Bad input as run_sweep.
NeumetaSweepResult run_neumeta_sweep(
    const io::Config& config, const std::vector<SweepAxis>& axes, const std::string& dir,
    const SweepOptions& options);

}  // namespace hnet
