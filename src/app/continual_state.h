#pragma once
// Checkpoints of continual runs and the summary computed from their state
// (private to src/app/).

#include <cstdint>
#include <string>
#include <vector>

#include "hnet/app/continual_experiment.h"
#include "hnet/app/continual_run.h"
#include "run_state.h"

namespace hnet {

constexpr const char* kCheckpointFile = "checkpoint.safetensors";

/// Writes the learner's state and `s` to the checkpoint at `path` (atomically).
void save_checkpoint(const std::string& path, ContinualExperiment& e, const RunState& s);
/// The run state of the checkpoint at `path`, which has `tasks_done` of
/// `tasks` tasks done; c10::ValueError naming the file when damaged.
RunState load_run_state(const std::string& path, int64_t tasks_done, int64_t tasks);
/// The summary of a finished run.
ContinualSummary summarize(ContinualExperiment& e, const RunState& s);

}  // namespace hnet
