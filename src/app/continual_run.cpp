// Running and resuming continual-learning experiments into a run folder (the
// file contracts of DESIGN.md: outputs written to a temporary name and
// renamed; a checkpoint after every task).

#include "hnet/app/continual_run.h"

#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <sstream>

#include "continual_state.h"
#include "hnet/app/config_keys.h"
#include "hnet/app/progress.h"
#include "hnet/app/run_folder.h"
#include "hnet/errors.h"
#include "hnet/io/atomic_file.h"
#include "hnet/io/file_safety.h"
#include "hnet/io/plot.h"
#include "hnet/learn/continual.h"
#include "hnet/learn/continual_metrics.h"

namespace hnet {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;
using Clock = std::chrono::steady_clock;

// Every file a run writes in its folder.
const std::vector<std::string> kContinualRunFiles{
    kCheckpointFile, "config.yaml", "metrics.jsonl", "summary.json", "accuracy.png"};

std::string fixed(double v, int digits) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}

std::string run_file(const std::string& dir, const char* name) {
  return (fs::path(dir) / name).string();
}

// One run (fresh or resumed) in progress.
struct Run {
  std::string dir;
  ContinualExperiment experiment;
  RunState state;
  bool resumed = false;

  std::string file(const char* name) const {
    return run_file(dir, name);
  }
};

// Task t: train, evaluate every task seen, log, checkpoint.
void learn_task(Run& run, int64_t t, MetricsLog& metrics, Progress& progress) {
  auto& e = run.experiment;
  const int64_t tasks = static_cast<int64_t>(e.tasks.size());
  const int64_t log_every = e.config.get_int("log.every");
  progress.start(
      "task " + std::to_string(t + 1) + "/" + std::to_string(tasks),
      e.config.get_int("optimizer.steps"));
  e.learner->train_task(t, e.tasks[t].train, [&](const StepReport& r) {
    progress.update(r.step, r.loss + r.reg);
    if (r.step % log_every == 0) {
      metrics.write_line(
          json{{"task", r.task + 1}, {"step", r.step}, {"loss", r.loss}, {"reg", r.reg}}.dump());
    }
  });
  run.state.train_steps += e.config.get_int("optimizer.steps");
  const double val = e.learner->task_accuracy(t, e.tasks[t].val);
  std::vector<double> row(tasks, std::nan(""));
  const Scenario scenario = io::get_choice(e.config, "eval.scenario", scenarios());
  for (int64_t j = 0; j <= t; ++j) {
    row[j] = scenario_accuracy(*e.learner, scenario, j, t + 1, e.measured(j));
  }
  run.state.acc.push_back(row);
  const ForgettingMetrics so_far = forgetting_metrics(run.state.acc);
  metrics.write_line(json{
      {"event", "eval"},
      {"after_task", t + 1},
      {"val_acc", val},
      {"split", e.config.get_string("eval.split")},
      {"scenario", e.config.get_string("eval.scenario")},
      {"test_acc", std::vector<double>(row.begin(), row.begin() + t + 1)},
      {"forgetting", so_far.forgetting},
      {"bwt",
       so_far.bwt}}.dump());
  progress.finish("val acc " + fixed(val, 4));
  run.state.tasks_done = t + 1;
  run.state.metrics_bytes = metrics.size();
}

void write_results(Run& run, const ContinualSummary& summary, std::ostream& log) {
  io::write_file_atomic(run.file("summary.json"), summary.to_json() + "\n");
  const auto& c = run.experiment.config;
  if (!io::gnuplot_available()) {
    log << "gnuplot not found: accuracy.png not written\n";
    return;
  }
  io::plot_accuracy_matrix(
      run.file("accuracy.png"), run.state.acc,
      c.get_string("eval.split") + " accuracy, " + c.get_string("method") + " (" +
          c.get_string("data.sequence") + ")");
}

// Trains the remaining tasks of `run`, checkpointing after each; the summary
// once all are done.
std::optional<ContinualSummary> continue_run(Run& run, const ContinualRunOptions& options) {
  const auto start = Clock::now();
  std::ostringstream discard;
  std::ostream& log = options.log ? *options.log : discard;
  auto& e = run.experiment;
  // Leftovers of writes a killed run could not finish.
  io::remove_stale_temporaries(run.dir, kContinualRunFiles);
  set_thread_count(e.config.get_int("threads"));
  e.learner->set_hooks(options.hooks);
  const distributed::Communicator comm(options.dist);
  e.learner->set_communicator(&comm);
  struct Detach {  // the learner must not keep a pointer to `comm`
    ContinualLearner& learner;
    ~Detach() {
      learner.set_communicator(nullptr);
    }
  } detach{*e.learner};
  // A fresh run owns the folder: lines of an earlier, killed attempt go.
  MetricsLog metrics(run.file("metrics.jsonl"), run.resumed);
  Progress progress(log, ProgressOptions().terminal(options.terminal));
  const int64_t tasks = static_cast<int64_t>(e.tasks.size());
  const double seconds_before = run.state.wall_seconds;
  auto elapsed = [&] {
    return seconds_before + std::chrono::duration<double>(Clock::now() - start).count();
  };
  const int64_t last = options.stop_after > 0 ? std::min(options.stop_after, tasks) : tasks;
  for (int64_t t = run.state.tasks_done; t < last; ++t) {
    learn_task(run, t, metrics, progress);
    run.state.wall_seconds = elapsed();
    save_checkpoint(run.file(kCheckpointFile), e, run.state);
  }
  if (run.state.tasks_done < tasks) return std::nullopt;  // stopped early: resumable
  auto summary = summarize(e, run.state);
  summary.wall_seconds = elapsed();
  write_results(run, summary, log);
  return summary;
}

