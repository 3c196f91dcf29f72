#pragma once
/// \file
/// The graph-hypernetwork experiment behind `hnet ghn` (GHN-2: Knyazev et
/// al. 2021; LoGAH's low-rank decoder: Zhou et al. 2024). A training run
/// writes into one folder
///
///   config.yaml                the resolved configuration
///   architectures.json         the held-out test and ood sets (architecture_sets.h)
///   metrics.jsonl              one JSON object per logged step
///   checkpoint.safetensors     the GHN, Adam's moments and the step (resume)
///   ghn.safetensors            the trained GHN (metadata: its configuration)
///   summary.json               zero-shot mean accuracy on both sets and the
///                              validation split, parameter counts, wall time
///
/// and `hnet ghn eval / predict / finetune` read that folder. Every file is
/// written to a temporary name and renamed.

#include <ostream>
#include <string>
#include <vector>

#include "hnet/distributed/communicator.h"
#include "hnet/ghn/architecture_sets.h"
#include "hnet/ghn/ghn.h"
#include "hnet/io/config.h"

namespace hnet {

/// Every key a ghn config may hold, with defaults and rules.
io::ConfigSchema ghn_config_schema();

/// The GHN options of `config` (ghn.* keys and data's 10 classes).
GhnOptions ghn_options(const io::Config& config);

struct GhnRunOptions {
  /// Where progress goes (null: nowhere); `terminal` selects the redrawn bar.
  std::ostream* log = nullptr;
  bool terminal = false;
  /// Files the caller read (its config file): never written over.
  std::vector<std::string> inputs;
  /// Data-parallel training (communicator.h). Rank 0 writes the run folder
  /// (metrics, checkpoints, summary); other ranks write nothing and, on
  /// resume, read the checkpoint from the same folder (shared storage
  /// across machines). A rank that stops makes the others fail within
  /// dist.timeout_s; `--resume` continues from the last checkpoint.
  distributed::Rendezvous dist;
};

/// Zero-shot accuracies of one architecture set.
struct GhnSetResult {
  std::string set;  ///< "test", "ood" or "val" (the test set's archs on validation images)
  std::vector<double> acc;
  double mean_acc = 0;
};

struct GhnSummary {
  std::vector<GhnSetResult> sets;
  int64_t ghn_params = 0;
  int64_t decoder_params = 0;
  int64_t steps = 0;
  int64_t threads = 0;
  double wall_seconds = 0;
  std::string to_json() const;
};

/// Checks that `dist` is a valid rendezvous and that the config's meta-batch
/// splits evenly over its ranks (c10::ValueError naming the key).
void check_ghn_ranks(const io::Config& config, const distributed::Rendezvous& dist);

/// Trains a GHN as `config` says into `out_dir` (a new or empty folder),
/// then measures it. c10::ValueError naming the key or folder on bad input.
GhnSummary run_ghn_training(
    const io::Config& config, const std::string& out_dir, const GhnRunOptions& options);

/// Continues the run in `dir` from its checkpoint (or measures it when its
/// training finished but its summary was not written).
GhnSummary resume_ghn_training(const std::string& dir, const GhnRunOptions& options);

/// A finished run's GHN and configuration; c10::ValueError naming the file
/// when `dir` holds none or its ghn.safetensors does not fit its config.
struct TrainedGhn {
  io::Config config;
  Ghn ghn{nullptr};
  ArchitectureSets sets;
};
TrainedGhn load_trained_ghn(const std::string& dir);

/// Zero-shot accuracy of every architecture of `set` ("test", "ood") on the
/// run's test images (with `val`: the run's validation images).
GhnSetResult evaluate_ghn_set(TrainedGhn& run, const std::string& set, bool val = false);

/// JSON of `hnet ghn eval --json`:
/// {"set": ..., "mean_acc": ..., "acc": [...], "archs": [...]}.
std::string ghn_eval_json(const TrainedGhn& run, const GhnSetResult& r);

/// Writes the network of the architecture file `arch_path` (JSON, as
/// architecture.h) with predicted parameters to `out` as a plain export:
/// metadata format "hnet-ghn-network", "architecture" (the JSON of
/// architecture.h), "input" (as plain_export.h); batch-norm running
/// statistics recomputed on 2,000 training images so that evaluation mode
/// works. Returns its test accuracy (batch statistics).
double export_predicted_network(
    TrainedGhn& run, const std::string& arch_path, const std::string& out);

/// Fine-tuning from predicted parameters against He initialisation.
struct FinetuneResult {
  std::vector<int64_t> steps;         ///< where accuracy was measured
  std::vector<double> predicted_acc;  ///< mean over architectures, per point
  std::vector<double> he_acc;
  std::vector<std::vector<double>> predicted_per_arch, he_per_arch;  ///< [point][arch]
  std::string to_json() const;
};

/// Fine-tunes the first `archs` architectures of `set` for `steps` steps
/// (SGD with momentum 0.9 at `lr`, batches of the run's batch size) from the
/// GHN's prediction and from He (Kaiming normal) initialisation, measuring
/// test accuracy at each of `points` (every one <= steps).
FinetuneResult finetune_ghn(
    TrainedGhn& run, const std::string& set, int64_t archs, int64_t steps, double lr,
    const std::vector<int64_t>& points, std::ostream* log);

}  // namespace hnet
