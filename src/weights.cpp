#include "hnet/weights.h"

#include <c10/util/Exception.h>

namespace hnet {

Weights::Weights(std::shared_ptr<const Spec> spec, torch::Tensor flat)
    : spec_(std::move(spec)), flat_(std::move(flat)) {
  TORCH_CHECK(spec_ != nullptr, "Weights: spec must not be null");
  TORCH_CHECK(
      flat_.dim() == 1 || flat_.dim() == 2, "Weights: flat tensor must be [N] or [B, N], got ",
      shape_str(flat_.sizes()));
  TORCH_CHECK(
      flat_.size(-1) == spec_->numel(), "Weights: flat tensor has ", flat_.size(-1),
      " values per weight set but the spec needs ", spec_->numel());
  TORCH_CHECK(
      flat_.numel() == 0 || flat_.stride(-1) == 1,
      "Weights: flat tensor's last dimension must have stride 1, got ", flat_.stride(-1));
  std::vector<int64_t> numels;
  numels.reserve(spec_->size());
  for (const auto& e : spec_->entries()) numels.push_back(e.numel);
  auto slices = flat_.split_with_sizes(numels, -1);
  views_.reserve(slices.size());
  for (size_t i = 0; i < slices.size(); ++i) {
    const auto& shape = (*spec_)[i].shape;
    if (!batched()) {
      views_.push_back(slices[i].view(shape));
      continue;
    }
    std::vector<int64_t> batched_shape{flat_.size(0)};
    batched_shape.insert(batched_shape.end(), shape.begin(), shape.end());
    views_.push_back(slices[i].view(batched_shape));
  }
}

torch::Tensor Weights::operator[](size_t i) const {
  TORCH_CHECK(i < views_.size(), "Weights: entry ", i, " out of range (", views_.size(), ")");
  return views_[i];
}

torch::Tensor Weights::operator[](const std::string& name) const {
  return (*this)[spec_->index(name)];
}

Weights Weights::select(int64_t b) const {
  TORCH_CHECK(batched(), "Weights::select: weights are not batched");
  TORCH_CHECK(
      b >= 0 && b < flat_.size(0), "Weights::select: index must be in [0, ", flat_.size(0),
      "), got ", b);
  return Weights(spec_, flat_[b]);
}

std::vector<std::pair<std::string, torch::Tensor>> Weights::named_tensors() const {
  std::vector<std::pair<std::string, torch::Tensor>> out;
  for (size_t i = 0; i < spec().size(); ++i) out.emplace_back(spec()[i].name, (*this)[i]);
  return out;
}

}  // namespace hnet
