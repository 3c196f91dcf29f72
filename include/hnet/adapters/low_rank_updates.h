#pragma once
/// \file
/// Per-task low-rank updates of a frozen encoder's conv weights:
///
/// - LoRA (Hu et al. 2021, "LoRA: Low-Rank Adaptation of Large Language
///   Models"): the kernel [out, in, k, k] flattened to a matrix
///   [out, in k k], updated by B A with A [r, in k k] and B [out, r] = 0 at init.
/// - FLoRA (Si et al. 2024, "FLoRA: Low-Rank Core Space for N-dimension"):
///   the kernel kept 4-D and updated in a Tucker core space,
///   delta = G x1 U_out x2 U_in x3 U_h x4 U_w with core G [r_o, r_i, r_h, r_w]
///   = 0 at init.
/// - Maestro (Horvath et al. 2023, "Maestro: Uncovering Low-Rank Structures
///   via Trainable Decomposition"): LoRA factors trained with ordered
///   dropout over rank (each step, each layer uses only its first k
///   components, k drawn uniformly from 1..r), so that the leading
///   components carry the most, plus a group-lasso penalty on the
///   components; after training each layer keeps the components before the
///   first whose norm ||b_j|| ||a_j|| falls below a fraction of its largest.
///
/// Every update is zero at init, so the adapted encoder starts as the frozen one.

#include <torch/nn/module.h>

#include <cstdint>
#include <vector>

#include "hnet/adapters/encoder.h"

namespace hnet::adapters {

/// Per-task LoRA factors for every conv layer of `layers`.
class LoraUpdates : public Adaptation {
 public:
  /// c10::ValueError naming the layer when `rank` is < 1 or above
  /// min(out, in k k) of some layer.
  LoraUpdates(const std::vector<ConvLayerShape>& layers, int64_t tasks, int64_t rank);
  torch::Tensor weight_delta(int64_t task, int64_t layer) override;

  int64_t rank() const {
    return rank_;
  }

 protected:
  /// Task t, layer l's factors: a[t][l] [r, in k k], b[t][l] [out, r].
  std::vector<std::vector<torch::Tensor>> a_, b_;
  std::vector<ConvLayerShape> layers_;
  int64_t rank_;
  /// Components used per layer (all of them unless set).
  std::vector<int64_t> active_;
};

class MaestroUpdates : public LoraUpdates {
 public:
  /// `lasso`: weight of the group-lasso penalty.
  MaestroUpdates(
      const std::vector<ConvLayerShape>& layers, int64_t tasks, int64_t max_rank, double lasso);
  /// Ordered dropout: each layer's active rank drawn uniformly from 1..max_rank.
  void begin_step(torch::Generator& generator) override;
  /// Every layer back at max_rank.
  void finish_training() override;
  /// lasso * sum over tasks, layers and components of ||b_j|| ||a_j||: a
  /// group lasso with one group per component (Maestro's is hierarchical,
  /// over nested groups; this flat one is simpler and, with ordered
  /// dropout, still leaves the trailing components smallest).
  torch::Tensor penalty() override;
  /// Uses the first `ranks[l]` components of layer l (every task); 0 drops the layer's update.
  void set_ranks(const std::vector<int64_t>& ranks);
  /// Per layer: the components before the first whose norm, the largest over
  /// tasks, is below `tolerance` times the layer's largest (the learned rank).
  std::vector<int64_t> learned_ranks(double tolerance) const;

 private:
  double lasso_;
};

/// Per-task Tucker (FLoRA) updates with ranks {r_out, r_in, r_h, r_w} per layer.
class TuckerUpdates : public Adaptation {
 public:
  /// `ranks[l]` has 4 entries, each in 1..its dimension; c10::ValueError
  /// naming the layer and entry otherwise.
  TuckerUpdates(
      const std::vector<ConvLayerShape>& layers, int64_t tasks,
      const std::vector<std::vector<int64_t>>& ranks);
  torch::Tensor weight_delta(int64_t task, int64_t layer) override;

 private:
  // [task][layer]: core, then the factors of out, in, h, w.
  std::vector<std::vector<std::vector<torch::Tensor>>> parts_;
};

/// LoRA's parameters for one layer at `rank`: rank (out + in k k).
int64_t lora_parameters(const ConvLayerShape& layer, int64_t rank);
/// FLoRA's parameters for one layer at `ranks` (4 entries).
int64_t tucker_parameters(const ConvLayerShape& layer, const std::vector<int64_t>& ranks);
/// The Tucker ranks {r, r, k, k} with the largest r whose parameters do not
/// exceed LoRA's at `lora_rank` on `layer` (r at least 1 and at most
/// min(out, in)): FLoRA at LoRA's parameter count.
std::vector<int64_t> tucker_ranks_matching_lora(const ConvLayerShape& layer, int64_t lora_rank);

}  // namespace hnet::adapters
