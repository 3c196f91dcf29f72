#include "hnet/learn/experiment.h"

#include <charconv>
#include <nlohmann/json.hpp>
#include <sstream>

#include "hnet/data/fashion_mnist.h"
#include "hnet/generators/chunked_generator.h"
#include "hnet/generators/full_generator.h"
#include "hnet/generators/layerwise_generator.h"
#include "hnet/generators/low_rank_generator.h"
#include "hnet/generators/recurrent_generator.h"

namespace hnet {
namespace {

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

std::shared_ptr<WeightGenerator> make_generator(
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
  const std::string kind = c.get_string("generator.kind");
  if (kind == "full") return FullGenerator(spec, options).ptr();
  if (kind == "layerwise") return LayerwiseGenerator(spec, options).ptr();
  if (kind == "recurrent") return RecurrentGenerator(spec, options).ptr();
  if (kind == "lowrank") {
    return LowRankGenerator(
               spec, options,
               LowRankOptions(c.get_int("generator.rank"))
                   .dense(split_names(c.get_string("generator.dense"))))
        .ptr();
  }
  return ChunkedGenerator(spec, options).ptr();
}

}  // namespace

// One entry per key, so as long as the list of keys.
io::ConfigSchema continual_config_schema() {
  using io::ConfigKey;
  io::ConfigSchema s;
  s.add(ConfigKey::text("method", "hypercl")
            .choices({"hypercl", "interval", "finetune", "separate"})
            .help("continual-learning method"));
  s.add(ConfigKey::integer("seed", 1).min(0).help("random seed"));
  s.add(ConfigKey::integer("tasks", 5).min(1).help("number of tasks"));
  s.add(ConfigKey::integer("threads", 0).min(0).help("LibTorch threads (0: all cores)"));
  s.add(ConfigKey::text("data.root", "").help("folder of the Fashion-MNIST .gz files"));
  s.add(ConfigKey::text("data.sequence", "split")
            .choices({"split", "permuted"})
            .help("task sequence"));
  s.add(ConfigKey::real("data.val_fraction", 0.1)
            .min(0)
            .max(0.5)
            .help("held-out validation fraction"));
  s.add(ConfigKey::integer("data.train_limit", 0)
            .min(0)
            .help("first n training images only (0: all)"));
  s.add(ConfigKey::integer("data.test_limit", 0).min(0).help("first n test images only (0: all)"));
  s.add(ConfigKey::int_list("target.hidden", {400, 400})
            .min(1)
            .help("hidden widths of the target MLP"));
  s.add(ConfigKey::text("target.activation", "relu")
            .choices({"relu", "leaky_relu", "tanh", "sigmoid", "elu"})
            .help("activation of the target MLP"));
  s.add(ConfigKey::text("target.heads", "shared")
            .choices({"shared", "per_task"})
            .help("output heads: shared by all tasks, or per_task (task t reads its own outputs)"));
  s.add(ConfigKey::integer("target.phm", 0)
            .min(0)
            .help("0: dense target layers; n: PHM hidden layers with n Kronecker terms"));
  s.add(ConfigKey::text("generator.kind", "chunked")
            .choices({"chunked", "full", "layerwise", "lowrank", "recurrent"})
            .help("hypernetwork architecture"));
  s.add(ConfigKey::integer("generator.rank", 4)
            .min(1)
            .help("lowrank: rank of every factored weight matrix, in [1, min(out, in)]"));
  s.add(ConfigKey::text("generator.dense", "")
            .help("lowrank: comma-separated weight entries emitted unfactored, e.g. fc3.weight"));
  s.add(ConfigKey::int_list("generator.hidden", {100, 100})
            .min(1)
            .help("hidden widths of the generator"));
  s.add(ConfigKey::integer("generator.chunk_size", 750).min(1).help("values per chunk"));
  s.add(ConfigKey::integer("generator.chunk_embedding_dim", 32)
            .min(1)
            .help("chunk / layer embedding width"));
  s.add(ConfigKey::text("generator.output", "direct")
            .choices({"direct", "mip"})
            .help("output parametrization"));
  s.add(ConfigKey::text("generator.fan", "in").choices({"in", "out"}).help("hyperfan rule"));
  s.add(ConfigKey::integer("embedding.dim", 32).min(1).help("task embedding width"));
  s.add(ConfigKey::real("optimizer.lr", 0.001).greater_than(0).help("Adam learning rate"));
  s.add(ConfigKey::text("optimizer.schedule", "constant")
            .choices({"constant", "cosine"})
            .help("learning rate over a task"));
  s.add(ConfigKey::integer("optimizer.batch_size", 32).min(1).help("batch size"));
  s.add(ConfigKey::integer("optimizer.steps", 1000).min(1).help("training steps per task"));
  s.add(ConfigKey::real("optimizer.grad_clip", 0).min(0).help("gradient-norm clipping (0: none)"));
  s.add(ConfigKey::real("reg.beta", 0.01).min(0).help("output regulariser strength"));
  s.add(ConfigKey::integer("reg.subset", 0)
            .min(0)
            .help("earlier tasks regularised per step (0: all)"));
  s.add(ConfigKey::real("interval.eps", 0.5)
            .greater_than(0)
            .help("L1 radius budget of each embedding interval"));
  s.add(ConfigKey::real("interval.kappa", 0.5).min(0).max(1).help("weight of the centre loss"));
  s.add(ConfigKey::integer("log.every", 100).min(1).help("steps between metric lines"));
  s.add(ConfigKey::integer("eval.batch_size", 1000).min(1).help("evaluation batch size"));
  return s;
}

Experiment Experiment::build(const io::Config& c) {
  Experiment e(c);
  const std::string kind = c.get_string("generator.kind");
  TORCH_CHECK(
      c.get_string("method") != "interval" || kind == "chunked" || kind == "full",
      "config key 'generator.kind' must be chunked or full for method interval (interval "
      "propagation), got '",
      kind, "'");
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
    e.generator = make_generator(c, TaskHeads(e.target->spec(), heads).generated_spec());
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
