#pragma once
// The smallest continual-learning config the app tests train: two split
// tasks on a slice of Fashion-MNIST, 15 steps each (a few seconds).

#include <string>
#include <vector>

#include "hnet/app/continual_experiment.h"

namespace hnet::test {

inline io::Config two_task_config(const std::vector<std::string>& extra = {}) {
  std::vector<std::string> overrides{
      "tasks=2",
      "threads=1",
      "data.train_limit=2000",
      "data.test_limit=400",
      "target.hidden=[16]",
      "generator.hidden=[8]",
      "generator.chunk_size=200",
      "optimizer.steps=15",
      "log.every=5"};
  overrides.insert(overrides.end(), extra.begin(), extra.end());
  return io::Config::resolve_text(continual_config_schema(), "", "test", overrides);
}

}  // namespace hnet::test
