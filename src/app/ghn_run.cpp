// `hnet ghn train`: a GHN trained on sampled architectures with checkpoints
// and resume, then measured zero-shot on the held-out sets (ghn_run.h).

#include "hnet/app/ghn_run.h"

#include <chrono>
#include <cmath>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>

#include "ghn_folder.h"
#include "hnet/app/config_keys.h"
#include "hnet/app/progress.h"
#include "hnet/app/run_folder.h"
#include "hnet/errors.h"
#include "hnet/ghn/ghn_training.h"
#include "hnet/io/atomic_file.h"
#include "hnet/io/file_safety.h"
#include "hnet/io/module_state.h"
#include "hnet/io/optimizer_state.h"
#include "hnet/io/safetensors.h"

namespace hnet {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

const std::vector<std::string> kGhnRunFiles{"config.yaml",     "architectures.json",
                                            "metrics.jsonl",   "checkpoint.safetensors",
                                            "ghn.safetensors", "summary.json"};

constexpr const char* kCheckpointFormat = "hnet-ghn-checkpoint";

// What a checkpoint holds besides tensors.
struct Progressed {
  int64_t step = 0;
  int64_t metrics_bytes = -1;
  double wall_seconds = 0;
};

void save_checkpoint(
    const fs::path& dir, Ghn& ghn, const torch::optim::Adam& adam, const io::Config& c,
    const Progressed& p) {
  auto tensors = io::module_state(*ghn, "ghn.");
  for (auto& t : io::adam_state(adam, *ghn, "adam.")) tensors.push_back(std::move(t));
  io::save_safetensors(
      (dir / "checkpoint.safetensors").string(), tensors,
      {{"format", kCheckpointFormat},
       {"config", c.to_yaml()},
       {"step", std::to_string(p.step)},
       {"metrics_bytes", std::to_string(p.metrics_bytes)},
       {"wall_seconds", std::to_string(p.wall_seconds)}});
}

int64_t metadata_count(
    const std::map<std::string, std::string>& m, const std::string& key, const std::string& path,
    int64_t lo) {
  const auto it = m.find(key);
  HNET_CHECK_INPUT(it != m.end(), path, ": metadata '", key, "' is missing");
  size_t used = 0;
  int64_t v = 0;
  try {
    v = std::stoll(it->second, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  HNET_CHECK_INPUT(
      used > 0 && used == it->second.size() && v >= lo, path, ": metadata '", key,
      "' must be a whole number >= ", lo, ", got '", it->second, "'");
  return v;
}

Progressed load_checkpoint(
    const fs::path& dir, Ghn& ghn, torch::optim::Adam& adam, const io::Config& c) {
  const std::string path = (dir / "checkpoint.safetensors").string();
  const auto file = io::load_safetensors(path);
  const auto format = file.metadata.find("format");
  HNET_CHECK_INPUT(
      format != file.metadata.end() && format->second == kCheckpointFormat, path,
      ": not a GHN checkpoint (metadata 'format' must be '", kCheckpointFormat, "')");
  io::load_module_state(file, *ghn, "ghn.");
  io::restore_adam_state(file, adam, *ghn, "adam.");
  Progressed p;
  p.step = metadata_count(file.metadata, "step", path, 0);
  HNET_CHECK_INPUT(
      p.step <= c.get_int("optimizer.steps"), path, ": metadata 'step' ", p.step,
      " is past the configured optimizer.steps ", c.get_int("optimizer.steps"));
  p.metrics_bytes = metadata_count(file.metadata, "metrics_bytes", path, -1);
  const auto wall = file.metadata.find("wall_seconds");
  if (wall != file.metadata.end()) p.wall_seconds = std::max(0.0, std::atof(wall->second.c_str()));
  return p;
}

// Trains from step p.step + 1 to the end, checkpointing as it goes.
void train(
    const io::Config& c, const fs::path& dir, Ghn& ghn, const ArchitectureSets& sets,
    const GhnData& d, bool resume, const GhnRunOptions& options, Progressed& p,
    std::chrono::steady_clock::time_point start, const distributed::Communicator& comm) {
  const bool writer = comm.rank() == 0;
  std::ostringstream discard;
  std::ostream& log = options.log && writer ? *options.log : discard;
  GhnTrainer trainer(
      *ghn, architecture_space(c), sets.keys(), d.train,
      GhnTrainingOptions()
          .meta_batch(c.get_int("optimizer.meta_batch"))
          .batch_size(c.get_int("optimizer.batch_size"))
          .lr(c.get_float("optimizer.lr"))
          .weight_decay(c.get_float("optimizer.weight_decay"))
          .grad_clip(c.get_float("optimizer.grad_clip"))
          .seed(static_cast<uint64_t>(c.get_int("seed"))),
      &comm);
  const std::string metrics_path = (dir / "metrics.jsonl").string();
  if (resume) {
    p = load_checkpoint(dir, ghn, trainer.optimizer(), c);
    if (writer) cut_file(metrics_path, p.metrics_bytes);
    log << "resuming at step " << p.step + 1 << "\n";
  }
  const double wall_before = p.wall_seconds;
  std::optional<MetricsLog> metrics;
  if (writer) metrics.emplace(metrics_path, resume);
  const int64_t steps = c.get_int("optimizer.steps");
  const int64_t every = c.get_int("checkpoint.every");
  const int64_t log_every = c.get_int("log.every");
  if (p.step >= steps) return;
  Progress progress(log, ProgressOptions().terminal(options.terminal));
  progress.start("ghn", steps);
  for (int64_t k = p.step + 1; k <= steps; ++k) {
    const double loss = trainer.step(k);
    TORCH_CHECK(
        std::isfinite(loss), "ghn training diverged: the loss at step ", k, " is ", loss,
        "; lower optimizer.lr");
    progress.update(k, loss);
    if (!writer) continue;
    if (k % log_every == 0) metrics->write_line(json{{"step", k}, {"loss", loss}}.dump());
    if (k % every == 0 || k == steps) {
      p.step = k;
      p.metrics_bytes = metrics->size();
      p.wall_seconds =
          wall_before +
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      save_checkpoint(dir, ghn, trainer.optimizer(), c, p);
    }
  }
  progress.finish();
}

GhnSummary measure(
    const io::Config& c, const fs::path& dir, TrainedGhn& run, const Progressed& p,
    std::ostream& log) {
  GhnSummary s;
  for (const auto& [set, val] :
       {std::pair{"test", true}, std::pair{"test", false}, std::pair{"ood", false}}) {
    s.sets.push_back(evaluate_ghn_set(run, set, val));
    log << "zero-shot " << s.sets.back().set << ": mean accuracy " << s.sets.back().mean_acc
        << " over " << s.sets.back().acc.size() << " architectures\n";
  }
  s.ghn_params = io::parameter_count(*run.ghn);
  s.decoder_params = run.ghn->weight_decoder_parameters();
  s.steps = c.get_int("optimizer.steps");
  s.threads = torch::get_num_threads();
  s.wall_seconds = p.wall_seconds;
  io::write_file_atomic((dir / "summary.json").string(), s.to_json() + "\n");
  return s;
}

// The held-out sets of `c` (the same on every rank: fixed by sets.seed).
ArchitectureSets ghn_architecture_sets(const io::Config& c) {
  return make_architecture_sets(
      architecture_space(c), static_cast<uint64_t>(c.get_int("sets.seed")),
      static_cast<size_t>(c.get_int("sets.test")), static_cast<size_t>(c.get_int("sets.ood")));
}

GhnSummary train_and_measure(
    const io::Config& c, const fs::path& dir, ArchitectureSets sets, bool resume,
    const GhnRunOptions& options) {
  const auto start = std::chrono::steady_clock::now();
  std::ostringstream discard;
  std::ostream& log = options.log ? *options.log : discard;
  set_thread_count(c.get_int("threads"));
  const distributed::Communicator comm(options.dist);
  const auto d = load_ghn_data(c);
  torch::manual_seed(static_cast<uint64_t>(c.get_int("seed")));
  Ghn ghn(ghn_options(c));
  check_parameter_budget(c, io::parameter_count(*ghn), "graph hypernetwork");
  Progressed p;
  train(c, dir, ghn, sets, d, resume, options, p, start, comm);
  if (comm.rank() > 0) {
    GhnSummary s;  // rank 0 measures and writes
    s.steps = c.get_int("optimizer.steps");
    return s;
  }
  io::save_safetensors(
      (dir / "ghn.safetensors").string(), io::module_state(*ghn, ""),
      {{"format", kGhnFormat}, {"config", c.to_yaml()}});
  TrainedGhn run{c, ghn, std::move(sets)};
  return measure(c, dir, run, p, log);
}

}  // namespace

void check_ghn_ranks(const io::Config& c, const distributed::Rendezvous& dist) {
  distributed::check_rendezvous(dist);
  HNET_CHECK_INPUT(
      c.get_int("optimizer.meta_batch") % dist.world_size == 0,
      "config key 'optimizer.meta_batch' ", c.get_int("optimizer.meta_batch"),
      " does not split evenly over ", dist.world_size, " ranks");
}

std::string GhnSummary::to_json() const {
  json j{{"method", "ghn"}};
  for (const auto& r : sets) {
    json set{{"mean_acc", r.mean_acc}, {"acc", r.acc}};
    j[r.set] = set;
  }
  j["ghn_params"] = ghn_params;
  j["decoder_params"] = decoder_params;
  j["steps"] = steps;
  j["threads"] = threads;
  j["wall_seconds"] = wall_seconds;
  return j.dump(2);
}

GhnSummary run_ghn_training(
    const io::Config& c, const std::string& out_dir, const GhnRunOptions& options) {
  const fs::path dir = out_dir;
  check_ghn_ranks(c, options.dist);
  if (options.dist.rank > 0) {  // rank 0 owns the folder
    return train_and_measure(c, dir, ghn_architecture_sets(c), false, options);
  }
  check_new_run_folder(out_dir, "checkpoint.safetensors");
  check_run_keeps_inputs(out_dir, kGhnRunFiles, options.inputs);
  io::check_run_file((dir / "metrics.jsonl").string());
  auto sets = ghn_architecture_sets(c);
  create_run_folder(out_dir);
  io::remove_stale_temporaries(out_dir, kGhnRunFiles);
  io::write_file_atomic((dir / "config.yaml").string(), c.to_yaml());
  save_architecture_sets((dir / "architectures.json").string(), sets);
  return train_and_measure(c, dir, std::move(sets), false, options);
}

GhnSummary resume_ghn_training(const std::string& out_dir, const GhnRunOptions& options) {
  const fs::path dir = out_dir;
  const auto c = io::Config::resolve(ghn_config_schema(), (dir / "config.yaml").string(), {});
  HNET_CHECK_INPUT(
      fs::exists(dir / "checkpoint.safetensors"), out_dir,
      ": no checkpoint.safetensors to resume from (a run writes its first one after ",
      c.get_int("checkpoint.every"), " steps; start it again)");
  check_ghn_ranks(c, options.dist);
  if (options.dist.rank == 0) io::remove_stale_temporaries(out_dir, kGhnRunFiles);
  auto sets = load_architecture_sets((dir / "architectures.json").string());
  return train_and_measure(c, dir, std::move(sets), true, options);
}

}  // namespace hnet
