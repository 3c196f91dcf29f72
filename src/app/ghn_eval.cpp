// `hnet ghn eval` and `hnet ghn predict`: a finished run's GHN on its
// architecture sets, and one architecture's predicted network exported.

#include <torch/nn/init.h>
#include <torch/nn/modules/batchnorm.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <numeric>

#include "ghn_folder.h"
#include "hnet/app/config_keys.h"
#include "hnet/app/ghn_run.h"
#include "hnet/app/plain_export.h"
#include "hnet/errors.h"
#include "hnet/ghn/ghn_training.h"
#include "hnet/io/atomic_file.h"
#include "hnet/io/module_state.h"
#include "hnet/io/safetensors.h"

namespace hnet {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

constexpr size_t kMaxArchitectureBytes = size_t{1} << 20;
constexpr int64_t kCalibrationImages = 2000;

data::Dataset first_n(const data::Dataset& d, int64_t n) {
  return n > 0 && n < d.size() ? data::Dataset{d.images.narrow(0, 0, n), d.labels.narrow(0, 0, n)}
                               : d;
}

// Batch-norm running statistics of `net` as the exact average over
// `images` (momentum none), so that evaluation mode matches batch mode.
void calibrate_batch_norms(ArchNet& net, const torch::Tensor& images) {
  torch::NoGradGuard no_grad;
  for (auto& m : net->modules(false)) {
    if (auto* bn = m->as<torch::nn::BatchNorm2d>()) {
      bn->options.momentum(c10::nullopt);
      bn->reset_running_stats();
    } else if (auto* bn1 = m->as<torch::nn::BatchNorm1d>()) {
      bn1->options.momentum(c10::nullopt);
      bn1->reset_running_stats();
    }
  }
  net->train();
  for (int64_t start = 0; start < images.size(0); start += 500) {
    const auto x = images.narrow(0, start, std::min<int64_t>(500, images.size(0) - start));
    net->forward(architecture_input(net->architecture(), x));
  }
  net->eval();
}

}  // namespace

GhnData load_ghn_data(const io::Config& c) {
  const std::string root = data_root(c);
  GhnData d;
  auto train = data::load_fashion_mnist(root, data::Split::kTrain);
  const int64_t limit = c.get_int("data.train_limit");
  train = first_n(train, limit);
  const int64_t val = c.get_int("data.val_size");
  HNET_CHECK_INPUT(
      val + 2 <= train.size(), "config key 'data.val_size' must leave at least 2 of the ",
      train.size(), " training images for training, got ", val);
  d.val = {
      train.images.narrow(0, train.size() - val, val),
      train.labels.narrow(0, train.size() - val, val)};
  d.train = first_n(train, train.size() - val);
  d.test =
      first_n(data::load_fashion_mnist(root, data::Split::kTest), c.get_int("data.test_limit"));
  return d;
}

ArchSpaceOptions architecture_space(const io::Config& c) {
  return ArchSpaceOptions()
      .widths(c.get_int_list("space.widths"))
      .kernels(c.get_int_list("space.kernels"))
      .min_stages(c.get_int("space.min_stages"))
      .max_stages(c.get_int("space.max_stages"))
      .max_blocks(c.get_int("space.max_blocks"))
      .hidden(c.get_int_list("space.hidden"))
      .mlp_fraction(c.get_float("space.mlp_fraction"));
}

