#pragma once
/// \file
/// A graph hypernetwork: predicts the parameters of a network from its
/// computational graph (graph.h), for architectures never seen in training.
///
/// GHN-2 (Knyazev, Drozdzal, Taylor, Romero-Soriano 2021, "Parameter
/// Prediction for Unseen Deep Architectures"):
/// - node features: an operation embedding plus an encoding of the node's
///   parameter shape [out, in, kh, kw] (here log2 of each size through a
///   linear map, so unseen widths get features between seen ones);
/// - a gated graph network, one forward sweep in topological order then one
///   backward sweep, each node updated by a GRU cell from the sum of
///   MLP(h_u) over its neighbours u in the sweep's direction plus, with
///   virtual edges, MLP_ve(h_u) / s over every u at shortest-path distance
///   s <= `virtual_edges` (GHN-2's s_max = 50); then a layer norm;
/// - decoders per parameter: the *tiled* decoder (GHN-2) emits a block
///   [block, block, K, K] per node, tiled over output and input channels and
///   cropped (kernels centred, as GHN-3); the *low-rank* decoder (LoGAH:
///   Zhou et al. 2024) emits factors A [m, r], B [m, r] with
///   W = A[:out kh] B[:in kw]^T, so wide layers cost no larger a decoder;
///   small separate decoders for 1-D parameters and for the classifier;
/// - GHN-2's normalisation of predicted values by operation: weights times
///   sqrt(beta / fan_in) (beta 2, 1 for kernels with kh < kw or one input
///   channel), norm gains 2 sigmoid(p / 2), biases and norm shifts tanh(p / 5).
///
/// Nodes are updated level by level (all nodes whose longest path from the
/// input has one length at once, across all graphs of a batch), which is
/// the sequential per-node update of GHN-2 computed in fewer, larger steps.

#include <torch/nn/cloneable.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/embedding.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/modules/normalization.h>
#include <torch/nn/modules/rnn.h>
#include <torch/nn/pimpl.h>

#include <memory>
#include <string>
#include <vector>

#include "hnet/ghn/graph.h"
#include "hnet/spec.h"
#include "hnet/targets/module_adapter.h"

namespace hnet {

/// Example: `GhnOptions().hidden(32).decoder("lowrank").rank(8)`
struct GhnOptions {
  TORCH_ARG(int64_t, hidden) = 32;
  /// Classes of every predicted network's classifier.
  TORCH_ARG(int64_t, classes) = 10;
  /// Shortest-path cut-off of virtual edges; 1 = direct edges only.
  TORCH_ARG(int64_t, virtual_edges) = 50;
  /// false: the no-edges ablation (GHN-2's "MLP"): each node's embedding
  /// goes through an MLP that sees no other node.
  TORCH_ARG(bool, use_edges) = true;
  /// "tiled" (GHN-2) or "lowrank" (LoGAH).
  TORCH_ARG(std::string, decoder) = "tiled";
  /// Tiled: the block's output and input channels, and its kernel size K.
  TORCH_ARG(int64_t, block) = 32;
  TORCH_ARG(int64_t, max_kernel) = 5;
  /// Low-rank: rank r and factor rows m (larger products are tiled).
  TORCH_ARG(int64_t, rank) = 16;
  TORCH_ARG(int64_t, max_rows) = 640;
};

/// Predicts flat parameter vectors laid out by targets' specs.
class GhnImpl : public torch::nn::Cloneable<GhnImpl> {
 public:
  explicit GhnImpl(GhnOptions options = {});
  void reset() override;

  /// The parameters of each graph's network, flat and laid out by its spec
  /// (specs[i] is the spec the graph was traced from). Differentiable with
  /// respect to the GHN's parameters.
  ///
  /// Throws c10::ValueError naming the parameter when a node owns one the
  /// decoders cannot emit (a weight that is not 2-D or 4-D, e.g. PHM
  /// factors) or the classifier's output is not `classes`.
  std::vector<torch::Tensor> predict(
      const std::vector<const ComputationGraph*>& graphs, const std::vector<const Spec*>& specs);

  /// Node states after the graph network, [total nodes, hidden], the nodes
  /// of graph g at rows offsets[g] .. offsets[g + 1].
  torch::Tensor node_states(
      const std::vector<const ComputationGraph*>& graphs, std::vector<int64_t>* offsets = nullptr);

  /// Parameters of the weight decoder (tiled or low-rank), the part the
  /// two decoders differ in.
  int64_t weight_decoder_parameters() const;

  GhnOptions options;

 private:
  torch::Tensor decode_weight(const torch::Tensor& h, const GraphParam& p);
  torch::Tensor decode_classifier(const torch::Tensor& h, const GraphParam& p);

  torch::nn::Embedding op_embedding_{nullptr};
  torch::nn::Linear shape_encoder_{nullptr};
  torch::nn::Sequential message_{nullptr}, virtual_message_{nullptr}, no_edges_{nullptr};
  torch::nn::GRUCell update_{nullptr};
  torch::nn::LayerNorm norm_{nullptr};
  torch::nn::Sequential weight_decoder_{nullptr}, block_decoder_{nullptr};
  torch::nn::Sequential vector_decoder_{nullptr}, classifier_decoder_{nullptr},
      classifier_bias_decoder_{nullptr};
  torch::nn::Linear rank_decoder_{nullptr};
};
TORCH_MODULE(Ghn);

/// Sets the parameters of `module` (the module `target` adapts) to the
/// GHN's prediction for the graph traced with `example`, in place and
/// without gradient; buffers (batch-norm running statistics) are left as
/// they are. Used through predict_parameters.
void set_predicted_parameters(
    GhnImpl& ghn, Target& target, torch::nn::Module& module, const torch::Tensor& example);

/// The `ghn(model)` of the Python tools: predicts the parameters of
/// `module` (a module holder, e.g. an ArchNet or a Sequential) from its
/// graph and writes them into it. `example`: an input batch it accepts.
///
/// Example:
///   ArchNet net(arch);
///   predict_parameters(*ghn, net, torch::zeros({1, 1, 28, 28}));
template <typename ModuleHolder>
void predict_parameters(GhnImpl& ghn, ModuleHolder module, const torch::Tensor& example) {
  ModuleAdapter target(module);
  set_predicted_parameters(ghn, *target, *module, example);
}

}  // namespace hnet
