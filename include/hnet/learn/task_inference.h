#pragma once
/// \file
/// The three continual-learning scenarios (van de Ven & Tolias 2019, "Three
/// scenarios for continual learning"; von Oswald et al. 2020, "Continual
/// learning with hypernetworks", CL1-CL3):
///
/// - *task* (CL1): the task id is given at test time; task t's network
///   classifies task t's examples among its own classes;
/// - *domain* (CL2): no task id; the output space is shared by all tasks
///   (split: "first or second class of the pair", permuted: the 10 classes);
/// - *class* (CL3): no task id; every task's classes are distinct (split: 10
///   classes, permuted: 10 x tasks), so an example is right only when both
///   its task and its class within the task are right.
///
/// Without a task id, the task is inferred as von Oswald et al.'s HNET+ENT
/// does: every learned task's network classifies the example, and the one
/// whose prediction has the lowest entropy is trusted.

#include <cstdint>

#include "hnet/data/task_sequence.h"
#include "hnet/learn/continual.h"

namespace hnet {

enum class Scenario { kTask, kDomain, kClass };

/// Accuracies on one task's examples when its id is not given.
struct InferredAccuracy {
  double domain = 0;          ///< class within the task right (CL2)
  double cls = 0;             ///< task and class within it right (CL3)
  double task_inference = 0;  ///< inferred task is the true one
};

/// Classifies `data` (examples of 0-based task `true_task`) with the task
/// inferred among the networks of tasks [0, candidates); candidates must be
/// in (true_task, learner.tasks()]. Evaluation mode (restored afterwards),
/// no gradients, batches of the learner's eval batch size; zeros for empty
/// data.
InferredAccuracy inferred_accuracy(
    ContinualLearner& learner, int64_t true_task, int64_t candidates, const data::TaskData& data);

/// Accuracy of task `true_task`'s examples in `scenario`, with tasks
/// [0, candidates) learned: task_accuracy for kTask, inferred_accuracy's
/// domain or cls otherwise.
double scenario_accuracy(
    ContinualLearner& learner, Scenario scenario, int64_t true_task, int64_t candidates,
    const data::TaskData& data);

}  // namespace hnet
