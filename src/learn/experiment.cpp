#include "hnet/learn/experiment.h"

#include <c10/util/StringUtil.h>

#include <charconv>
#include <nlohmann/json.hpp>
#include <sstream>

#include "hnet/data/fashion_mnist.h"
#include "hnet/errors.h"
#include "hnet/generators/registry.h"

namespace hnet {
namespace {

using io::ConfigKey;
using io::ValueType;

ConfigKey key(
    std::string name, ValueType type, std::string default_value, std::string help,
    c10::optional<double> min = c10::nullopt, bool min_exclusive = false,
    std::vector<std::string> choices = {}) {
  ConfigKey k;
  k.name = std::move(name);
  k.type = type;
  k.default_value = std::move(default_value);
  k.help = std::move(help);
  k.min = min;
  k.min_exclusive = min_exclusive;
  k.choices = std::move(choices);
  return k;
}

// "fc3.weight, fc2.weight" -> {"fc3.weight", "fc2.weight"}; "" -> {}.
std::vector<std::string> split_names(const std::string& list) {
  std::vector<std::string> names;
  std::stringstream in(list);
  std::string name;
  while (std::getline(in, name, ',')) {
    name.erase(0, name.find_first_not_of(' '));
    name.erase(name.find_last_not_of(' ') + 1);
    if (!name.empty()) names.push_back(name);
  }
  return names;
}

// The generator the config's generator.* keys describe (registry.h).
std::shared_ptr<WeightGenerator> generator_from_config(
    const io::Config& c, const std::shared_ptr<const Spec>& spec) {
  auto options =
      GeneratorOptions(c.get_int("embedding.dim"))
          .hidden(c.get_int_list("generator.hidden"))
          .chunk_size(c.get_int("generator.chunk_size"))
          .embedding_dim(c.get_int("generator.chunk_embedding_dim"))
          .output(OutputOptions()
                      .mode(
                          c.get_string("generator.output") == "mip" ? OutputMode::kMip
                                                                    : OutputMode::kDirect)
                      .fan(c.get_string("generator.fan") == "out" ? Fan::kOut : Fan::kIn));
  return make_generator(
      c.get_string("generator.kind"), spec, options,
      LowRankOptions(c.get_int("generator.rank"))
          .dense(split_names(c.get_string("generator.dense"))));
}

}  // namespace

// Over 60 lines: one statement per key of a flat table, read top to bottom.
io::ConfigSchema continual_config_schema() {
  io::ConfigSchema s;
  s.add(
      key("method", ValueType::kString, "hypercl", "continual-learning method", c10::nullopt, false,
          {"hypercl", "interval", "finetune", "separate"}));
  s.add(key("seed", ValueType::kInt, "1", "random seed", 0.0));
  s.add(key("tasks", ValueType::kInt, "5", "number of tasks", 1.0));
  s.add(key("threads", ValueType::kInt, "0", "LibTorch threads (0: all cores)", 0.0));
  s.add(key("data.root", ValueType::kString, "\"\"", "folder of the Fashion-MNIST .gz files"));
  s.add(
      key("data.sequence", ValueType::kString, "split", "task sequence", c10::nullopt, false,
          {"split", "permuted"}));
  s.add(key("data.val_fraction", ValueType::kFloat, "0.1", "held-out validation fraction", 0.0));
  s.add(
      key("data.train_limit", ValueType::kInt, "0", "first n training images only (0: all)", 0.0));
  s.add(key("data.test_limit", ValueType::kInt, "0", "first n test images only (0: all)", 0.0));
  s.add(key(
      "target.hidden", ValueType::kIntList, "[400, 400]", "hidden widths of the target MLP", 1.0));
  s.add(
      key("target.activation", ValueType::kString, "relu", "activation of the target MLP",
          c10::nullopt, false, {"relu", "leaky_relu", "tanh", "sigmoid", "elu"}));
  s.add(
      key("target.heads", ValueType::kString, "shared",
          "output heads: shared by all tasks, or per_task (task t reads its own outputs)",
          c10::nullopt, false, {"shared", "per_task"}));
  s.add(
      key("target.phm", ValueType::kInt, "0",
          "0: dense target layers; n: PHM hidden layers with n Kronecker terms", 0.0));
  s.add(
      key("generator.kind", ValueType::kString, "chunked", "hypernetwork architecture",
          c10::nullopt, false, generator_kinds()));
  s.add(
      key("generator.rank", ValueType::kInt, "4",
          "lowrank: rank of every factored weight matrix, in [1, min(out, in)]", 1.0));
  s.add(
      key("generator.dense", ValueType::kString, "\"\"",
          "lowrank: comma-separated weight entries emitted unfactored, e.g. fc3.weight"));
  s.add(
      key("generator.hidden", ValueType::kIntList, "[100, 100]", "hidden widths of the generator",
          1.0));
  s.add(key("generator.chunk_size", ValueType::kInt, "750", "values per chunk", 1.0));
  s.add(
      key("generator.chunk_embedding_dim", ValueType::kInt, "32", "chunk / layer embedding width",
          1.0));
  s.add(
      key("generator.output", ValueType::kString, "direct", "output parametrization", c10::nullopt,
          false, {"direct", "mip"}));
  s.add(
      key("generator.fan", ValueType::kString, "in", "hyperfan rule", c10::nullopt, false,
          {"in", "out"}));
  s.add(key("embedding.dim", ValueType::kInt, "32", "task embedding width", 1.0));
  s.add(key("optimizer.lr", ValueType::kFloat, "0.001", "Adam learning rate", 0.0, true));
  s.add(
      key("optimizer.schedule", ValueType::kString, "constant", "learning rate over a task",
          c10::nullopt, false, {"constant", "cosine"}));
  s.add(key("optimizer.batch_size", ValueType::kInt, "32", "batch size", 1.0));
  s.add(key("optimizer.steps", ValueType::kInt, "1000", "training steps per task", 1.0));
  s.add(
      key("optimizer.grad_clip", ValueType::kFloat, "0", "gradient-norm clipping (0: none)", 0.0));
  s.add(key("reg.beta", ValueType::kFloat, "0.01", "output regulariser strength", 0.0));
  s.add(
      key("reg.subset", ValueType::kInt, "0", "earlier tasks regularised per step (0: all)", 0.0));
  s.add(
      key("interval.eps", ValueType::kFloat, "0.5", "L1 radius budget of each embedding interval",
          0.0, true));
  s.add(key("interval.kappa", ValueType::kFloat, "0.5", "weight of the centre loss", 0.0));
  s.add(key("log.every", ValueType::kInt, "100", "steps between metric lines", 1.0));
  s.add(key("eval.batch_size", ValueType::kInt, "1000", "evaluation batch size", 1.0));
  return s;
}

Experiment Experiment::build(const io::Config& c) {
  Experiment e(c);
  TORCH_CHECK(
      c.get_float("data.val_fraction") <= 0.5,
      "config key 'data.val_fraction' must be <= 0.5, got ", c.get_float("data.val_fraction"));
  TORCH_CHECK(
      c.get_float("interval.kappa") <= 1, "config key 'interval.kappa' must be <= 1, got ",
      c.get_float("interval.kappa"));
  const std::string kind = c.get_string("generator.kind");
  HNET_CHECK_INPUT(
      c.get_string("method") != "interval" || generator_supports_interval(kind),
      "config key 'generator.kind' must be one of ", c10::Join(", ", interval_generator_kinds()),
      " for method interval (interval propagation), got '", kind, "'");
  const std::string root =
      c.get_string("data.root").empty() ? data::default_data_root() : c.get_string("data.root");
  const auto train = data::load_fashion_mnist(root, data::Split::kTrain);
  const auto test = data::load_fashion_mnist(root, data::Split::kTest);
  const uint64_t seed = static_cast<uint64_t>(c.get_int("seed"));
  e.tasks = data::make_task_sequence(
      train, test,
      data::TaskSequenceOptions(
          data::parse_sequence_kind(c.get_string("data.sequence")), c.get_int("tasks"))
          .val_fraction(c.get_float("data.val_fraction"))
          .train_limit(c.get_int("data.train_limit"))
          .test_limit(c.get_int("data.test_limit"))
          .seed(seed));

  torch::manual_seed(seed);
  std::vector<int64_t> sizes{e.tasks[0].train.images.size(1)};
  for (int64_t h : c.get_int_list("target.hidden")) sizes.push_back(h);
  sizes.push_back(e.tasks[0].classes);
  e.target = Mlp(MlpOptions(sizes)
                     .activation(parse_activation(c.get_string("target.activation")))
                     .phm(c.get_int("target.phm")));
  const auto method = parse_continual_method(c.get_string("method"));
  const int64_t heads = c.get_string("target.heads") == "per_task" ? c.get_int("tasks") : 1;
  if (method != ContinualMethod::kSeparate) {
    e.generator = generator_from_config(c, TaskHeads(e.target->spec(), heads).generated_spec());
  }
  e.learner = std::make_unique<ContinualLearner>(
      e.target, e.generator, c.get_int("tasks"), c.get_int("embedding.dim"),
      ContinualOptions()
          .method(method)
          .steps(c.get_int("optimizer.steps"))
          .batch_size(c.get_int("optimizer.batch_size"))
          .lr(c.get_float("optimizer.lr"))
          .cosine_lr(c.get_string("optimizer.schedule") == "cosine")
          .grad_clip(c.get_float("optimizer.grad_clip"))
          .beta(method == ContinualMethod::kFinetune ? 0.0 : c.get_float("reg.beta"))
          .reg_subset(c.get_int("reg.subset"))
          .interval_eps(c.get_float("interval.eps"))
          .interval_kappa(c.get_float("interval.kappa"))
          .heads(heads)
          .eval_batch_size(c.get_int("eval.batch_size"))
          .seed(seed));
  return e;
}

Experiment Experiment::from_checkpoint(const std::string& path, int64_t* tasks_done) {
  const auto file = io::load_safetensors(path);
  auto meta = [&](const std::string& k) {
    auto it = file.metadata.find(k);
    TORCH_CHECK(
        it != file.metadata.end(), "checkpoint ", path, ": metadata '", k,
        "' is missing; is this an hnet training checkpoint?");
    return it->second;
  };
  auto config =
      io::Config::resolve_text(continual_config_schema(), meta("config"), path + " (config)", {});
  Experiment e = build(config);
  try {
    e.learner->load_state(file);
  } catch (const c10::Error& err) {
    TORCH_CHECK(false, path, ": ", err.what_without_backtrace());
  }
  if (tasks_done) {
    const std::string text = meta("tasks_done");
    int64_t done = -1;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), done);
    TORCH_CHECK(
        ec == std::errc() && end == text.data() + text.size() && done >= 0 &&
            done <= config.get_int("tasks"),
        "checkpoint ", path, ": metadata 'tasks_done' must be in [0, ", config.get_int("tasks"),
        "], got '", text, "'");
    *tasks_done = done;
  }
  return e;
}

}  // namespace hnet
