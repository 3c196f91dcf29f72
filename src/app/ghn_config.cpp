// The configuration schema of `hnet ghn`: every key, its default and rules.

#include "hnet/app/config_keys.h"
#include "hnet/app/ghn_run.h"
#include "hnet/data/fashion_mnist.h"

namespace hnet {

io::ConfigSchema ghn_config_schema() {
  using io::ConfigKey;
  io::ConfigSchema s;
  s.add(ConfigKey::text("method", "ghn").choices({"ghn"}).help("experiment"));
  add_common_keys(s, 2);
  s.add(ConfigKey::integer("data.val_size", 5000)
            .min(2)
            .max(kMaxCount)
            .help("last n training images held out of training, for validation (choosing "
                  "settings)"));
  s.add(ConfigKey::int_list("space.widths", {8, 16, 32})
            .min(1)
            .max(kMaxWidth)
            .help("conv widths of the training architectures"));
  s.add(ConfigKey::int_list("space.kernels", {3, 5}).min(1).max(27).help("conv kernel sizes"));
  s.add(ConfigKey::integer("space.min_stages", 1).min(1).max(4).help("fewest conv stages"));
  s.add(ConfigKey::integer("space.max_stages", 3)
            .min(1)
            .max(4)
            .help("most conv stages (each halves the image); MLPs: most hidden layers"));
  s.add(ConfigKey::integer("space.max_blocks", 1)
            .min(0)
            .max(16)
            .help("most residual blocks per stage"));
  s.add(ConfigKey::int_list("space.hidden", {32, 64, 128})
            .min(1)
            .max(kMaxWidth)
            .help("widths of dense hidden layers"));
  s.add(ConfigKey::real("space.mlp_fraction", 0.15)
            .min(0)
            .max(1)
            .help("share of MLPs among the architectures"));
  s.add(ConfigKey::integer("sets.seed", 1000)
            .min(0)
            .help("seed of the held-out sets (the same for every training seed)"));
  s.add(ConfigKey::integer("sets.test", 100)
            .min(1)
            .max(100000)
            .help("in-distribution held-out architectures"));
  s.add(ConfigKey::integer("sets.ood", 50)
            .min(1)
            .max(100000)
            .help("out-of-distribution architectures (wide, deep, LeNet, ResNet-20)"));
  s.add(ConfigKey::integer("ghn.hidden", 32).min(1).max(kMaxWidth).help("node state size"));
  s.add(ConfigKey::text("ghn.decoder", "tiled")
            .choices({"tiled", "lowrank"})
            .help("weight decoder: tiled (GHN-2) or lowrank (LoGAH)"));
  s.add(ConfigKey::integer("ghn.block", 32)
            .min(1)
            .max(kMaxWidth)
            .help("tiled block's channels (also the 1-D and classifier decoders' width)"));
  s.add(ConfigKey::integer("ghn.max_kernel", 5).min(1).max(27).help("tiled block's kernel size"));
  s.add(ConfigKey::integer("ghn.rank", 16).min(1).max(kMaxWidth).help("low-rank decoder's rank"));
  s.add(ConfigKey::integer("ghn.max_rows", 640)
            .min(1)
            .max(kMaxWidth)
            .help("low-rank decoder's factor rows (larger products are tiled)"));
  s.add(ConfigKey::integer("ghn.virtual_edges", 50)
            .min(1)
            .max(1000)
            .help("shortest-path cut-off of virtual edges (1: direct edges only)"));
  s.add(ConfigKey::boolean("ghn.edges", true)
            .help("false: the no-edges ablation (each node through an MLP alone)"));
  s.add(ConfigKey::integer("optimizer.steps", 2000).min(1).max(kMaxSteps).help("training steps"));
  s.add(ConfigKey::integer("optimizer.meta_batch", 8)
            .min(1)
            .max(1024)
            .help("architectures per step"));
  s.add(ConfigKey::integer("optimizer.batch_size", 64)
            .min(2)
            .max(kMaxBatch)
            .help("images per step (every architecture sees the same)"));
  s.add(ConfigKey::real("optimizer.lr", 0.001).greater_than(0).help("Adam learning rate"));
  s.add(ConfigKey::real("optimizer.weight_decay", 1e-5).min(0).help("Adam weight decay"));
  s.add(ConfigKey::real("optimizer.grad_clip", 5).min(0).help("gradient norm bound (0: none)"));
  s.add(ConfigKey::integer("checkpoint.every", 200)
            .min(1)
            .max(kMaxSteps)
            .help("steps between checkpoints"));
  s.add(ConfigKey::integer("finetune.steps", 100)
            .min(1)
            .max(kMaxSteps)
            .help("hnet ghn finetune: steps per architecture"));
  s.add(ConfigKey::integer("finetune.archs", 20)
            .min(1)
            .max(100000)
            .help("hnet ghn finetune: first n architectures of the set"));
  s.add(ConfigKey::real("finetune.lr", 0.01)
            .greater_than(0)
            .help("hnet ghn finetune: SGD learning rate (momentum 0.9), both starts"));
  add_reporting_keys(s);
  return s;
}

GhnOptions ghn_options(const io::Config& c) {
  return GhnOptions()
      .hidden(c.get_int("ghn.hidden"))
      .classes(data::kFashionMnistClasses)
      .virtual_edges(c.get_int("ghn.virtual_edges"))
      .use_edges(c.get_bool("ghn.edges"))
      .decoder(c.get_string("ghn.decoder"))
      .block(c.get_int("ghn.block"))
      .max_kernel(c.get_int("ghn.max_kernel"))
      .rank(c.get_int("ghn.rank"))
      .max_rows(c.get_int("ghn.max_rows"));
}

}  // namespace hnet
