#include "hnet/learn/task_heads.h"

namespace hnet {

TaskHeads::TaskHeads(std::shared_ptr<const Spec> task, int64_t heads) : task_(task), heads_(heads) {
  TORCH_CHECK(task != nullptr && task->size() > 0, "TaskHeads: the task spec is empty");
  TORCH_CHECK(heads >= 1, "TaskHeads: heads must be >= 1, got ", heads);
  if (heads == 1) {
    generated_ = std::move(task);
    return;
  }
  const size_t n = task->size();
  TORCH_CHECK(
      n >= 2 && (*task)[n - 2].role == Role::kWeight && (*task)[n - 2].shape.size() == 2 &&
          (*task)[n - 1].role == Role::kBias &&
          (*task)[n - 1].shape == std::vector<int64_t>{(*task)[n - 2].shape[0]},
      "TaskHeads: per-task heads need a network that ends in a dense output layer (weight [k, "
      "in], bias [k]); '",
      (*task)[n - 1].name, "' is not such a bias");
  const auto& w = (*task)[n - 2];
  outputs_ = w.shape[0];
  inputs_ = w.shape[1];
  shared_numel_ = w.offset;
  auto spec = std::make_shared<Spec>();
  for (size_t i = 0; i < n; ++i) {
    SpecEntry e = (*task)[i];
    if (i + 2 >= n) e.shape[0] *= heads;
    spec->add(e);
  }
  generated_ = std::move(spec);
}

torch::Tensor TaskHeads::select(const torch::Tensor& flat, const torch::Tensor& tasks) const {
  TORCH_CHECK(
      flat.dim() == 2 && flat.size(1) == generated_->numel(), "TaskHeads: flat must be [B, ",
      generated_->numel(), "], got ", shape_str(flat.sizes()));
  if (heads_ == 1) return flat;
  TORCH_CHECK(
      tasks.dim() == 1 && tasks.size(0) == flat.size(0) && tasks.scalar_type() == torch::kLong,
      "TaskHeads: tasks must be int64 [", flat.size(0), "], got ", shape_str(tasks.sizes()));
  TORCH_CHECK(
      tasks.numel() == 0 ||
          (tasks.min().item<int64_t>() >= 0 && tasks.max().item<int64_t>() < heads_),
      "TaskHeads: tasks must be in [0, ", heads_, ")");
  const int64_t b = flat.size(0), block = outputs_ * inputs_;
  auto weights = flat.narrow(1, shared_numel_, heads_ * block).view({b, heads_, block});
  auto biases =
      flat.narrow(1, shared_numel_ + heads_ * block, heads_ * outputs_).view({b, heads_, outputs_});
  auto at = tasks.view({b, 1, 1});
  return torch::cat(
      {flat.narrow(1, 0, shared_numel_), weights.gather(1, at.expand({b, 1, block})).squeeze(1),
       biases.gather(1, at.expand({b, 1, outputs_})).squeeze(1)},
      1);
}

torch::Tensor TaskHeads::select(const torch::Tensor& flat, int64_t task) const {
  TORCH_CHECK(flat.dim() == 1, "TaskHeads: flat must be 1-D, got ", shape_str(flat.sizes()));
  return select(
             flat.unsqueeze(0),
             torch::full(
                 {1}, task, torch::TensorOptions().dtype(torch::kLong).device(flat.device())))
      .squeeze(0);
}

}  // namespace hnet