TrainedGhn load_trained_ghn(const std::string& dir_text) {
  const fs::path dir = dir_text;
  const std::string path = (dir / "ghn.safetensors").string();
  HNET_CHECK_INPUT(
      fs::is_regular_file(path), dir_text,
      ": no ghn.safetensors (not a finished `hnet ghn train` "
      "run folder)");
  const auto file = io::load_safetensors(path);
  const auto format = file.metadata.find("format");
  HNET_CHECK_INPUT(
      format != file.metadata.end() && format->second == kGhnFormat, path,
      ": not a GHN (metadata 'format' must be '", kGhnFormat, "')");
  const auto config = file.metadata.find("config");
  HNET_CHECK_INPUT(config != file.metadata.end(), path, ": metadata 'config' is missing");
  TrainedGhn run{
      io::Config::resolve_text(
          ghn_config_schema(), config->second, path + " (metadata 'config')", {}),
      nullptr,
      {}};
  run.ghn = Ghn(ghn_options(run.config));
  io::load_module_state(file, *run.ghn, "");
  run.ghn->eval();
  run.sets = load_architecture_sets((dir / "architectures.json").string());
  return run;
}

GhnSetResult evaluate_ghn_set(TrainedGhn& run, const std::string& set, bool val) {
  const auto& archs = run.sets.named(set);
  const auto d = load_ghn_data(run.config);
  const auto& images = val ? d.val : d.test;
  GhnSetResult r;
  r.set = val ? "val" : set;
  for (const auto& a : archs) {
    r.acc.push_back(predicted_accuracy(*run.ghn, a, images, run.config.get_int("eval.batch_size")));
  }
  r.mean_acc = r.acc.empty() ? 0
                             : std::accumulate(r.acc.begin(), r.acc.end(), 0.0) /
                                   static_cast<double>(r.acc.size());
  return r;
}

std::string ghn_eval_json(const TrainedGhn& run, const GhnSetResult& r) {
  json archs = json::array();
  for (const auto& a : run.sets.named(r.set == "val" ? "test" : r.set)) {
    archs.push_back(architecture_to_json(a));
  }
  return json{{"set", r.set}, {"mean_acc", r.mean_acc}, {"acc", r.acc}, {"archs", archs}}.dump();
}

double export_predicted_network(
    TrainedGhn& run, const std::string& arch_path, const std::string& out) {
  const std::string text = io::read_file(arch_path, kMaxArchitectureBytes);
  json j;
  try {
    j = json::parse(text);
  } catch (const json::exception& e) {
    HNET_CHECK_INPUT(false, arch_path, ": not JSON: ", e.what());
  }
  const auto arch = architecture_from_json(j, arch_path);
  HNET_CHECK_INPUT(
      arch.input == std::vector<int64_t>({1, 28, 28}) ||
          arch.input == std::vector<int64_t>({28 * 28}),
      arch_path, ": 'input' must be [1, 28, 28] or [784] (Fashion-MNIST), got ",
      c10::IntArrayRef(arch.input));
  ArchNet net(arch);
  predict_into(*run.ghn, net);
  const auto d = load_ghn_data(run.config);
  const double acc = network_accuracy(net, d.test, run.config.get_int("eval.batch_size"));
  calibrate_batch_norms(net, first_n(d.train, kCalibrationImages).images);
  io::NamedTensors tensors;
  for (const auto& p : net->named_parameters()) tensors.emplace_back(p.key(), p.value().detach());
  for (const auto& b : net->named_buffers()) {
    if (b.key().find("num_batches_tracked") == std::string::npos) {
      tensors.emplace_back(b.key(), b.value());
    }
  }
  const json input{{"dataset", "fashion-mnist"}, {"image_shape", {1, 28, 28}},
                   {"divide_by", 255},           {"flatten", "row-major"},
                   {"permutation", nullptr},     {"shape", arch.input}};
  io::save_safetensors(
      out, tensors,
      {{"format", "hnet-ghn-network"},
       {"architecture", architecture_to_json(arch).dump()},
       {"input", input.dump()},
       {"labels", json{{"classes", {0, 1, 2, 3, 4, 5, 6, 7, 8, 9}}}.dump()},
       {"output", "logits"},
       {"batch_norm", "evaluation mode: running statistics over the first 2000 training images"},
       {"source", "ghn"},
       {"test_accuracy_batch_statistics", std::to_string(acc)}});
  return acc;
}

}  // namespace hnet