Run fresh_run(
    const io::Config& config, const std::string& dir, const ContinualRunOptions& options) {
  check_new_run_folder(dir, kCheckpointFile);
  check_run_keeps_inputs(dir, kContinualRunFiles, options.inputs);
  io::check_run_file(run_file(dir, "metrics.jsonl"));
  // Everything is validated (config, data) before the folder is touched.
  Run run{dir, ContinualExperiment::build(config), {}, false};
  create_run_folder(dir);
  io::write_file_atomic(run.file("config.yaml"), run.experiment.config.to_yaml());
  return run;
}

// A rank other than 0 runs in a private folder (ContinualRunOptions::dist),
// removed when it is done. `copy_of`: a run folder to start from (resume).
class ScratchFolder {
 public:
  explicit ScratchFolder(int64_t rank, const std::string& copy_of = "") {
    std::string name = io::temp_template("hnet_rank" + std::to_string(rank));
    TORCH_CHECK(
        ::mkdtemp(name.data()) != nullptr, "cannot create the scratch folder ", name, " of rank ",
        rank, ": ", std::strerror(errno));
    path_ = name;
    if (!copy_of.empty()) {
      fs::copy(copy_of, path_, fs::copy_options::recursive | fs::copy_options::overwrite_existing);
    }
  }
  ~ScratchFolder() {
    std::error_code ignored;
    fs::remove_all(path_, ignored);
  }
  ScratchFolder(const ScratchFolder&) = delete;
  ScratchFolder& operator=(const ScratchFolder&) = delete;
  const std::string& path() const {
    return path_;
  }

 private:
  std::string path_;
};

std::optional<ContinualSummary> run_in(
    const io::Config& config, const std::string& dir, const ContinualRunOptions& options) {
  Run run = fresh_run(config, dir, options);
  return continue_run(run, options);
}

std::optional<ContinualSummary> resume_in(
    const std::string& dir, const ContinualRunOptions& options);

}  // namespace

std::optional<ContinualSummary> run_continual_experiment(
    const io::Config& config, const std::string& dir, const ContinualRunOptions& options) {
  distributed::check_rendezvous(options.dist);
  check_batch_fits_ranks(config.get_int("optimizer.batch_size"), options.dist.world_size);
  if (options.dist.rank == 0) return run_in(config, dir, options);
  ScratchFolder scratch(options.dist.rank);
  return run_in(config, (fs::path(scratch.path()) / "run").string(), options);
}

bool folder_holds_run_of(const std::string& dir, const io::Config& config) {
  return folder_holds_config(dir, config, continual_config_schema());
}

std::vector<ContinualSummary> run_in_folders(
    const std::vector<FolderRun>& runs, const ContinualRunOptions& options) {
  TORCH_CHECK(
      options.stop_after == 0,
      "run_in_folders: runs in several folders cannot stop early "
      "(stop_after ",
      options.stop_after, ")");
  std::vector<bool> started;
  for (const auto& r : runs) started.push_back(folder_holds_run_of(r.dir, r.config));
  std::vector<ContinualSummary> summaries;
  for (size_t i = 0; i < runs.size(); ++i) {
    if (options.log) *options.log << runs[i].label << "\n";
    auto summary = started[i] ? resume_continual_experiment(runs[i].dir, options)
                              : run_continual_experiment(runs[i].config, runs[i].dir, options);
    TORCH_CHECK(summary.has_value(), "run_in_folders: the run in ", runs[i].dir, " did not finish");
    summaries.push_back(*summary);
  }
  return summaries;
}

std::optional<ContinualSummary> resume_continual_experiment(
    const std::string& dir, const ContinualRunOptions& options) {
  HNET_CHECK_INPUT(!dir.empty(), "the run folder to resume must not be empty");
  distributed::check_rendezvous(options.dist);
  if (options.dist.rank == 0) return resume_in(dir, options);
  HNET_CHECK_INPUT(
      fs::is_directory(dir), "run folder ", dir, " is not a folder this rank can read (rank ",
      options.dist.rank, " resumes from a copy of it)");
  ScratchFolder scratch(options.dist.rank, dir);
  return resume_in(scratch.path(), options);
}

namespace {

std::optional<ContinualSummary> resume_in(
    const std::string& dir, const ContinualRunOptions& options) {
  const fs::path ckpt = fs::path(dir) / kCheckpointFile;
  const fs::path saved_config = fs::path(dir) / "config.yaml";
  check_run_keeps_inputs(dir, kContinualRunFiles, options.inputs);
  io::check_run_file(run_file(dir, "metrics.jsonl"));
  if (!io::path_exists(ckpt.string())) {
    HNET_CHECK_INPUT(
        io::path_exists(saved_config.string()), "run folder ", dir, ": no ", kCheckpointFile,
        " and no config.yaml in it (nothing to resume)");
    // A run killed before its first checkpoint left only its config:
    // resuming it means starting it again.
    if (options.log)
      *options.log << "no checkpoint yet in " << dir << ": starting again from its config.yaml\n";
    Run run{
        dir,
        ContinualExperiment::build(
            io::Config::resolve(continual_config_schema(), saved_config.string(), {})),
        {},
        false};
    return continue_run(run, options);
  }
  int64_t done = 0;
  Run run{dir, ContinualExperiment::from_checkpoint(ckpt.string(), &done), {}, true};
  run.state =
      load_run_state(ckpt.string(), done, static_cast<int64_t>(run.experiment.tasks.size()));
  cut_file(run.file("metrics.jsonl"), run.state.metrics_bytes);
  return continue_run(run, options);
}

}  // namespace

}  // namespace hnet
