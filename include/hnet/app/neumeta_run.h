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
#include <vector>

#include "hnet/generators/implicit_generator.h"
#include "hnet/data/fashion_mnist.h"
#include "hnet/io/config.h"
#include "hnet/io/config_choice.h"

namespace hnet {

/// Every key a neumeta config may hold, with defaults and rules.
io::ConfigSchema neumeta_config_schema();

/// The values of `implicit.width_draws`: how a step's widths are drawn.
enum class WidthDraws { kUniform, kProportional };
/// Their names: uniform, proportional.
const io::ChoiceTable<WidthDraws>& width_draws();

/// One evaluated width of a NeuMeta run.
struct NeumetaWidthResult {
  int64_t width = 0;
  bool trained = false;  ///< one of the widths the task loss samples
  double generated_acc = 0;
  /// The independent MLP of this width: trained at each baseline learning
  /// rate until its validation accuracy stopped rising (early stopping);
  /// the run with the best validation accuracy counts.
  double independent_acc = 0;
  double independent_lr = 0;
  int64_t independent_best_step = 0;  ///< step of its best validation accuracy
  int64_t independent_steps_run = 0;  ///< steps trained before it stopped
  double gap = 0;                     ///< independent - generated
  /// With a validation split (data.val_size > 0): the same on it.
  double generated_val_acc = 0;
  double independent_val_acc = 0;
  double val_gap = 0;
};

/// What a finished NeuMeta run reports (summary.json holds the same fields).
struct NeumetaSummary {
  /// What generated_acc, independent_acc and the gaps were measured on:
  /// "test", or "val" with `eval.split: val` (then the test set is not read).
  std::string split = "test";
  std::vector<int64_t> widths;
  std::vector<int64_t> train_widths;
  std::vector<NeumetaWidthResult> results;
  double max_gap = 0;
  int64_t val_size = 0;
  double max_val_gap = 0;  ///< when val_size > 0
  int64_t generator_params = 0;
  int64_t reference_params = 0;
  double reference_acc = 0;
  double reordered_reference_acc = 0;
  int64_t train_steps = 0;
  int64_t threads = 0;
  double wall_seconds = 0;

  /// The summary.json text (two-space indented).
  std::string to_json() const;
};

struct NeumetaRunOptions {
  /// Where progress goes (null: nowhere); `terminal` selects the redrawn bar.
  std::ostream* log = nullptr;
  bool terminal = false;
  /// Files the caller read for this run (its config file): the run refuses
  /// (c10::ValueError) to write any of its files over one of them.
  std::vector<std::string> inputs;
};

/// The implicit generator a run of `config` trains, untrained: MLPs of
/// Fashion-MNIST's 784 inputs and 10 classes, widths in the range of
/// `widths.train`. c10::ValueError naming the key when the widths are bad
/// or the generator exceeds `limits.max_parameters`.
ImplicitGenerator neumeta_generator(const io::Config& config);

/// The metadata format of a run's generator.safetensors and
/// baselines.safetensors.
inline constexpr const char* kNeumetaGeneratorFormat = "hnet-implicit-generator";
inline constexpr const char* kNeumetaBaselinesFormat = "hnet-neumeta-baselines";

/// The trained generator of generator.safetensors at `path`, its state
/// loaded. c10::ValueError naming the file when it is not one.
ImplicitGenerator load_neumeta_generator(const std::string& path);

/// The name of width W's independent MLP in baselines.safetensors.
std::string neumeta_baseline_name(int64_t width);

/// The test images a run of `config` reports on (data.root, data.test_limit).
data::Dataset load_neumeta_test_set(const io::Config& config);

/// The test accuracies of a finished run in `dir` (one made with
/// `eval.split: val`, whose summary never read the test set): for every
/// evaluated width the generated and the independent MLP on the test set,
/// their gap, and max_gap. What `hnet sweep` reports for its chosen point.
/// c10::ValueError naming the file when the folder holds no finished run.
NeumetaSummary evaluate_neumeta_run(const std::string& dir);

/// Writes the width-`width` MLP (784-w-w-10, ReLU) that the generator of a
/// finished run yields as a plain export to `out` (plain_export.h; metadata
/// also "source": "neumeta" and "width"). `generator_path` is the run's
/// generator.safetensors, whose metadata holds the run's configuration.
/// c10::ValueError naming the file when it is not such a generator, naming
/// the width when it lies outside the generator's trained range, and when
/// `out` is `generator_path`.
void export_neumeta_width(const std::string& generator_path, int64_t width, const std::string& out);

/// Runs the experiment into the folder `dir`, which must not yet hold a
/// summary.json. Bad configuration values (e.g. an evaluated width outside
/// the trained range) throw c10::ValueError naming the key before anything
/// is written.
NeumetaSummary run_neumeta_experiment(
    const io::Config& config, const std::string& dir, const NeumetaRunOptions& options = {});

}  // namespace hnet
