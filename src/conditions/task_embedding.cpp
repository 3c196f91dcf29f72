#include "hnet/conditions/task_embedding.h"

#include <torch/nn/init.h>

#include "hnet/spec.h"

namespace hnet {

TaskEmbeddingImpl::TaskEmbeddingImpl(int64_t tasks, int64_t dim)
    : TaskEmbeddingImpl(TaskEmbeddingOptions(tasks, dim)) {}

TaskEmbeddingImpl::TaskEmbeddingImpl(TaskEmbeddingOptions options) : options(options) {
  reset();
}

void TaskEmbeddingImpl::reset() {
  TORCH_CHECK(options.tasks() > 0, "TaskEmbedding: tasks must be > 0, got ", options.tasks());
  TORCH_CHECK(options.dim() > 0, "TaskEmbedding: dim must be > 0, got ", options.dim());
  TORCH_CHECK(
      options.init_std() > 0, "TaskEmbedding: init_std must be > 0, got ", options.init_std());
  weight = register_parameter("weight", torch::empty({options.tasks(), options.dim()}));
  reset_parameters();
}

void TaskEmbeddingImpl::reset_parameters() {
  torch::NoGradGuard no_grad;
  weight.normal_(0.0, options.init_std());
}

void TaskEmbeddingImpl::pretty_print(std::ostream& stream) const {
  stream << "hnet::TaskEmbedding(tasks=" << options.tasks() << ", dim=" << options.dim() << ")";
}

torch::Tensor TaskEmbeddingImpl::forward(const torch::Tensor& ids) {
  TORCH_CHECK(
      ids.dim() == 1 && ids.scalar_type() == torch::kLong,
      "TaskEmbedding: task ids must be a 1-D int64 tensor, got ", shape_str(ids.sizes()), " ",
      ids.scalar_type());
  if (ids.numel() > 0) {
    const int64_t lo = ids.min().item<int64_t>(), hi = ids.max().item<int64_t>();
    TORCH_CHECK(
        lo >= 0 && hi < options.tasks(), "TaskEmbedding: task ids must be in [0, ", options.tasks(),
        "), got ", lo < 0 ? lo : hi);
  }
  return weight.index_select(0, ids);
}

torch::Tensor TaskEmbeddingImpl::rows(int64_t first, int64_t count) const {
  TORCH_CHECK(
      first >= 0 && count >= 0 && first + count <= options.tasks(), "TaskEmbedding: rows [", first,
      ", ", first + count, ") are outside [0, ", options.tasks(), ")");
  return weight.narrow(0, first, count);
}

}  // namespace hnet
