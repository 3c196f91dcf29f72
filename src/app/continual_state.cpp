// Checkpoints and summaries of continual runs.

#include "continual_state.h"

#include <cmath>
#include <nlohmann/json.hpp>
#include <numeric>

#include "hnet/errors.h"
#include "hnet/io/safetensors.h"
#include "hnet/learn/continual_metrics.h"

namespace hnet {
namespace {

using json = nlohmann::json;

double mean(const std::vector<double>& v) {
  return v.empty() ? 0.0 : std::accumulate(v.begin(), v.end(), 0.0) / v.size();
}

// Row i of the accuracy matrix holds tasks 1..i+1 (later ones are NaN); the
// checkpoint keeps only the measured part, since JSON has no NaN.
std::vector<std::vector<double>> measured_rows(const std::vector<std::vector<double>>& acc) {
  std::vector<std::vector<double>> rows;
  for (size_t i = 0; i < acc.size(); ++i) rows.emplace_back(acc[i].begin(), acc[i].begin() + i + 1);
  return rows;
}

TaskAccuracies accuracies(std::vector<double> per_task) {
  TaskAccuracies out;
  out.mean = mean(per_task);
  out.per_task = std::move(per_task);
  return out;
}

// The final model in every scenario; task ids given reuse the matrix's last
// row when it was measured with them.
ScenarioReport scenario_report(ContinualExperiment& e, const ContinualSummary& s) {
  const int64_t tasks = static_cast<int64_t>(e.tasks.size());
  std::vector<double> task, domain, cls, inferred;
  for (int64_t t = 0; t < tasks; ++t) {
    const auto& data = e.measured(t);
    task.push_back(s.scenario == "task" ? s.acc_final[t] : e.learner->task_accuracy(t, data));
    const auto a = inferred_accuracy(*e.learner, t, tasks, data);
    domain.push_back(a.domain);
    cls.push_back(a.cls);
    inferred.push_back(a.task_inference);
  }
  return {accuracies(task), accuracies(domain), accuracies(cls), accuracies(inferred)};
}

json accuracies_json(const TaskAccuracies& a) {
  return json{{"mean", a.mean}, {"per_task", a.per_task}};
}

}  // namespace

void save_checkpoint(const std::string& path, ContinualExperiment& e, const RunState& s) {
  std::map<std::string, std::string> meta{
      {"format", "hnet-continual-checkpoint"},
      {"config", e.config.to_yaml()},
      {"tasks_done", std::to_string(s.tasks_done)},
      {"acc_matrix", json(measured_rows(s.acc)).dump()},
      {"wall_seconds", std::to_string(s.wall_seconds)},
      {"train_steps", std::to_string(s.train_steps)},
      {"metrics_bytes", std::to_string(s.metrics_bytes)}};
  io::save_safetensors(path, e.learner->state(), meta);
}

RunState load_run_state(const std::string& path, int64_t tasks_done, int64_t tasks) {
  return parse_run_state(io::load_safetensors(path).metadata, tasks_done, tasks, path);
}

ContinualSummary summarize(ContinualExperiment& e, const RunState& s) {
  ContinualSummary out;
  const int64_t tasks = static_cast<int64_t>(e.tasks.size());
  auto& method = e.learner->method();
  out.method = method.name();
  out.split = e.config.get_string("eval.split");
  out.scenario = e.config.get_string("eval.scenario");
  out.tasks = tasks;
  out.acc_matrix = measured_rows(s.acc);
  for (int64_t i = 0; i < tasks; ++i) {
    out.acc_during.push_back(s.acc[i][i]);
    out.acc_final.push_back(s.acc[tasks - 1][i]);
  }
  out.mean_acc_during = mean(out.acc_during);
  out.mean_acc_final = mean(out.acc_final);
  const ForgettingMetrics forgetting = forgetting_metrics(s.acc);
  out.forgetting = forgetting.forgetting;
  out.bwt = forgetting.bwt;
  out.wall_seconds = s.wall_seconds;
  out.train_steps = s.train_steps;
  out.generator_params = method.generator_params();
  out.target_params = e.target->spec()->numel() * std::max<int64_t>(1, method.stored_networks());
  out.condition_params = method.condition_params();
  out.stored_params = out.generator_params + out.condition_params +
                      (method.stored_networks() > 0 ? out.target_params : 0);
  if (auto universal = method.universal_weights(tasks - 1)) {
    for (int64_t t = 0; t < tasks; ++t) {
      out.acc_universal.push_back(e.learner->accuracy((*universal)[t], e.measured(t), t));
    }
    out.mean_acc_universal = mean(out.acc_universal);
  }
  out.scenarios = scenario_report(e, out);
  return out;
}

std::string ContinualSummary::to_json() const {
  json out{
      {"method", method},
      {"split", split},
      {"scenario", scenario},
      {"tasks", tasks},
      {"acc_during", acc_during},
      {"acc_final", acc_final},
      {"mean_acc_during", mean_acc_during},
      {"mean_acc_final", mean_acc_final},
      {"forgetting", forgetting},
      {"bwt", bwt},
      {"wall_seconds", wall_seconds},
      {"train_steps", train_steps},
      {"generator_params", generator_params},
      {"target_params", target_params},
      {"condition_params", condition_params},
      {"stored_params", stored_params},
      {"acc_matrix", acc_matrix},
      {"scenarios",
       {{"task", accuracies_json(scenarios.task)},
        {"domain", accuracies_json(scenarios.domain)},
        {"class", accuracies_json(scenarios.cls)},
        {"task_inference", accuracies_json(scenarios.task_inference)}}}};
  if (!acc_universal.empty()) {
    out["acc_universal"] = acc_universal;
    out["mean_acc_universal"] = mean_acc_universal;
  }
  return out.dump(2);
}

}  // namespace hnet
