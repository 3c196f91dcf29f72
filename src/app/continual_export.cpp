// Evaluating and exporting the networks of a continual-learning checkpoint.

#include "hnet/app/continual_experiment.h"
#include "hnet/app/continual_run.h"
#include "hnet/app/plain_export.h"
#include "hnet/app/target_factory.h"
#include "hnet/errors.h"
#include "hnet/io/file_safety.h"

namespace hnet {

std::vector<double> evaluate_checkpoint(const std::string& path) {
  int64_t done = 0;
  auto e = ContinualExperiment::from_checkpoint(path, &done);
  const Scenario scenario = io::get_choice(e.config, "eval.scenario", scenarios());
  std::vector<double> acc;
  for (int64_t t = 0; t < done; ++t) {
    acc.push_back(scenario_accuracy(*e.learner, scenario, t, done, e.tasks[t].test));
  }
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
  // The task's running statistics, for targets that keep them per task.
  e.target->set_stats_slot(task - 1);
  const auto net =
      e.target->plain_network(Weights(e.target->spec(), e.learner->task_weights(task - 1)));
  auto meta = target_metadata(e.config, t.image_shape, t.classes);
  meta["task"] = std::to_string(task);
  save_plain_export(
      out, net,
      {t.image_shape, t.test.permutation, e.learner->options().input_shape(), t.source_classes},
      meta);
}

}  // namespace hnet
