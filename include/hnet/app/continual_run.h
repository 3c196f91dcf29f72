#pragma once
/// \file
/// Running a continual-learning experiment into one folder:
///
///   config.yaml             the resolved configuration
///   metrics.jsonl           one JSON object per logged step and per evaluation
///   checkpoint.safetensors  learner state + metadata (config, accuracy matrix),
///                           written atomically after every task
///   summary.json            the summary below, as JSON
///   accuracy.png            heat map of the test-accuracy matrix
///
/// A run killed at any point is continued from its last checkpoint (task
/// boundary) by resume_continual_experiment and ends with the same results.

#include <cstdint>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "hnet/distributed/communicator.h"
#include "hnet/io/config.h"
#include "hnet/learn/step_hooks.h"

namespace hnet {

/// Accuracy of each task after all tasks, and their mean.
struct TaskAccuracies {
  std::vector<double> per_task;
  double mean = 0;
};

/// The final model in the three continual-learning scenarios
/// (hnet/learn/task_inference.h): task id given, or inferred by entropy
/// among all tasks for domain and class; task_inference is how often the
/// inferred task was the true one.
struct ScenarioReport {
  TaskAccuracies task, domain, cls, task_inference;
};

/// What a finished run reports (summary.json holds the same fields).
struct ContinualSummary {
  std::string method;
  /// What the accuracies below were measured on: "test", or "val" (the
  /// held-out validation part) with `eval.split: val`.
  std::string split = "test";
  /// The scenario of acc_matrix and the accuracies derived from it: "task",
  /// or "domain" / "class" with `eval.scenario`.
  std::string scenario = "task";
  int64_t tasks = 0;
  /// acc_matrix[i][j], j <= i: test accuracy of task j after learning task i.
  std::vector<std::vector<double>> acc_matrix;
  std::vector<double> acc_during;  ///< each task right after learning it
  std::vector<double> acc_final;   ///< each task after all tasks
  double mean_acc_during = 0;
  double mean_acc_final = 0;
  /// Average forgetting and backward transfer over the first T - 1 tasks
  /// (hnet/learn/continual_metrics.h).
  double forgetting = 0;
  double bwt = 0;
  /// Methods with one network for all tasks (interval): its accuracy per task.
  std::vector<double> acc_universal;
  double mean_acc_universal = 0;
  /// The final model in all three scenarios, on the same split.
  ScenarioReport scenarios;
  double wall_seconds = 0;
  int64_t train_steps = 0;
  int64_t generator_params = 0;
  int64_t target_params = 0;
  int64_t condition_params = 0;  ///< task embeddings (or intervals)
  /// Everything the method keeps to give every task its network: generator
  /// and conditions, or the stored networks themselves; what equal-memory
  /// comparisons compare.
  int64_t stored_params = 0;

  /// The summary.json text (two-space indented).
  std::string to_json() const;
};

/// How a run reports and where it may stop.
struct ContinualRunOptions {
  /// Where progress goes (null: nowhere); `terminal` selects the redrawn bar.
  std::ostream* log = nullptr;
  bool terminal = false;
  /// Stop after this many tasks in total (0: all), leaving a resumable run;
  /// used to split long runs and by the resume tests.
  int64_t stop_after = 0;
  /// Observers of every training step (null: none).
  std::shared_ptr<StepHooks> hooks;
  /// Files the caller read for this run (its config file): the run refuses
  /// (c10::ValueError) to write any of its files over one of them.
  std::vector<std::string> inputs;
  /// Data-parallel training (ContinualLearner::set_communicator). Rank 0
  /// owns the run folder; another rank runs in a private scratch copy of it
  /// (removed at the end), so it reads the folder on resume (shared storage
  /// across machines) and never writes it.
  distributed::Rendezvous dist;
};

/// Runs the experiment of `config` into the folder `dir`, which must not
/// hold a run yet (c10::ValueError otherwise). Returns the summary, or
/// nullopt when it stopped early (options.stop_after).
std::optional<ContinualSummary> run_continual_experiment(
    const io::Config& config, const std::string& dir, const ContinualRunOptions& options = {});

/// Continues the run in `dir` from its checkpoint, with the configuration
/// saved there (a run killed before its first checkpoint starts again from
/// its config.yaml). c10::ValueError when `dir` holds no run.
std::optional<ContinualSummary> resume_continual_experiment(
    const std::string& dir, const ContinualRunOptions& options = {});

/// True when `dir` holds a run (its config.yaml) of `config`, so that
/// resume_continual_experiment continues it; false when it holds none.
/// c10::ValueError naming the folder when it holds a run of another
/// configuration.
bool folder_holds_run_of(const std::string& dir, const io::Config& config);

/// One of several runs of `run_in_folders`: its configuration, its folder
/// and the line logged before it starts.
struct FolderRun {
  io::Config config;
  std::string dir;
  std::string label;
};

/// Runs each of `runs` to its end, one after the other, continuing a run its
/// folder already holds (see folder_holds_run_of): what commands that run
/// many configurations (seeds, sweeps) do, so that calling them again
/// continues where a killed call stopped. Every folder is checked before the
/// first run trains. c10::ValueError naming the first differing key when a
/// folder holds another configuration's run; c10::Error when
/// options.stop_after is set.
std::vector<ContinualSummary> run_in_folders(
    const std::vector<FolderRun>& runs, const ContinualRunOptions& options);

/// Test accuracy of every learned task of a checkpoint, in task order, in
/// the scenario of its configuration (`eval.scenario`; without the task id
/// the task is inferred among the learned ones).
std::vector<double> evaluate_checkpoint(const std::string& path);

/// Writes task `task` (1-based)'s network as a plain export (plain_export.h):
/// its weights (PHM ones composed, the task's normalisation statistics), the
/// operations, input preprocessing (with permuted tasks' permutation) and
/// label mapping, plus the metadata "task" and the target's hnet options
/// (target_metadata). `out` must not be the checkpoint itself. A target that
/// cannot be written as plain operations (resnet) is a
/// c10::ValueError naming it.
void generate_from_checkpoint(const std::string& path, int64_t task, const std::string& out);

}  // namespace hnet
