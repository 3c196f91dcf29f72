#pragma once
/// \file
/// `hnet multitask CONFIG --out DIR`: adapting one frozen, pretrained
/// encoder to several dense tasks and a classification task (multitask.h)
/// with every method side by side, as Polyhistor's Figure 1 compares them
/// (trainable parameters against Delta_m). The run folder holds
///
///   config.yaml              the resolved configuration
///   backbone.safetensors     the pretrained encoder (classes 0..pretrain.classes-1)
///   metrics.jsonl            one line per logged training step of each method
///   summary.json             per method: {"method", "trainable_params",
///                            "decoder_params", "delta_m", "val_delta_m",
///                            "per_task": {task: metric}, "val_per_task", ...};
///                            Maestro's learned ranks, its parameters at
///                            them, and its truncation curve
///   delta_m.png              trainable parameters against Delta_m, with
///                            Maestro truncated to each rank k (@k)
///
/// Delta_m is relative to single-task full fine-tuning (method `single`),
/// on the test set (`delta_m`) and on the validation images
/// (`val_delta_m`, what settings are chosen by). summary.json is rewritten
/// after every method, and running the same command again skips the
/// methods it holds: a killed run loses at most the method it was in.
/// `trainable_params` counts what a method trains in the encoder (its
/// weights, adapters or hypernetworks); the per-task decoders, the same for
/// every method, are `decoder_params`.

#include <ostream>
#include <string>
#include <vector>

#include "hnet/io/config.h"

namespace hnet {

/// Every key a multitask config may hold, with defaults and rules.
io::ConfigSchema multitask_config_schema();

/// Every method name, in the default order.
std::vector<std::string> multitask_methods();

struct MultitaskMethodResult {
  std::string method;
  int64_t trainable_params = 0;
  int64_t decoder_params = 0;
  double delta_m = 0, val_delta_m = 0;
  std::vector<double> test, val;  ///< per task, in the config's task order
  double wall_seconds = 0;
};

struct MaestroRankPoint {
  int64_t rank = 0;  ///< every layer truncated to this rank
  int64_t trainable_params = 0;
  double delta_m = 0;
};

struct MultitaskSummary {
  std::vector<std::string> tasks;
  std::vector<std::string> metrics;  ///< per task: miou, psnr or acc
  std::vector<MultitaskMethodResult> methods;
  std::vector<int64_t> maestro_ranks;  ///< learned, per conv layer (empty: Maestro not run)
  std::vector<MaestroRankPoint> maestro_curve;
  /// Maestro's parameters after truncation to its learned ranks (its
  /// `trainable_params` counts what it trained: every layer at max_rank).
  int64_t maestro_learned_params = 0;
  /// Bytes of metrics.jsonl when the last method finished (resume cuts back to it).
  int64_t metrics_bytes = 0;
  int64_t seed = 0, threads = 0;
  /// Seconds of every invocation of the run, each up to its last summary write.
  double wall_seconds = 0;
  std::string to_json() const;
};

struct MultitaskRunOptions {
  std::ostream* log = nullptr;  ///< progress (null: none)
  bool terminal = false;
  std::vector<std::string> inputs;  ///< files the caller read: never written over
};

/// Runs every method of `config` into `out_dir` (new, or one holding a run
/// of the same configuration, which continues). c10::ValueError naming the
/// key, method, task or file on bad input, before anything is written.
MultitaskSummary run_multitask(
    const io::Config& config, const std::string& out_dir, const MultitaskRunOptions& options);

}  // namespace hnet
