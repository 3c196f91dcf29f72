#pragma once
// The part of a continual run that lives across tasks and in checkpoints,
// and the summary computed from it (private to src/app/).

#include <cstdint>
#include <string>
#include <vector>

#include "hnet/app/continual_experiment.h"
#include "hnet/app/continual_run.h"

namespace hnet {

constexpr const char* kCheckpointFile = "checkpoint.safetensors";

struct RunState {
  int64_t tasks_done = 0;
  std::vector<std::vector<double>> acc;  // acc[i][j]: test accuracy on task j after task i
  double wall_seconds = 0;
  int64_t train_steps = 0;
  // Size of metrics.jsonl when the checkpoint was taken (-1: not recorded):
  // a resumed run cuts off the lines of the task it repeats.
  int64_t metrics_bytes = -1;
};

/// Writes the learner's state and `s` to the checkpoint at `path` (atomically).
void save_checkpoint(const std::string& path, ContinualExperiment& e, const RunState& s);
/// The run state of the checkpoint at `path`, which has `tasks_done` of
/// `tasks` tasks done; c10::ValueError naming the file when damaged.
RunState load_run_state(const std::string& path, int64_t tasks_done, int64_t tasks);

/// The summary of a finished run.
ContinualSummary summarize(ContinualExperiment& e, const RunState& s);

}  // namespace hnet
