// Running, evaluating and exporting continual-learning experiments: the
// file contracts of DESIGN.md (outputs written to a temporary name and
// renamed; a checkpoint after every task).

#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <numeric>
#include <stdexcept>
#include <thread>

#include "hnet/io/atomic_file.h"
#include "hnet/io/plot.h"
#include "hnet/learn/experiment.h"
#include "hnet/learn/progress.h"

namespace hnet {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

constexpr const char* kCheckpoint = "checkpoint.safetensors";

double mean(const std::vector<double>& v) {
  return v.empty() ? 0.0 : std::accumulate(v.begin(), v.end(), 0.0) / v.size();
}

std::string fixed(double v, int digits) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}

// State carried across tasks and through checkpoints.
struct RunState {
  int64_t tasks_done = 0;
  std::vector<std::vector<double>> acc;  // acc[i][j]: test accuracy on task j after task i
  double wall_seconds = 0;
  int64_t train_steps = 0;
  // Size of metrics.jsonl when the checkpoint was taken (-1: not recorded):
  // a resumed run cuts off the lines of the task it repeats.
  int64_t metrics_bytes = -1;
};

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
json measured_rows(const std::vector<std::vector<double>>& acc) {
  json rows = json::array();
  for (size_t i = 0; i < acc.size(); ++i) {
    rows.push_back(std::vector<double>(acc[i].begin(), acc[i].begin() + i + 1));
  }
  return rows;
}

void save_checkpoint(const std::string& path, Experiment& e, const RunState& s) {
  std::map<std::string, std::string> meta{{"format", "hnet-continual-checkpoint"},
                                          {"config", e.config.to_yaml()},
                                          {"tasks_done", std::to_string(s.tasks_done)},
                                          {"acc_matrix", measured_rows(s.acc).dump()},
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
  } catch (const std::exception& err) {
    TORCH_CHECK(false, "checkpoint ", path, ": damaged run metadata (", err.what(), ")");
  }
  TORCH_CHECK(
      static_cast<int64_t>(s.acc.size()) == tasks_done, "checkpoint ", path,
      ": accuracy matrix has ", s.acc.size(), " rows but ", tasks_done, " tasks are done");
  for (size_t i = 0; i < s.acc.size(); ++i) {
    TORCH_CHECK(
        s.acc[i].size() == i + 1, "checkpoint ", path, ": accuracy row ", i + 1, " has ",
        s.acc[i].size(), " values, expected ", i + 1);
    s.acc[i].resize(tasks, std::nan(""));
  }
  return s;
}

json summary_of(Experiment& e, const RunState& s) {
  const int64_t tasks = static_cast<int64_t>(e.tasks.size());
  std::vector<double> during, final_acc, forgetting;
  for (int64_t i = 0; i < tasks; ++i) {
    during.push_back(s.acc[i][i]);
    final_acc.push_back(s.acc[tasks - 1][i]);
    forgetting.push_back(during.back() - final_acc.back());
  }
  int64_t target_params = e.target->spec()->numel();
  if (e.learner->options().method() == ContinualMethod::kSeparate) target_params *= tasks;
  json out{
      {"method", e.config.get_string("method")},
      {"tasks", tasks},
      {"acc_during", during},
      {"acc_final", final_acc},
      {"mean_acc_during", mean(during)},
      {"mean_acc_final", mean(final_acc)},
      {"forgetting", mean(forgetting)},
      {"wall_seconds", s.wall_seconds},
      {"train_steps", s.train_steps},
      {"generator_params", e.learner->generator_params()},
      {"target_params", target_params},
      {"acc_matrix", measured_rows(s.acc)}};
  if (e.learner->options().method() == ContinualMethod::kInterval) {
    const auto universal = e.learner->universal_weights(tasks - 1);
    std::vector<double> acc_universal;
    for (int64_t t = 0; t < tasks; ++t) {
      acc_universal.push_back(e.learner->accuracy(universal[t], e.tasks[t].test));
    }
    out["acc_universal"] = acc_universal;
    out["mean_acc_universal"] = mean(acc_universal);
  }
  return out;
}

