#pragma once
/// \file
/// Bottleneck adapters after every conv layer of a frozen encoder
/// (h + up(relu(down h))), held three ways:
///
/// - `BottleneckAdapters`: each task and layer its own down/up weights
///   (Houlsby et al. 2019, "Parameter-Efficient Transfer Learning for NLP").
/// - `HyperformerAdapters`: one task-shared hypernetwork emits every adapter
///   from a task embedding and a layer embedding (Karimi Mahabadi et al.
///   2021, "Parameter-efficient Multi-task Fine-tuning for Transformers via
///   Shared Hypernetworks"). Layers of different widths take slices of one
///   output sized for the widest layer.
/// - `PolyhistorAdapters` (Liu et al. 2022, "Polyhistor: Parameter-Efficient
///   Multi-Task Adaptation for Dense Vision Tasks"): decomposed
///   hypernetworks, a pair of task-shared networks on the task and layer
///   embeddings, one emitting left and one right low-rank factors (rank k)
///   whose product is each adapter's down and up projection, so that no
///   hypernetwork output is as large as an adapter. Polyhistor emits factors
///   for the widest layer and slices them per layer; Polyhistor-Lite (`lite`)
///   adds layer-wise scaling kernels: the factors are a template of the
///   narrowest layer's width c_t, and a layer of width c = s c_t takes the
///   Kronecker product of its scaling kernel [s] with the template (scaled
///   copies of the template's rows). The paper's figure pairs Polyhistor
///   with the decomposed hypernetworks and Polyhistor-Lite with both parts;
///   the exact shapes here are our reading.
///
/// Every up-projection is zero at init, so each adapter starts as the
/// identity and the adapted encoder as the frozen one.

#include <torch/nn/module.h>
#include <torch/nn/modules/linear.h>

#include <cstdint>
#include <vector>

#include "hnet/adapters/encoder.h"

namespace hnet::adapters {

/// Per-task, per-layer adapters with `rank` hidden channels.
class BottleneckAdapters : public Adaptation {
 public:
  BottleneckAdapters(const std::vector<ConvLayerShape>& layers, int64_t tasks, int64_t rank);
  torch::Tensor adapt_features(int64_t task, int64_t layer, const torch::Tensor& h) override;

 private:
  // [task][layer]: down, down bias, up, up bias.
  std::vector<std::vector<std::vector<torch::Tensor>>> parts_;
};

struct AdapterHypernetworkOptions {
  int64_t rank = 4;         ///< adapter hidden channels
  int64_t embedding = 16;   ///< task and layer embedding size
  int64_t hidden = 32;      ///< hypernetwork hidden width
  int64_t factor_rank = 2;  ///< Polyhistor: rank of the template's factors
  bool lite = false;        ///< Polyhistor-Lite: template and scaling kernels
};

class HyperformerAdapters : public Adaptation {
 public:
  HyperformerAdapters(
      const std::vector<ConvLayerShape>& layers, int64_t tasks,
      const AdapterHypernetworkOptions& options);
  torch::Tensor adapt_features(int64_t task, int64_t layer, const torch::Tensor& h) override;

 private:
  std::vector<ConvLayerShape> layers_;
  int64_t rank_, widest_;
  torch::Tensor task_embedding_, layer_embedding_;
  torch::nn::Linear trunk_{nullptr}, down_head_{nullptr}, up_head_{nullptr};
};

class PolyhistorAdapters : public Adaptation {
 public:
  /// c10::ValueError naming the layer when (Lite) a width is not a multiple of the narrowest.
  PolyhistorAdapters(
      const std::vector<ConvLayerShape>& layers, int64_t tasks,
      const AdapterHypernetworkOptions& options);
  torch::Tensor adapt_features(int64_t task, int64_t layer, const torch::Tensor& h) override;

 private:
  std::vector<ConvLayerShape> layers_;
  int64_t rank_, factor_rank_, template_width_;
  bool lite_;
  torch::Tensor task_embedding_, layer_embedding_;
  // The decomposed pair: `left_` emits the [c_t, k] factors of the down and up
  // templates, `right_` their [r, k] factors and the down bias.
  torch::nn::Linear left_trunk_{nullptr}, left_head_{nullptr};
  torch::nn::Linear right_trunk_{nullptr}, right_head_{nullptr};
  // Lite, per layer: the down and up scaling kernels, [c / c_t] each.
  std::vector<torch::Tensor> down_kernels_, up_kernels_;
};

}  // namespace hnet::adapters
