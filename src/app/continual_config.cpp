// The configuration schema of `hnet train`: every key, its default and rules.

#include "hnet/app/config_keys.h"
#include "hnet/app/continual_experiment.h"
#include "hnet/app/target_factory.h"

namespace hnet {

using io::ValueType;

io::ConfigSchema continual_config_schema() {
  io::ConfigSchema s;
  s.add(config_key(
      "method", ValueType::kString, "hypercl", "continual-learning method", c10::nullopt, false,
      {"hypercl", "interval", "finetune", "separate"}));
  s.add(config_key("seed", ValueType::kInt, "1", "random seed", 0.0));
  s.add(config_key("tasks", ValueType::kInt, "5", "number of tasks", 1.0));
  s.add(config_key("threads", ValueType::kInt, "0", "LibTorch threads (0: all cores)", 0.0));
  s.add(
      config_key("data.root", ValueType::kString, "\"\"", "folder of the Fashion-MNIST .gz files"));
  s.add(config_key(
      "data.sequence", ValueType::kString, "split", "task sequence", c10::nullopt, false,
      {"split", "permuted"}));
  s.add(config_key(
      "data.val_fraction", ValueType::kFloat, "0.1", "held-out validation fraction", 0.0));
  s.add(config_key(
      "data.train_limit", ValueType::kInt, "0", "first n training images only (0: all)", 0.0));
  s.add(config_key(
      "data.test_limit", ValueType::kInt, "0", "first n test images only (0: all)", 0.0));
  add_target_keys(s);
  s.add(config_key(
      "target.heads", ValueType::kString, "shared",
      "output heads: shared by all tasks, or per_task (task t reads its own outputs)", c10::nullopt,
      false, {"shared", "per_task"}));
  s.add(config_key(
      "generator.kind", ValueType::kString, "chunked", "hypernetwork architecture", c10::nullopt,
      false, {"chunked", "full", "layerwise", "lowrank", "recurrent"}));
  s.add(config_key(
      "generator.rank", ValueType::kInt, "4",
      "lowrank: rank of every factored weight matrix, in [1, min(out, in)]", 1.0));
  s.add(config_key(
      "generator.dense", ValueType::kString, "\"\"",
      "lowrank: comma-separated weight entries emitted unfactored, e.g. fc3.weight"));
  s.add(config_key(
      "generator.hidden", ValueType::kIntList, "[100, 100]", "hidden widths of the generator",
      1.0));
  s.add(config_key("generator.chunk_size", ValueType::kInt, "750", "values per chunk", 1.0));
  s.add(config_key(
      "generator.chunk_embedding_dim", ValueType::kInt, "32", "chunk / layer embedding width",
      1.0));
  s.add(config_key(
      "generator.output", ValueType::kString, "direct", "output parametrization", c10::nullopt,
      false, {"direct", "mip"}));
  s.add(config_key(
      "generator.fan", ValueType::kString, "in", "hyperfan rule", c10::nullopt, false,
      {"in", "out"}));
  s.add(config_key("embedding.dim", ValueType::kInt, "32", "task embedding width", 1.0));
  s.add(config_key("optimizer.lr", ValueType::kFloat, "0.001", "Adam learning rate", 0.0, true));
  s.add(config_key(
      "optimizer.schedule", ValueType::kString, "constant", "learning rate over a task",
      c10::nullopt, false, {"constant", "cosine"}));
  s.add(config_key("optimizer.batch_size", ValueType::kInt, "32", "batch size", 1.0));
  s.add(config_key("optimizer.steps", ValueType::kInt, "1000", "training steps per task", 1.0));
  s.add(config_key(
      "optimizer.grad_clip", ValueType::kFloat, "0", "gradient-norm clipping (0: none)", 0.0));
  s.add(config_key("reg.beta", ValueType::kFloat, "0.01", "output regulariser strength", 0.0));
  s.add(config_key(
      "reg.subset", ValueType::kInt, "0", "earlier tasks regularised per step (0: all)", 0.0));
  s.add(config_key(
      "interval.eps", ValueType::kFloat, "0.5", "L1 radius budget of each embedding interval", 0.0,
      true));
  s.add(config_key("interval.kappa", ValueType::kFloat, "0.5", "weight of the centre loss", 0.0));
  s.add(config_key("log.every", ValueType::kInt, "100", "steps between metric lines", 1.0));
  s.add(config_key("eval.batch_size", ValueType::kInt, "1000", "evaluation batch size", 1.0));
  return s;
}

}  // namespace hnet
