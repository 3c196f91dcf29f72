// The configuration schema of `hnet train`: every key, its default and rules.

#include "hnet/app/config_keys.h"
#include "hnet/app/continual_experiment.h"
#include "hnet/app/target_factory.h"

namespace hnet {

const io::ChoiceTable<MethodKind>& method_kinds() {
  static const io::ChoiceTable<MethodKind> table{
      {"hypercl", MethodKind::kHypercl},
      {"interval", MethodKind::kInterval},
      {"finetune", MethodKind::kFinetune},
      {"separate", MethodKind::kSeparate}};
  return table;
}

const io::ChoiceTable<EvalSplit>& eval_splits() {
  static const io::ChoiceTable<EvalSplit> table{
      {"test", EvalSplit::kTest}, {"val", EvalSplit::kVal}};
  return table;
}

const io::ChoiceTable<Scenario>& scenarios() {
  static const io::ChoiceTable<Scenario> table{
      {"task", Scenario::kTask}, {"domain", Scenario::kDomain}, {"class", Scenario::kClass}};
  return table;
}

const io::ChoiceTable<HeadSharing>& head_sharings() {
  static const io::ChoiceTable<HeadSharing> table{
      {"shared", HeadSharing::kShared}, {"per_task", HeadSharing::kPerTask}};
  return table;
}

// One list, in the order config.yaml shows the keys: longer than 60 lines
// because it is data.
io::ConfigSchema continual_config_schema() {
  using io::ConfigKey;
  io::ConfigSchema s;
  s.add(ConfigKey::text("method", "hypercl")
            .choices(io::choice_names(method_kinds()))
            .help("continual-learning method"));
  add_common_keys(s, 0);
  s.add(ConfigKey::integer("tasks", 5).min(1).max(kMaxTasks).help("number of tasks"));
  s.add(ConfigKey::text("data.sequence", "split")
            .choices({"split", "permuted"})
            .help("task sequence"));
  s.add(ConfigKey::real("data.val_fraction", 0.1)
            .min(0)
            .max(0.5)
            .help("held-out validation fraction"));
  add_target_keys(s);
  s.add(ConfigKey::text("target.heads", "shared")
            .choices(io::choice_names(head_sharings()))
            .help("output heads: shared by all tasks, or per_task (task t reads its own outputs)"));
  s.add(ConfigKey::text("generator.kind", "chunked")
            .choices({"chunked", "full", "layerwise", "lowrank", "recurrent"})
            .help("hypernetwork architecture"));
  s.add(ConfigKey::integer("generator.rank", 4)
            .min(1)
            .max(kMaxWidth)
            .help("lowrank: rank of every factored weight matrix, in [1, min(out, in)]"));
  s.add(ConfigKey::text("generator.dense", "")
            .help("lowrank: comma-separated weight entries emitted unfactored, e.g. fc3.weight"));
  s.add(ConfigKey::int_list("generator.hidden", {100, 100})
            .min(1)
            .max(kMaxWidth)
            .help("hidden widths of the generator"));
  s.add(ConfigKey::integer("generator.chunk_size", 750)
            .min(1)
            .max(kMaxChunk)
            .help("values per chunk"));
  s.add(ConfigKey::integer("generator.chunk_embedding_dim", 32)
            .min(1)
            .max(kMaxWidth)
            .help("chunk / layer embedding width"));
  s.add(ConfigKey::text("generator.output", "direct")
            .choices({"direct", "mip"})
            .help("output parametrization"));
  s.add(ConfigKey::text("generator.fan", "in").choices({"in", "out"}).help("hyperfan rule"));
  s.add(ConfigKey::integer("embedding.dim", 32).min(1).max(kMaxWidth).help("task embedding width"));
  s.add(ConfigKey::real("optimizer.lr", 0.001).greater_than(0).help("Adam learning rate"));
  s.add(ConfigKey::text("optimizer.schedule", "constant")
            .choices(io::choice_names(lr_schedules()))
            .help("learning rate over a task"));
  s.add(ConfigKey::integer("optimizer.batch_size", 32).min(1).max(kMaxBatch).help("batch size"));
  s.add(ConfigKey::integer("optimizer.steps", 1000)
            .min(1)
            .max(kMaxSteps)
            .help("training steps per task"));
  s.add(ConfigKey::real("optimizer.grad_clip", 0).min(0).help("gradient-norm clipping (0: none)"));
  s.add(ConfigKey::real("reg.beta", 0.01).min(0).help("output regulariser strength"));
  s.add(ConfigKey::integer("reg.subset", 0)
            .min(0)
            .max(kMaxTasks)
            .help("earlier tasks regularised per step (0: all)"));
  s.add(ConfigKey::real("interval.eps", 0.5)
            .greater_than(0)
            .help("L1 radius budget of each embedding interval"));
  s.add(ConfigKey::real("interval.kappa", 0.5).min(0).max(1).help("weight of the centre loss"));
  add_reporting_keys(s);
  s.add(ConfigKey::text("eval.split", "test")
            .choices(io::choice_names(eval_splits()))
            .help("what accuracies are measured on: test, or val (the held-out validation part)"));
  s.add(ConfigKey::text("eval.scenario", "task")
            .choices(io::choice_names(scenarios()))
            .help("scenario of the accuracy matrix: task (task id given), domain or class (task "
                  "inferred by entropy); summary.json reports all three"));
  return s;
}

}  // namespace hnet
