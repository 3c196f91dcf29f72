// Building a continual-learning experiment from its configuration: data,
// target, generator, method and learner.

#include <c10/util/StringUtil.h>

#include <algorithm>
#include <functional>
#include <map>
#include <sstream>

#include "hnet/app/config_keys.h"
#include "hnet/app/continual_experiment.h"
#include "hnet/app/target_factory.h"
#include "hnet/conditions/interval_embedding.h"
#include "hnet/conditions/task_embedding.h"
#include "hnet/count.h"
#include "hnet/data/fashion_mnist.h"
#include "hnet/errors.h"
#include "hnet/generators/registry.h"
#include "hnet/io/file_safety.h"
#include "hnet/io/module_state.h"
#include "hnet/learn/methods/finetune.h"
#include "hnet/learn/methods/hypercl.h"
#include "hnet/learn/methods/interval.h"
#include "hnet/learn/methods/separate.h"
#include "run_state.h"

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

// The generator options of `c`, for conditions whose entries have second
// moment `condition_second_moment` (the hyperfan initialisation assumes it).
GeneratorOptions generator_options(const io::Config& c, double condition_second_moment) {
  return GeneratorOptions(c.get_int("embedding.dim"))
      .hidden(c.get_int_list("generator.hidden"))
      .chunk_size(c.get_int("generator.chunk_size"))
      .embedding_dim(c.get_int("generator.chunk_embedding_dim"))
      .condition_second_moment(condition_second_moment)
      .output(OutputOptions()
                  .mode(parse_output_mode(c.get_string("generator.output")))
                  .fan(parse_fan(c.get_string("generator.fan"))));
}

LowRankOptions low_rank_options(const io::Config& c) {
  return LowRankOptions(c.get_int("generator.rank"))
      .dense(split_names(c.get_string("generator.dense")));
}

// The generator of `c` for `spec` (see generator_options).
std::shared_ptr<WeightGenerator> generator_from_config(
    const io::Config& c, const std::shared_ptr<const Spec>& spec, double condition_second_moment) {
  return make_generator(
      c.get_string("generator.kind"), spec, generator_options(c, condition_second_moment),
      low_rank_options(c));
}

// The values a run of `c` will hold, counted before the method is built:
// the target's statistics for every task (`statistics` per task), three
// copies of the generated weights (a forward's output, and the output
// parametrization's mean and scale), and `tasks` networks for separate or
// else the generator and an upper bound of the per-task conditions (an
// interval's centre and radius). Saturates rather than overflows.
int64_t planned_parameters(
    const io::Config& c, const TaskHeads& heads, int64_t tasks, int64_t statistics) {
  const int64_t common =
      count_add(count_mul(tasks, statistics), count_mul(3, heads.generated_spec()->numel()));
  if (io::get_choice(c, "method", method_kinds()) == MethodKind::kSeparate)
    return count_add(common, count_mul(tasks, heads.task_spec()->numel()));
  const int64_t generator = generator_parameter_count(
      c.get_string("generator.kind"), *heads.generated_spec(), generator_options(c, 1),
      low_rank_options(c));
  return count_add(count_add(common, generator), count_mul(2 * tasks, c.get_int("embedding.dim")));
}

int64_t buffer_values(torch::nn::Module& module) {
  int64_t n = 0;
  for (const auto& b : module.buffers()) n = count_add(n, b.numel());
  return n;
}

struct MethodBuild {
  std::shared_ptr<ContinualMethod> method;
  std::shared_ptr<WeightGenerator> generator;
};

// How each method of the config's `method` key is built: one entry per
// method, the generator first and the per-task table after it (the order of
// their random draws).
using MethodFactory =
    std::function<MethodBuild(const io::Config&, const TaskHeads&, int64_t tasks)>;

