#pragma once
/// \file
/// The Neural Metamorphosis experiment behind `hnet neumeta CONFIG`: a
/// full-width reference MLP is trained on Fashion-MNIST and its neurons
/// reordered (order_mlp_neurons), an implicit generator is trained to yield
/// the MLP of every width from it, and each evaluated width is compared with
/// an MLP of that width trained independently. A run writes into one folder
///
///   config.yaml             the resolved configuration
///   metrics.jsonl           one JSON object per logged implicit-training step
///   generator.safetensors   the implicit generator's parameters and buffers
///   summary.json            per width: generated and independent test
///                           accuracy, their gap, whether the width was
///                           trained; parameter counts; wall time
///   accuracy.png            test accuracy against width, both lines
///
/// every file written to a temporary name and renamed.

#include <ostream>
#include <string>

#include "hnet/io/config.h"

namespace hnet {

/// Every key a neumeta config may hold, with defaults and rules.
io::ConfigSchema neumeta_config_schema();

struct NeumetaRunOptions {
  /// The run folder; must not yet hold a summary.json.
  std::string out_dir;
  /// Where progress goes; `terminal` selects the redrawn bar.
  std::ostream* log = nullptr;
  bool terminal = false;
};

/// Runs the experiment; returns the summary also written to summary.json, as
/// JSON text. Bad configuration values (e.g. an evaluated width outside the
/// trained range) throw a c10::Error naming the key before anything is
/// written.
std::string run_neumeta_experiment(const io::Config& config, const NeumetaRunOptions& options);

}  // namespace hnet
