#pragma once
// The part of a continual run that lives across tasks and in checkpoints
// (private to src/app/).

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace hnet {

struct RunState {
  int64_t tasks_done = 0;
  std::vector<std::vector<double>> acc;  // acc[i][j]: test accuracy on task j after task i
  double wall_seconds = 0;
  int64_t train_steps = 0;
  // Size of metrics.jsonl when the checkpoint was taken (-1: not recorded):
  // a resumed run cuts off the lines of the task it repeats.
  int64_t metrics_bytes = -1;
};

/// The run state in a checkpoint's `metadata` (`path` names it in errors),
/// which has `tasks_done` of `tasks` tasks done: every value parsed strictly
/// (whole strings; finite numbers; accuracies in [0, 1]; one row per task
/// done), c10::ValueError on any damage.
RunState parse_run_state(
    const std::map<std::string, std::string>& metadata, int64_t tasks_done, int64_t tasks,
    const std::string& path);

/// A whole-string integer >= 0 as a checkpoint writes it (no sign, spaces or
/// junk); throws std::invalid_argument otherwise.
int64_t parse_metadata_count(const std::string& text);

}  // namespace hnet
