// The configuration schema of `hnet neumeta`: every key, its default and rules.

#include "hnet/app/config_keys.h"
#include "hnet/app/continual_experiment.h"
#include "hnet/app/neumeta_run.h"

namespace hnet {

const io::ChoiceTable<WidthDraws>& width_draws() {
  static const io::ChoiceTable<WidthDraws> table{
      {"uniform", WidthDraws::kUniform}, {"proportional", WidthDraws::kProportional}};
  return table;
}

// One entry per key, so as long as the list of keys.
io::ConfigSchema neumeta_config_schema() {
  using io::ConfigKey;
  io::ConfigSchema s;
  s.add(ConfigKey::text("method", "neumeta").choices({"neumeta"}).help("experiment"));
  add_common_keys(s, 2);
  s.add(ConfigKey::integer("data.val_size", 5000)
            .min(1)
            .max(kMaxCount)
            .help("last n training images held out of all training, for validation (early "
                  "stopping of the baselines, choosing settings)"));
  s.add(ConfigKey::int_list("widths.train", {32, 64, 128, 256})
            .min(1)
            .max(kMaxWidth)
            .help("hidden widths the task loss samples; the largest is the reference's"));
  s.add(ConfigKey::int_list("widths.eval", {32, 48, 64, 96, 128, 192, 256})
            .min(1)
            .max(kMaxWidth)
            .help("hidden widths evaluated (within the trained range)"));
  s.add(ConfigKey::integer("mlp.steps", 2000)
            .min(1)
            .max(kMaxSteps)
            .help("steps of the full-width reference MLP the generator is fitted to"));
  s.add(ConfigKey::integer("mlp.batch_size", 128)
            .min(1)
            .max(kMaxBatch)
            .help("batch size of the plain MLPs"));
  s.add(ConfigKey::real("mlp.lr", 0.001)
            .greater_than(0)
            .help("Adam learning rate of the plain MLPs"));
  s.add(ConfigKey::real("baseline.lr", 0.001)
            .greater_than(0)
            .help("centre of the independent MLPs' Adam learning rates (constant rate)"));
  s.add(ConfigKey::integer("baseline.lr_grid", 3)
            .min(1)
            .max(9)
            .help("learning rates tried per width: baseline.lr x 3^k, k centred on 0 (3: lr/3, "
                  "lr, 3 lr); the best on validation counts"));
  s.add(ConfigKey::integer("baseline.max_steps", 30000)
            .min(1)
            .max(kMaxSteps)
            .help("most steps of each independent MLP"));
  s.add(ConfigKey::integer("baseline.eval_every", 500)
            .min(1)
            .max(kMaxSteps)
            .help("steps between the independent MLPs' validation measurements"));
  s.add(ConfigKey::integer("baseline.patience", 6)
            .min(1)
            .max(1000)
            .help("measurements without a new best before an independent MLP stops"));
  s.add(ConfigKey::boolean("order.outgoing", true).help("reorder by outgoing weights too"));
  s.add(ConfigKey::int_list("generator.hidden", {64, 64})
            .min(1)
            .max(kMaxWidth)
            .help("widths of the coordinate MLP"));
  s.add(ConfigKey::integer("generator.octaves", 8)
            .min(1)
            .max(30)
            .help("Fourier frequencies 1, 2, 4, ... (count)"));
  s.add(ConfigKey::integer("generator.width_octaves", 0)
            .min(0)
            .max(30)
            .help("Fourier frequencies 1, 2, 4, ... of the width coordinate (0: "
                  "generator.octaves)"));
  s.add(ConfigKey::integer("generator.rank", 0)
            .min(0)
            .max(kMaxWidth)
            .help("0: one coordinate MLP per weight (additive); K: two towers, weight = "
                  "<u(out), v(in)>"));
  s.add(ConfigKey::real("generator.noise", 0.0005).min(0).help("std of the coordinate noise"));
  s.add(ConfigKey::boolean("generator.center_inputs", false)
            .help("generate the first layer for mean-free inputs, the training images' mean "
                  "folded into its bias"));
  s.add(ConfigKey::real("optimizer.lr", 0.001)
            .greater_than(0)
            .help("Adam learning rate (generator)"));
  s.add(ConfigKey::integer("optimizer.batch_size", 128)
            .min(1)
            .max(kMaxBatch)
            .help("batch size (generator)"));
  s.add(ConfigKey::integer("optimizer.steps", 800)
            .min(1)
            .max(kMaxSteps)
            .help("generator training steps"));
  s.add(ConfigKey::text("optimizer.schedule", "cosine")
            .choices(io::choice_names(lr_schedules()))
            .help("learning rate over training"));
  s.add(ConfigKey::integer("implicit.warmup_steps", 0)
            .min(0)
            .max(kMaxSteps)
            .help("fit-only steps before the joint ones"));
  s.add(ConfigKey::integer("implicit.widths_per_step", 1)
            .min(1)
            .max(64)
            .help("widths in each step's task loss"));
  s.add(ConfigKey::text("implicit.width_draws", "uniform")
            .choices(io::choice_names(width_draws()))
            .help("how a step's widths are drawn: uniform, or proportional to the width"));
  s.add(ConfigKey::real("implicit.fit_weight", 0.1)
            .min(0)
            .help("weight of the fit to the reference"));
  s.add(ConfigKey::integer("implicit.fit_rows", 32)
            .min(1)
            .max(kMaxWidth)
            .help("neurons per layer in each step's fit"));
  add_reporting_keys(s);
  s.add(ConfigKey::text("eval.split", "test")
            .choices(io::choice_names(eval_splits()))
            .help("what accuracies are measured on: test, or val (the held-out images; the test "
                  "set is then not read)"));
  return s;
}

}  // namespace hnet