MethodBuild task_embedding_method(
    const io::Config& c, const TaskHeads& heads, int64_t tasks, bool regularised) {
  const TaskEmbeddingOptions embedding(tasks, c.get_int("embedding.dim"));
  auto generator = generator_from_config(c, heads.generated_spec(), embedding.second_moment());
  TaskEmbedding table(embedding);
  if (!regularised) return {std::make_shared<FinetuneMethod>(generator, table, heads), generator};
  return {
      std::make_shared<HyperclMethod>(
          generator, table, heads,
          HyperclOptions().beta(c.get_float("reg.beta")).reg_subset(c.get_int("reg.subset"))),
      generator};
}

MethodBuild interval_method(const io::Config& c, const TaskHeads& heads, int64_t tasks) {
  const std::string kind = c.get_string("generator.kind");
  HNET_CHECK_INPUT(
      generator_supports_interval(kind), "config key 'generator.kind' must be one of ",
      c10::Join(", ", interval_generator_kinds()),
      " for method interval (interval propagation), got '", kind, "'");
  HNET_CHECK_INPUT(
      io::get_choice(c, "target.kind", target_kinds()) == TargetKind::kMlp,
      "config key 'target.kind' must be mlp for method interval (interval propagation through "
      "the target), got '",
      c.get_string("target.kind"), "'");
  const auto embedding =
      IntervalEmbeddingOptions(tasks, c.get_int("embedding.dim")).eps(c.get_float("interval.eps"));
  auto generator = generator_from_config(c, heads.generated_spec(), embedding.second_moment());
  return {
      std::make_shared<IntervalMethod>(
          generator, IntervalEmbedding(embedding), heads,
          IntervalOptions()
              .beta(c.get_float("reg.beta"))
              .reg_subset(c.get_int("reg.subset"))
              .kappa(c.get_float("interval.kappa"))),
      generator};
}

const std::map<MethodKind, MethodFactory>& method_factories() {
  static const std::map<MethodKind, MethodFactory> factories{
      {MethodKind::kHypercl, [](const io::Config& c, const TaskHeads& h,
                                int64_t n) { return task_embedding_method(c, h, n, true); }},
      {MethodKind::kFinetune, [](const io::Config& c, const TaskHeads& h,
                                 int64_t n) { return task_embedding_method(c, h, n, false); }},
      {MethodKind::kInterval, interval_method},
      {MethodKind::kSeparate,
       [](const io::Config&, const TaskHeads& h, int64_t n) {
         return MethodBuild{std::make_shared<SeparateMethod>(h.task_spec(), n), nullptr};
       }},
  };
  return factories;
}

// Data, target, method and learner; `e.config` is resolved.
void build_models(ContinualExperiment& e) {
  const auto& c = e.config;
  const int64_t tasks = c.get_int("tasks");
  const uint64_t seed = static_cast<uint64_t>(c.get_int("seed"));
  torch::manual_seed(seed);
  const auto& first = e.tasks[0];
  const int64_t heads =
      io::get_choice(c, "target.heads", head_sharings()) == HeadSharing::kPerTask ? tasks : 1;
  const MethodFactory& factory = method_factories().at(io::get_choice(c, "method", method_kinds()));
  const bool is_module = io::get_choice(c, "target.kind", target_kinds()) == TargetKind::kModule;
  const std::string what = "target and method " + c.get_string("method");
  if (!is_module) {
    // The budget before the target allocates its statistics for every task,
    // from a build with one slot: these targets take their weights from
    // outside, so it allocates only statistics and draws no random numbers.
    auto probe = target_from_config(c, first.image_shape, first.classes, 1).target;
    check_parameter_budget(
        c,
        planned_parameters(
            c, TaskHeads(probe->spec(), heads), tasks, buffer_values(probe->as_module())),
        what);
  }
  auto built = target_from_config(c, first.image_shape, first.classes, tasks);
  e.target = built.target;
  const TaskHeads task_heads(e.target->spec(), heads);
  if (is_module) {
    // Its own parameters were checked before it built them; now the whole.
    check_parameter_budget(
        c,
        count_add(
            planned_parameters(c, task_heads, tasks, 0),
            io::parameter_count(e.target->as_module())),
        what);
  }
  auto method = factory(c, task_heads, tasks);
  e.generator = method.generator;
  e.learner = std::make_unique<ContinualLearner>(
      e.target, method.method, tasks,
      ContinualOptions()
          .steps(c.get_int("optimizer.steps"))
          .batch_size(c.get_int("optimizer.batch_size"))
          .lr(c.get_float("optimizer.lr"))
          .cosine_lr(io::get_choice(c, "optimizer.schedule", lr_schedules()) == LrSchedule::kCosine)
          .grad_clip(c.get_float("optimizer.grad_clip"))
          .eval_batch_size(c.get_int("eval.batch_size"))
          .input_shape(built.input_shape)
          .seed(seed));
}

}  // namespace

