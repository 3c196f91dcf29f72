// The configuration schema of `hnet multitask`: every key, its default and rules.

#include "hnet/app/config_keys.h"
#include "hnet/app/multitask_run.h"

namespace hnet {

io::ConfigSchema multitask_config_schema() {
  using io::ConfigKey;
  io::ConfigSchema s;
  s.add(ConfigKey::text("method", "multitask").choices({"multitask"}).help("experiment"));
  add_common_keys(s, 2);
  s.add(ConfigKey::integer("data.val_size", 5000)
            .min(2)
            .max(kMaxCount)
            .help("last n training images held out of training, for validation"));
  s.add(ConfigKey::text("multitask.tasks", "segment,edges,distance,classify")
            .help("comma-separated tasks: segment, edges, distance, classify"));
  s.add(ConfigKey::text(
            "multitask.methods",
            "single,multi,decoders,adapter,lora,flora,hyperformer,polyhistor,polyhistor_lite,"
            "maestro")
            .help("comma-separated methods; single (the Delta_m reference) must come first"));
  s.add(ConfigKey::int_list("backbone.widths", {16, 32, 64, 128})
            .min(1)
            .max(kMaxWidth)
            .help("encoder stage widths (each stage after the first halves the image)"));
  s.add(
      ConfigKey::integer("backbone.convs_per_stage", 2).min(1).max(16).help("3x3 convs per stage"));
  s.add(ConfigKey::text("backbone.file", "")
            .help("an encoder to adapt (backbone.safetensors of an earlier run); empty: pretrain"));
  s.add(ConfigKey::integer("pretrain.classes", 5)
            .min(2)
            .max(10)
            .help("the backbone is pretrained on classes 0..n-1 only"));
  s.add(ConfigKey::integer("pretrain.steps", 1500).min(1).max(kMaxSteps).help("pretraining steps"));
  s.add(
      ConfigKey::real("pretrain.lr", 0.001).greater_than(0).help("pretraining Adam learning rate"));
  s.add(
      ConfigKey::integer("decoder.dim", 16).min(1).max(kMaxWidth).help("dense decoders' channels"));
  s.add(ConfigKey::integer("optimizer.steps", 1000).min(1).max(kMaxSteps).help("steps per method"));
  s.add(
      ConfigKey::integer("optimizer.batch_size", 64).min(2).max(kMaxBatch).help("images per step"));
  s.add(ConfigKey::real("optimizer.lr", 0.003)
            .greater_than(0)
            .help("Adam learning rate of every method with a frozen encoder"));
  s.add(ConfigKey::real("optimizer.lr_full", 0.001)
            .greater_than(0)
            .help("Adam learning rate of full fine-tuning (single, multi)"));
  s.add(ConfigKey::integer("adapter.rank", 4)
            .min(1)
            .max(kMaxWidth)
            .help("hidden channels of bottleneck adapters (adapter, hyperformer, polyhistor)"));
  s.add(ConfigKey::integer("lora.rank", 4).min(1).max(kMaxWidth).help("LoRA rank of every conv"));
  s.add(ConfigKey::int_list("flora.ranks", {})
            .min(1)
            .max(kMaxWidth)
            .help("Tucker ranks [out, in, h, w] of every conv; []: per layer, the largest "
                  "[r, r, k, k] within LoRA's parameters"));
  s.add(ConfigKey::integer("hyper.embedding", 16)
            .min(1)
            .max(kMaxWidth)
            .help("task/layer embedding size"));
  s.add(ConfigKey::integer("hyper.hidden", 32)
            .min(1)
            .max(kMaxWidth)
            .help("hypernetworks' hidden width"));
  s.add(ConfigKey::integer("polyhistor.factor_rank", 2)
            .min(1)
            .max(kMaxWidth)
            .help("rank of the decomposed hypernetworks' template factors"));
  s.add(ConfigKey::integer("maestro.max_rank", 8)
            .min(1)
            .max(kMaxWidth)
            .help("Maestro's rank before truncation"));
  s.add(ConfigKey::real("maestro.lasso", 1e-4).min(0).help("Maestro's group-lasso weight"));
  s.add(ConfigKey::real("maestro.tolerance", 0.1)
            .greater_than(0)
            .max(1)
            .help("truncation: drop components below this fraction of a layer's largest"));
  add_reporting_keys(s);
  return s;
}

}  // namespace hnet
