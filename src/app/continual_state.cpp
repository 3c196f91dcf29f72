// Checkpoints and summaries of continual runs.

#include "continual_state.h"

#include <charconv>
#include <cmath>
#include <nlohmann/json.hpp>
#include <numeric>
#include <stdexcept>

#include "hnet/errors.h"
#include "hnet/io/safetensors.h"

namespace hnet {
namespace {

using json = nlohmann::json;

double mean(const std::vector<double>& v) {
  return v.empty() ? 0.0 : std::accumulate(v.begin(), v.end(), 0.0) / v.size();
}

// A whole-string integer, as the checkpoint writes it (no sign, no spaces).
int64_t parse_count(const std::string& text) {
  int64_t value = -1;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value < 0)
    throw std::invalid_argument("'" + text + "' is not a non-negative integer");
  return value;
}

// Row i of the accuracy matrix holds tasks 1..i+1 (later ones are NaN); the
// checkpoint keeps only the measured part, since JSON has no NaN.
std::vector<std::vector<double>> measured_rows(const std::vector<std::vector<double>>& acc) {
  std::vector<std::vector<double>> rows;
  for (size_t i = 0; i < acc.size(); ++i) rows.emplace_back(acc[i].begin(), acc[i].begin() + i + 1);
  return rows;
}

// The metadata of `path` parsed into `s`; throws std::exception on damage.
void parse_run_metadata(const io::TensorFile& file, RunState& s) {
  s.acc = json::parse(file.metadata.at("acc_matrix")).get<std::vector<std::vector<double>>>();
  s.wall_seconds = std::stod(file.metadata.at("wall_seconds"));
  s.train_steps = parse_count(file.metadata.at("train_steps"));
  auto bytes = file.metadata.find("metrics_bytes");  // absent in older checkpoints
  if (bytes != file.metadata.end()) s.metrics_bytes = parse_count(bytes->second);
  for (const auto& row : s.acc) {
    for (double a : row) {
      if (!(a >= 0 && a <= 1)) throw std::invalid_argument("an accuracy is outside [0, 1]");
    }
  }
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
  const auto file = io::load_safetensors(path);
  RunState s;
  s.tasks_done = tasks_done;
  try {
    parse_run_metadata(file, s);
  } catch (const std::exception& err) {
    HNET_CHECK_INPUT(false, "checkpoint ", path, ": damaged run metadata (", err.what(), ")");
  }
  HNET_CHECK_INPUT(
      static_cast<int64_t>(s.acc.size()) == tasks_done, "checkpoint ", path,
      ": accuracy matrix has ", s.acc.size(), " rows but ", tasks_done, " tasks are done");
  for (size_t i = 0; i < s.acc.size(); ++i) {
    HNET_CHECK_INPUT(
        s.acc[i].size() == i + 1, "checkpoint ", path, ": accuracy row ", i + 1, " has ",
        s.acc[i].size(), " values, expected ", i + 1);
    s.acc[i].resize(tasks, std::nan(""));
  }
  return s;
}

ContinualSummary summarize(ContinualExperiment& e, const RunState& s) {
  ContinualSummary out;
  const int64_t tasks = static_cast<int64_t>(e.tasks.size());
  auto& method = e.learner->method();
  out.method = method.name();
  out.tasks = tasks;
  out.acc_matrix = measured_rows(s.acc);
  std::vector<double> forgetting;
  for (int64_t i = 0; i < tasks; ++i) {
    out.acc_during.push_back(s.acc[i][i]);
    out.acc_final.push_back(s.acc[tasks - 1][i]);
    forgetting.push_back(out.acc_during.back() - out.acc_final.back());
  }
  out.mean_acc_during = mean(out.acc_during);
  out.mean_acc_final = mean(out.acc_final);
  out.forgetting = mean(forgetting);
  out.wall_seconds = s.wall_seconds;
  out.train_steps = s.train_steps;
  out.generator_params = method.generator_params();
  out.target_params = e.target->spec()->numel() * std::max<int64_t>(1, method.stored_networks());
  if (auto universal = method.universal_weights(tasks - 1)) {
    for (int64_t t = 0; t < tasks; ++t) {
      out.acc_universal.push_back(e.learner->accuracy((*universal)[t], e.tasks[t].test, t));
    }
    out.mean_acc_universal = mean(out.acc_universal);
  }
  return out;
}

std::string ContinualSummary::to_json() const {
  json out{
      {"method", method},
      {"tasks", tasks},
      {"acc_during", acc_during},
      {"acc_final", acc_final},
      {"mean_acc_during", mean_acc_during},
      {"mean_acc_final", mean_acc_final},
      {"forgetting", forgetting},
      {"wall_seconds", wall_seconds},
      {"train_steps", train_steps},
      {"generator_params", generator_params},
      {"target_params", target_params},
      {"acc_matrix", acc_matrix}};
  if (!acc_universal.empty()) {
    out["acc_universal"] = acc_universal;
    out["mean_acc_universal"] = mean_acc_universal;
  }
  return out.dump(2);
}

}  // namespace hnet
