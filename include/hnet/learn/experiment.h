#pragma once
/// \file
/// The continual-learning experiment behind `hnet train`, `hnet eval` and
/// `hnet generate`: a configuration (schema below) is turned into data,
/// target, generator and learner; a run writes into one folder
///
///   config.yaml             the resolved configuration
///   metrics.jsonl           one JSON object per logged step and per evaluation
///   checkpoint.safetensors  learner state + metadata (config, accuracy matrix),
///                           written atomically after every task
///   summary.json            the contract's summary (method, accuracies, forgetting, ...)
///   accuracy.png            heat map of the test-accuracy matrix
///
/// and can be resumed from its last checkpoint (task boundary).

#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "hnet/data/task_sequence.h"
#include "hnet/io/config.h"
#include "hnet/learn/continual.h"

namespace hnet {

/// Every key a continual-learning config may hold, with defaults and rules.
io::ConfigSchema continual_config_schema();

/// Data, models and learner built from a resolved configuration.
struct Experiment {
  explicit Experiment(io::Config config) : config(std::move(config)) {}

  io::Config config;
  std::vector<data::Task> tasks;
  Mlp target{nullptr};
  std::shared_ptr<WeightGenerator> generator;
  std::unique_ptr<ContinualLearner> learner;

  /// Loads the data and builds the models; throws naming the key or file at fault.
  static Experiment build(const io::Config& config);
  /// Rebuilds the experiment saved in a checkpoint and loads its state.
  /// `tasks_done` receives how many tasks it had learned.
  static Experiment from_checkpoint(const std::string& path, int64_t* tasks_done);
};

struct TrainOptions {
  std::string out_dir;
  /// Continue the run in out_dir from its checkpoint (the config comes from it).
  bool resume = false;
  /// Where progress goes; `terminal` selects the redrawn bar.
  std::ostream* log = nullptr;
  bool terminal = false;
  /// Stop after this many tasks in total (0: all), leaving a resumable run;
  /// used to split long runs and by the resume tests.
  int64_t stop_after = 0;
};

/// Runs (or resumes) the experiment; returns the summary also written to
/// summary.json, as JSON text.
std::string run_continual_experiment(const io::Config& config, const TrainOptions& options);

/// Test accuracy of every learned task of a checkpoint, in task order.
std::vector<double> evaluate_checkpoint(const std::string& path);

/// Writes task `task` (1-based)'s generated weights as a plain safetensors
/// file with the target's parameter names (metadata: target architecture
/// and task; permuted tasks add the tensor "input_permutation").
void generate_from_checkpoint(const std::string& path, int64_t task, const std::string& out);

}  // namespace hnet
