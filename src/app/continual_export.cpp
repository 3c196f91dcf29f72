// Evaluating and exporting the networks of a continual-learning checkpoint.

#include "hnet/app/continual_experiment.h"
#include "hnet/app/continual_run.h"
#include "hnet/app/target_factory.h"
#include "hnet/errors.h"
#include "hnet/io/file_safety.h"
#include "hnet/io/safetensors.h"

namespace hnet {

std::vector<double> evaluate_checkpoint(const std::string& path) {
  int64_t done = 0;
  auto e = ContinualExperiment::from_checkpoint(path, &done);
  std::vector<double> acc;
  for (int64_t t = 0; t < done; ++t) acc.push_back(e.learner->task_accuracy(t, e.tasks[t].test));
  return acc;
}

void generate_from_checkpoint(const std::string& path, int64_t task, const std::string& out) {
  io::check_output_is_not_input(out, {path});
  int64_t done = 0;
  auto e = ContinualExperiment::from_checkpoint(path, &done);
  HNET_CHECK_INPUT(
      task >= 1 && task <= done, "task must be in [1, ", done, "] (tasks learned by ", path,
      "), got ", task);
  const auto& t = e.tasks[task - 1];
  Weights w(e.target->spec(), e.learner->task_weights(task - 1));
  auto tensors = w.named_tensors();
  if (t.test.permutation.defined()) tensors.emplace_back("input_permutation", t.test.permutation);
  auto meta = target_metadata(e.config, t.image_shape, t.classes);
  meta["format"] = "hnet-target";
  meta["task"] = std::to_string(task);
  io::save_safetensors(out, tensors, meta);
}

}  // namespace hnet