// Makes metrics.jsonl end where it ended at the checkpoint, so the lines of a
// task that was cut short and is now repeated appear once.
void rewind_metrics(const fs::path& metrics, int64_t bytes) {
  std::error_code ec;
  const auto size = fs::file_size(metrics, ec);
  if (bytes < 0 || ec || size <= static_cast<uintmax_t>(bytes)) return;
  fs::resize_file(metrics, static_cast<uintmax_t>(bytes), ec);
  TORCH_CHECK(
      !ec, "train: cannot cut ", metrics.string(), " back to ", bytes, " bytes: ", ec.message());
}

void check_output_folder(const std::string& dir, bool resume) {
  TORCH_CHECK(!dir.empty(), "train: the output folder must not be empty");
  const auto ckpt = fs::path(dir) / kCheckpoint;
  if (resume) {
    TORCH_CHECK(
        fs::exists(ckpt), "--resume ", dir, ": no ", kCheckpoint,
        " in that folder (nothing to resume)");
  } else {
    TORCH_CHECK(
        !fs::exists(ckpt), "--out ", dir, ": the folder already holds a run (", kCheckpoint,
        "); use --resume ", dir, " to continue it or choose another --out");
  }
}

}  // namespace

std::string run_continual_experiment(const io::Config& config, const TrainOptions& options) {
  const auto start = std::chrono::steady_clock::now();
  const std::string dir = options.out_dir;
  const std::string ckpt = (fs::path(dir) / kCheckpoint).string();
  const fs::path saved_config = fs::path(dir) / "config.yaml";
  const fs::path metrics_path = fs::path(dir) / "metrics.jsonl";
  std::ostringstream discard;
  std::ostream& log = options.log ? *options.log : discard;

  // A run killed before its first checkpoint left only its config: resuming
  // it means starting it again.
  bool resume = options.resume;
  io::Config fresh = config;
  if (resume && !dir.empty() && !fs::exists(ckpt) && fs::exists(saved_config)) {
    fresh = io::Config::resolve(continual_config_schema(), saved_config.string(), {});
    resume = false;
    log << "no checkpoint yet in " << dir << ": starting again from its config.yaml\n";
  }
  check_output_folder(dir, resume);

  int64_t done = 0;
  // Everything is validated (config, data, checkpoint) before the folder is touched.
  Experiment e = resume ? Experiment::from_checkpoint(ckpt, &done) : Experiment::build(fresh);
  RunState state;
  if (resume) {
    state = load_run_state(ckpt, done, static_cast<int64_t>(e.tasks.size()));
    rewind_metrics(metrics_path, state.metrics_bytes);
  } else {
    std::error_code ec;
    fs::create_directories(dir, ec);
    TORCH_CHECK(!ec, "--out ", dir, ": cannot create the folder: ", ec.message());
    io::write_file_atomic(saved_config.string(), e.config.to_yaml());
  }
  // Leftovers of writes a killed run could not finish.
  io::remove_stale_temporaries(dir);
  const int64_t threads = e.config.get_int("threads");
  torch::set_num_threads(
      threads > 0 ? static_cast<int>(threads)
                  : static_cast<int>(std::thread::hardware_concurrency()));

  // A fresh run owns the folder: lines of an earlier, killed attempt go.
  std::ofstream metrics(metrics_path, resume ? std::ios::app : std::ios::trunc);
  TORCH_CHECK(metrics, "train: cannot open ", metrics_path.string());
  Progress progress(log, ProgressOptions().terminal(options.terminal));
  const int64_t tasks = static_cast<int64_t>(e.tasks.size());
  const int64_t log_every = e.config.get_int("log.every");
  const double seconds_before = state.wall_seconds;

  const int64_t last = options.stop_after > 0 ? std::min(options.stop_after, tasks) : tasks;
  for (int64_t t = state.tasks_done; t < last; ++t) {
    const auto& task = e.tasks[t];
    progress.start(
        "task " + std::to_string(t + 1) + "/" + std::to_string(tasks),
        e.config.get_int("optimizer.steps"));
    e.learner->train_task(t, task.train, [&](const StepReport& r) {
      progress.update(r.step, r.loss + r.reg);
      if (r.step % log_every == 0) {
        metrics
            << json{{"task", r.task + 1}, {"step", r.step}, {"loss", r.loss}, {"reg", r.reg}}.dump()
            << std::endl;  // whole lines, so `tail -f` and a killed run see them
      }
    });
    state.train_steps += e.config.get_int("optimizer.steps");
    const double val = e.learner->accuracy(e.learner->task_weights(t), task.val);
    std::vector<double> row(tasks, std::nan(""));
    for (int64_t j = 0; j <= t; ++j) {
      row[j] = e.learner->accuracy(e.learner->task_weights(j), e.tasks[j].test);
    }
    state.acc.push_back(row);
    metrics
        << json{{"event", "eval"}, {"after_task", t + 1}, {"val_acc", val}, {"test_acc", std::vector<double>(row.begin(), row.begin() + t + 1)}}
               .dump()
        << std::endl;
    progress.finish("val acc " + fixed(val, 4));
    state.tasks_done = t + 1;
    state.metrics_bytes = static_cast<int64_t>(fs::file_size(metrics_path));
    state.wall_seconds =
        seconds_before +
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    save_checkpoint(ckpt, e, state);
  }

  if (state.tasks_done < tasks) return "";  // stopped early: resumable, no summary yet
  auto summary = summary_of(e, state);
  summary["wall_seconds"] =
      seconds_before +
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  io::write_file_atomic((fs::path(dir) / "summary.json").string(), summary.dump(2) + "\n");
  if (io::gnuplot_available()) {
    io::plot_accuracy_matrix(
        (fs::path(dir) / "accuracy.png").string(), state.acc,
        "test accuracy, " + e.config.get_string("method") + " (" +
            e.config.get_string("data.sequence") + ")");
  } else {
    log << "gnuplot not found: accuracy.png not written\n";
  }
  return summary.dump(2);
}

