#pragma once
/// \file
/// How targets handle normalisation layers.
///
/// Decision: a normalisation layer's affine parameters (scale, shift) are
/// *generated* like every other parameter (`Spec` entries with roles
/// `kScale` / `kShift`). Its running statistics are not generated: they are
/// buffers of the target, kept per *statistics slot* — one slot per
/// condition a user wants to evaluate separately (e.g. one per task in
/// continual learning), chosen with `set_stats_slot`. Training normalises with
/// the batch statistics of each weight set; evaluation uses the slot's
/// running statistics. `Norm::kNone` removes normalisation altogether.

#include <torch/nn/cloneable.h>
#include <torch/nn/pimpl.h>
#include <torch/types.h>

#include <string>

namespace hnet {

enum class Norm { kNone, kBatch };

/// Parses "none" or "batch"; throws naming the bad value.
Norm parse_norm(const std::string& name);

/// Running statistics of one batch-normalisation layer, one row per slot.
/// Buffers: running_mean [slots, C] (zeros), running_var [slots, C] (ones).
class BatchNormStatsImpl : public torch::nn::Cloneable<BatchNormStatsImpl> {
 public:
  BatchNormStatsImpl(int64_t channels, int64_t slots);
  void reset() override;
  void pretty_print(std::ostream& stream) const override;

  /// Normalises x [N, C, ...] with generated scale/shift ([C] or [B, C]),
  /// updating (training) or using (evaluation) the statistics of `slot`.
  torch::Tensor forward(
      const torch::Tensor& x, const torch::Tensor& scale, const torch::Tensor& shift, int64_t slot);

  int64_t channels;
  int64_t slots;
  double momentum = 0.1;
  double eps = 1e-5;
  torch::Tensor running_mean;
  torch::Tensor running_var;
};
TORCH_MODULE(BatchNormStats);

}  // namespace hnet
