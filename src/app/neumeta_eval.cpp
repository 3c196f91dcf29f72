// The one look at the test set of a NeuMeta run measured on validation data
// (what `hnet sweep` does for its chosen point).

#include <algorithm>
#include <filesystem>

#include "hnet/app/neumeta_run.h"
#include "hnet/errors.h"
#include "hnet/io/file_safety.h"
#include "hnet/io/module_state.h"
#include "hnet/io/safetensors.h"
#include "hnet/learn/neumeta.h"
#include "hnet/targets/mlp.h"

namespace hnet {

NeumetaSummary evaluate_neumeta_run(const std::string& dir) {
  const std::filesystem::path folder = dir;
  HNET_CHECK_INPUT(
      io::path_exists((folder / "summary.json").string()), dir,
      " holds no finished NeuMeta run (no summary.json)");
  const auto config =
      io::Config::resolve(neumeta_config_schema(), (folder / "config.yaml").string(), {});
  auto generator = load_neumeta_generator((folder / "generator.safetensors").string());
  const std::string baselines_path = (folder / "baselines.safetensors").string();
  const auto baselines = io::load_safetensors(baselines_path);
  const auto format = baselines.metadata.find("format");
  HNET_CHECK_INPUT(
      format != baselines.metadata.end() && format->second == kNeumetaBaselinesFormat,
      io::clipped(baselines_path), ": not the baselines.safetensors of an hnet neumeta run");
  const auto test = load_neumeta_test_set(config);
  const int64_t batch = config.get_int("eval.batch_size");
  NeumetaSummary s;
  s.widths = config.get_int_list("widths.eval");
  s.train_widths = config.get_int_list("widths.train");
  s.max_gap = -1;
  for (int64_t w : s.widths) {
    NeumetaWidthResult r;
    r.width = w;
    r.trained = std::find(s.train_widths.begin(), s.train_widths.end(), w) != s.train_widths.end();
    r.generated_acc = implicit_accuracy(generator, w, test, batch);
    const auto sizes = generator->mlp_sizes(w);
    auto flat = torch::empty({Mlp(MlpOptions(sizes))->spec()->numel()});
    try {
      io::restore_tensor(baselines, neumeta_baseline_name(w), flat);
    } catch (const c10::Error& err) {
      HNET_CHECK_INPUT(false, io::clipped(baselines_path), ": ", err.what_without_backtrace());
    }
    r.independent_acc = mlp_accuracy(sizes, flat, test, batch);
    r.gap = r.independent_acc - r.generated_acc;
    s.max_gap = std::max(s.max_gap, r.gap);
    s.results.push_back(r);
  }
  return s;
}

}  // namespace hnet
