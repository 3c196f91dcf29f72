#pragma once
/// \file
/// The computational graph of a network, as a graph hypernetwork reads it
/// (GHN-2: Knyazev et al. 2021, "Parameter Prediction for Unseen Deep
/// Architectures"): nodes are operations with the shapes of the parameters
/// they own, edges are data flow.
///
/// Built from one forward pass of any `Target` (hnet's Mlp, ConvNet, ResNet,
/// PHM layers, and any `torch::nn::Module` through `ModuleAdapter`) by walking
/// its autograd graph from the output back to the input, as the Python tools
/// (ppuda) do: autograd nodes that read the input become operations, the
/// parameters an operation reads are found by following its other inputs
/// back to the weight tensors, and shape-only operations (view, transpose,
/// padding, ...) are contracted into the edge they lie on.

#include <torch/types.h>

#include <cstdint>
#include <string>
#include <vector>

namespace hnet {

class Target;

/// What a node computes. A linear or conv node owns its weight (or the PHM
/// factors it is composed from); a bias added to its output is a `kBias`
/// node of its own (GHN-2's convention), whichever kernel the layer ran.
enum class GraphOp {
  kInput,
  kLinear,
  kConv,
  kBatchNorm,
  kLayerNorm,
  kGroupNorm,
  kBias,
  kScale,
  kSum,
  kConcat,
  kMaxPool,
  kAvgPool,
  kGlobalAvgPool,
  kRelu,
  kTanh,
  kSigmoid,
  kGelu,
  kSin,
  kLeakyRelu,
  kElu,
};

/// Every GraphOp, in declaration order (an embedding table's rows).
const std::vector<GraphOp>& graph_ops();
/// The op's name in graph files and messages, e.g. "conv", "batch_norm".
const char* graph_op_name(GraphOp op);

/// One parameter tensor a node owns: the Spec entry of the target.
struct GraphParam {
  size_t entry = 0;            ///< index into the target's spec()
  std::string name;            ///< the entry's name, e.g. "conv1.weight"
  std::vector<int64_t> shape;  ///< the entry's shape
};

/// One operation. `inputs` index earlier nodes (the graph is in topological
/// order). `stride` is the conv's or pooling's stride and `kernel` a
/// pooling's window (a conv's kernel is in its weight's shape); both are
/// empty for other operations.
struct GraphNode {
  GraphOp op = GraphOp::kInput;
  std::string name;
  std::vector<GraphParam> params;
  std::vector<size_t> inputs;
  std::vector<int64_t> stride;
  std::vector<int64_t> kernel;
};

/// Nodes in topological order: node 0 is the input, the last node computes
/// the output. Every parameter of the target is owned by exactly one node.
struct ComputationGraph {
  std::vector<GraphNode> nodes;

  /// Number of edges (sum of the nodes' inputs).
  size_t edge_count() const;
  /// One line per node: "<index> <op> <name> <param shapes> <- <inputs>";
  /// for logs and tests.
  std::string to_text() const;
};

/// The graph of `target`, traced by one forward pass of `example` (a batch
/// the target accepts, e.g. [1, 1, 28, 28] for a ConvNet) with weights at
/// the spec's initial means, in evaluation mode (running statistics are
/// neither used for training nor updated; the mode is restored).
///
/// Throws c10::ValueError naming the autograd operation when the forward
/// runs one the builder cannot place (e.g. "CumsumBackward0"), and naming
/// the entry when a parameter is unused or read by two operations.
ComputationGraph graph_of(Target& target, const torch::Tensor& example);

}  // namespace hnet
