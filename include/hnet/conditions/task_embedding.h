#pragma once
/// \file
/// Task-embedding table: one learned vector per task (von Oswald et al. 2020,
/// "Continual learning with hypernetworks").

#include <torch/arg.h>
#include <torch/nn/cloneable.h>
#include <torch/nn/pimpl.h>

namespace hnet {

/// Example: `TaskEmbeddingOptions(5, 32).init_std(1.0)`
struct TaskEmbeddingOptions {
  TaskEmbeddingOptions(int64_t tasks, int64_t dim) : tasks_(tasks), dim_(dim) {}
  /// E[x^2] of an embedding entry at initialisation.
  double second_moment() const {
    return init_std() * init_std();
  }
  TORCH_ARG(int64_t, tasks);
  TORCH_ARG(int64_t, dim);
  /// Embeddings start as N(0, init_std^2).
  TORCH_ARG(double, init_std) = 1.0;
};

/// Parameter `weight` [tasks, dim]. forward(ids: int64 [B], values in
/// [0, tasks)) -> [B, dim], differentiable with respect to the rows used.
class TaskEmbeddingImpl : public torch::nn::Cloneable<TaskEmbeddingImpl> {
 public:
  TaskEmbeddingImpl(int64_t tasks, int64_t dim);
  explicit TaskEmbeddingImpl(TaskEmbeddingOptions options);
  void reset() override;
  void reset_parameters();
  void pretty_print(std::ostream& stream) const override;
  torch::Tensor forward(const torch::Tensor& ids);
  /// The embeddings of tasks [first, first + count): a view of `weight`.
  torch::Tensor rows(int64_t first, int64_t count) const;

  int64_t output_dim() const {
    return options.dim();
  }
  /// E[x^2] of an embedding entry at initialisation.
  double second_moment() const {
    return options.second_moment();
  }

  TaskEmbeddingOptions options;
  torch::Tensor weight;
};
TORCH_MODULE(TaskEmbedding);

}  // namespace hnet
