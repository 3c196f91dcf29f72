// `hnet neumeta export`: one width's MLP of a finished NeuMeta run, as a
// plain export.

#include <algorithm>

#include "hnet/app/config_keys.h"
#include "hnet/app/neumeta_run.h"
#include "hnet/app/plain_export.h"
#include "hnet/count.h"
#include "hnet/data/fashion_mnist.h"
#include "hnet/errors.h"
#include "hnet/io/file_safety.h"
#include "hnet/io/module_state.h"
#include "hnet/io/safetensors.h"
#include "hnet/learn/neumeta.h"
#include "hnet/targets/mlp.h"

namespace hnet {
ImplicitGenerator load_neumeta_generator(const std::string& path) {
  const auto file = io::load_safetensors(path);
  const auto format = file.metadata.find("format");
  const auto config = file.metadata.find("config");
  HNET_CHECK_INPUT(
      format != file.metadata.end() && format->second == kNeumetaGeneratorFormat &&
          config != file.metadata.end(),
      io::clipped(path), ": not the generator.safetensors of an hnet neumeta run (its metadata ",
      "needs 'format' ", kNeumetaGeneratorFormat, " and 'config')");
  // As for training checkpoints: the budget is what the file holds (a model
  // at most 4x its values), whatever limit its config states.
  int64_t held = 0;
  for (const auto& entry : file.tensors) held = count_add(held, entry.second.numel());
  const int64_t budget = std::clamp<int64_t>(count_mul(4, held), 1, kMaxParametersLimit);
  auto generator = neumeta_generator(io::Config::resolve_text(
      neumeta_config_schema(), config->second, io::clipped(path) + " (config)",
      {"limits.max_parameters=" + std::to_string(budget)}));
  try {
    io::load_module_state(file, *generator, "");
  } catch (const c10::Error& err) {
    HNET_CHECK_INPUT(false, io::clipped(path), ": ", err.what_without_backtrace());
  }
  return generator;
}

void export_neumeta_width(
    const std::string& generator_path, int64_t width, const std::string& out) {
  io::check_output_is_not_input(out, {generator_path});
  auto generator = load_neumeta_generator(generator_path);
  const auto& o = generator->options;
  HNET_CHECK_INPUT(
      width >= o.min_width() && width <= o.max_width(), "width must lie in the trained range [",
      o.min_width(), ", ", o.max_width(), "] of ", io::clipped(generator_path), ", got ", width);
  Mlp mlp(MlpOptions(generator->mlp_sizes(width)));
  const auto net =
      mlp->plain_network(Weights(mlp->spec(), generated_mlp_weights(generator, width)));
  PlainInput input;
  input.image_shape = {1, data::kFashionMnistSide, data::kFashionMnistSide};
  for (int64_t c = 0; c < data::kFashionMnistClasses; ++c) input.classes.push_back(c);
  save_plain_export(out, net, input, {{"source", "neumeta"}, {"width", std::to_string(width)}});
}

}  // namespace hnet