std::vector<double> evaluate_checkpoint(const std::string& path) {
  int64_t done = 0;
  auto e = Experiment::from_checkpoint(path, &done);
  std::vector<double> acc;
  for (int64_t t = 0; t < done; ++t) {
    acc.push_back(e.learner->accuracy(e.learner->task_weights(t), e.tasks[t].test));
  }
  return acc;
}

void generate_from_checkpoint(const std::string& path, int64_t task, const std::string& out) {
  int64_t done = 0;
  auto e = Experiment::from_checkpoint(path, &done);
  TORCH_CHECK(
      task >= 1 && task <= done, "--task must be in [1, ", done, "] (tasks learned by ", path,
      "), got ", task);
  Weights w(e.target->spec(), e.learner->task_weights(task - 1));
  io::NamedTensors tensors;
  for (size_t i = 0; i < w.spec().size(); ++i) tensors.emplace_back(w.spec()[i].name, w[i]);
  const auto& perm = e.tasks[task - 1].test.permutation;
  if (perm.defined()) tensors.emplace_back("input_permutation", perm);
  std::string sizes;
  for (int64_t s : e.target->options.sizes())
    sizes += (sizes.empty() ? "" : ",") + std::to_string(s);
  io::save_safetensors(
      out, tensors,
      {{"format", "hnet-target"},
       {"target", "mlp"},
       {"sizes", sizes},
       {"activation", activation_name(e.target->options.activation())},
       {"task", std::to_string(task)}});
}

}  // namespace hnet
