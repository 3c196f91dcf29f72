#include "hnet/targets/norm.h"

#include "hnet/targets/functional.h"

namespace hnet {

Norm parse_norm(const std::string& name) {
  if (name == "none") return Norm::kNone;
  if (name == "batch") return Norm::kBatch;
  TORCH_CHECK(false, "norm must be one of none, batch; got '", name, "'");
}

BatchNormStatsImpl::BatchNormStatsImpl(int64_t channels, int64_t slots)
    : channels(channels), slots(slots) {
  reset();
}

void BatchNormStatsImpl::reset() {
  TORCH_CHECK(channels > 0, "BatchNormStats: channels must be > 0, got ", channels);
  TORCH_CHECK(slots > 0, "BatchNormStats: stats slots must be > 0, got ", slots);
  running_mean = register_buffer("running_mean", torch::zeros({slots, channels}));
  running_var = register_buffer("running_var", torch::ones({slots, channels}));
}

void BatchNormStatsImpl::pretty_print(std::ostream& stream) const {
  stream << "hnet::BatchNormStats(channels=" << channels << ", slots=" << slots << ")";
}

torch::Tensor BatchNormStatsImpl::forward(
    const torch::Tensor& x, const torch::Tensor& scale, const torch::Tensor& shift, int64_t slot) {
  TORCH_CHECK(
      slot >= 0 && slot < slots, "BatchNormStats: stats slot must be in [0, ", slots, "), got ",
      slot);
  return functional::batch_norm(
      x, scale, shift, running_mean[slot], running_var[slot], is_training(), momentum, eps);
}

}  // namespace hnet
