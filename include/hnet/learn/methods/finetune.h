#pragma once
/// \file
/// Fine-tuning: hypercl's generator and task embeddings without the output
/// regulariser, so learning a task may overwrite the networks of earlier
/// ones (the lower bound that shows forgetting).

#include "hnet/learn/methods/hypercl.h"

namespace hnet {

class FinetuneMethod : public HyperclMethod {
 public:
  FinetuneMethod(
      std::shared_ptr<WeightGenerator> generator, TaskEmbedding embeddings, TaskHeads heads)
      : HyperclMethod(
            std::move(generator), std::move(embeddings), std::move(heads),
            HyperclOptions().beta(0)) {}

  std::string name() const override {
    return "finetune";
  }
};

}  // namespace hnet
