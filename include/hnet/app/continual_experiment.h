#pragma once
/// \file
/// The continual-learning experiment behind `hnet train`, `hnet eval` and
/// `hnet generate`: a configuration (continual_config_schema) turned into
/// data, target, generator, method and learner. Running it into a folder is
/// continual_run.h's job.

#include <memory>
#include <string>
#include <vector>

#include "hnet/data/task_sequence.h"
#include "hnet/generators/generator.h"
#include "hnet/io/config.h"
#include "hnet/io/config_choice.h"
#include "hnet/learn/continual.h"
#include "hnet/learn/task_inference.h"

namespace hnet {

/// Every key a continual-learning config may hold, with defaults and rules.
io::ConfigSchema continual_config_schema();

/// The values of `method`: how a task's weights are produced and held.
enum class MethodKind { kHypercl, kInterval, kFinetune, kSeparate };
/// Their names: hypercl, interval, finetune, separate.
const io::ChoiceTable<MethodKind>& method_kinds();

/// The values of `target.heads`: output heads shared by every task, or one
/// per task.
enum class HeadSharing { kShared, kPerTask };
/// Their names: shared, per_task.
const io::ChoiceTable<HeadSharing>& head_sharings();

/// The values of `eval.split`: the data a run's accuracies are measured on.
/// `val` (the held-out part of each task's training set) is what a sweep
/// selects on, so that the test set is used once, for the chosen setting.
enum class EvalSplit { kTest, kVal };
/// Their names: test, val.
const io::ChoiceTable<EvalSplit>& eval_splits();

/// The values of `eval.scenario` (hnet/learn/task_inference.h): task,
/// domain, class.
const io::ChoiceTable<Scenario>& scenarios();

/// Data, models and learner built from a resolved configuration.
struct ContinualExperiment {
  explicit ContinualExperiment(io::Config config) : config(std::move(config)) {}

  io::Config config;
  std::vector<data::Task> tasks;
  std::shared_ptr<Target> target;
  /// The hypernetwork (null for methods without one, e.g. separate).
  std::shared_ptr<WeightGenerator> generator;
  std::unique_ptr<ContinualLearner> learner;

  /// The data of task `t` that the run's accuracies are measured on: its
  /// test set, or its validation set with `eval.split: val`.
  const data::TaskData& measured(int64_t t) const;

  /// Loads the data and builds the models. Every error a configuration
  /// value causes (here or in the constructors it reaches) is a
  /// c10::ValueError naming the key or file at fault.
  static ContinualExperiment build(const io::Config& config);
  /// Rebuilds the experiment saved in a checkpoint and loads its state;
  /// `tasks_done` receives how many tasks it had learned. A damaged or
  /// foreign checkpoint is a c10::ValueError naming the file.
  static ContinualExperiment from_checkpoint(const std::string& path, int64_t* tasks_done);
};

}  // namespace hnet