const data::TaskData& ContinualExperiment::measured(int64_t t) const {
  return io::get_choice(config, "eval.split", eval_splits()) == EvalSplit::kVal ? tasks[t].val
                                                                                : tasks[t].test;
}

ContinualExperiment ContinualExperiment::build(const io::Config& c) {
  HNET_CHECK_INPUT(
      io::get_choice(c, "eval.split", eval_splits()) == EvalSplit::kTest ||
          c.get_float("data.val_fraction") > 0,
      "config key 'eval.split' is val but 'data.val_fraction' is 0: there is no validation data");
  ContinualExperiment e(c);
  const std::string root = data_root(c);
  const auto train = data::load_fashion_mnist(root, data::Split::kTrain);
  const auto test = data::load_fashion_mnist(root, data::Split::kTest);
  e.tasks = data::make_task_sequence(
      train, test,
      data::TaskSequenceOptions(
          data::parse_sequence_kind(c.get_string("data.sequence")), c.get_int("tasks"))
          .val_fraction(c.get_float("data.val_fraction"))
          .train_limit(c.get_int("data.train_limit"))
          .test_limit(c.get_int("data.test_limit"))
          .seed(static_cast<uint64_t>(c.get_int("seed"))));
  try {
    build_models(e);
  } catch (const c10::ValueError&) {
    throw;
  } catch (const c10::Error& err) {
    // The values were each valid; together they describe a model that
    // cannot be built (a rank above a layer's size, PHM terms that do not
    // divide a width): still the configuration's fault.
    HNET_CHECK_INPUT(false, "configuration: ", err.what_without_backtrace());
  }
  return e;
}

ContinualExperiment ContinualExperiment::from_checkpoint(
    const std::string& path, int64_t* tasks_done) {
  const auto file = io::load_safetensors(path);
  auto meta = [&](const std::string& k) {
    auto it = file.metadata.find(k);
    HNET_CHECK_INPUT(
        it != file.metadata.end(), "checkpoint ", io::clipped(path), ": metadata '", k,
        "' is missing; is this an hnet training checkpoint?");
    return it->second;
  };
  // The budget of a checkpoint is what it holds, not what its config says:
  // a model at most 4x the values in the file (the generated weights, their
  // buffers and the conditions it rebuilds), whatever limit the file states.
  int64_t held = 0;
  for (const auto& entry : file.tensors) held = count_add(held, entry.second.numel());
  const int64_t budget = std::clamp<int64_t>(count_mul(4, held), 1, kMaxParametersLimit);
  auto config = io::Config::resolve_text(
      continual_config_schema(), meta("config"), io::clipped(path) + " (config)",
      {"limits.max_parameters=" + std::to_string(budget)});
  ContinualExperiment e = build(config);
  try {
    e.learner->load_state(file);
  } catch (const c10::Error& err) {
    HNET_CHECK_INPUT(false, io::clipped(path), ": ", err.what_without_backtrace());
  }
  if (tasks_done) {
    const std::string text = meta("tasks_done");
    int64_t done = -1;
    try {
      done = parse_metadata_count(text);
    } catch (const std::invalid_argument&) {
    }
    HNET_CHECK_INPUT(
        done >= 0 && done <= config.get_int("tasks"), "checkpoint ", io::clipped(path),
        ": metadata 'tasks_done' must be in [0, ", config.get_int("tasks"), "], got '",
        io::clipped(text, 40), "'");
    *tasks_done = done;
  }
  return e;
}

}  // namespace hnet
