#include "hnet/ghn/graph.h"

#include <c10/core/GradMode.h>
#include <torch/csrc/autograd/function.h>
#include <torch/csrc/autograd/generated/Functions.h>
#include <torch/csrc/autograd/variable.h>

#include <algorithm>
#include <sstream>
#include <unordered_map>
#include <unordered_set>

#include "hnet/errors.h"
#include "hnet/targets/target.h"

namespace hnet {
namespace {

using torch::autograd::Node;
namespace generated = torch::autograd::generated;

// How an autograd node is placed in the graph. kPassThrough: a shape-only
// operation, contracted into the edge it lies on. kAffine: a linear or conv
// product, whose 1-D parameters become a bias node after it.
enum class Placement { kPassThrough, kOp, kAffine };

struct Classified {
  Placement placement = Placement::kOp;
  GraphOp op = GraphOp::kInput;
};

// "ConvolutionBackward0" -> "Convolution"; custom functions keep their
// (demangled C++) name.
std::string base_name(const std::string& name) {
  const auto at = name.rfind("Backward");
  if (at == std::string::npos) return name;
  const auto digits = name.find_first_not_of("0123456789", at + 8);
  return digits == std::string::npos ? name.substr(0, at) : name;
}

bool contains(const std::string& s, const char* part) {
  return s.find(part) != std::string::npos;
}

[[noreturn]] void cannot_place(const std::string& name, const std::string& why) {
  HNET_CHECK_INPUT(
      false, "graph builder: cannot place the operation '", name, "' (", why,
      "); supported: linear and conv products, batch/layer/group norm, bias and scale additions, "
      "sums, concatenation, max/average/global pooling, relu, tanh, sigmoid, gelu, sin, "
      "leaky_relu, elu, and shape-only operations");
}

// `data_inputs`: how many of its inputs depend on the network's input;
// `has_params`: whether it reads parameters.
Classified classify(const std::string& name, size_t data_inputs, bool has_params) {
  static const std::unordered_set<std::string> shape_only = {
      "View",           "Reshape",   "ReshapeAlias",  "UnsafeView", "T",     "Transpose",
      "Permute",        "Expand",    "Squeeze",       "Unsqueeze",  "Clone", "Slice",
      "Select",         "AsStrided", "ConstantPadNd", "ToCopy",     "Alias", "Split",
      "SplitWithSizes", "Unbind",    "Narrow"};
  static const std::unordered_map<std::string, GraphOp> activations = {
      {"Relu", GraphOp::kRelu},           {"Threshold", GraphOp::kRelu}, {"Tanh", GraphOp::kTanh},
      {"Sigmoid", GraphOp::kSigmoid},     {"Gelu", GraphOp::kGelu},      {"Sin", GraphOp::kSin},
      {"LeakyRelu", GraphOp::kLeakyRelu}, {"Elu", GraphOp::kElu}};
  const std::string base = base_name(name);
  const bool unary = data_inputs == 1;
  if (shape_only.count(base)) {
    if (!unary || has_params) cannot_place(name, "a shape operation that reads parameters");
    return {Placement::kPassThrough};
  }
  if (contains(base, "Convolution") || base.rfind("SlowConv", 0) == 0) {
    return {Placement::kAffine, GraphOp::kConv};
  }
  if (base == "Addmm" || base == "Mm" || base == "Bmm" || base == "Baddbmm" ||
      contains(base, "SgemmProduct")) {
    if (!has_params) cannot_place(name, "a product of two activations");
    return {Placement::kAffine, GraphOp::kLinear};
  }
  if (contains(base, "BatchNorm")) return {Placement::kOp, GraphOp::kBatchNorm};
  if (contains(base, "LayerNorm")) return {Placement::kOp, GraphOp::kLayerNorm};
  if (contains(base, "GroupNorm")) return {Placement::kOp, GraphOp::kGroupNorm};
  if (auto it = activations.find(base); it != activations.end()) {
    return {Placement::kOp, it->second};
  }
  if (contains(base, "MaxPool")) return {Placement::kOp, GraphOp::kMaxPool};
  if (contains(base, "AdaptiveAvgPool") || base == "Mean") {
    return {Placement::kOp, GraphOp::kGlobalAvgPool};
  }
  if (contains(base, "AvgPool")) return {Placement::kOp, GraphOp::kAvgPool};
  if (base == "Cat") return {Placement::kOp, GraphOp::kConcat};
  if (base == "Add" || base == "Sub") {
    if (data_inputs >= 2 && !has_params) return {Placement::kOp, GraphOp::kSum};
    if (unary) return {has_params ? Placement::kOp : Placement::kPassThrough, GraphOp::kBias};
  }
  if (base == "Mul" || base == "Div") {
    if (unary) return {has_params ? Placement::kOp : Placement::kPassThrough, GraphOp::kScale};
    cannot_place(name, "a product of two activations");
  }
  cannot_place(name, "unknown to the graph builder");
}

// [k] -> [k, k]: PyTorch keeps a window or stride given as one number so.
std::vector<int64_t> two_dims(std::vector<int64_t> v) {
  if (v.size() == 1) v.push_back(v.front());
  return v;
}

// The attributes of conv and pooling nodes, read from the autograd node.
void read_attributes(Node* node, GraphNode& out) {
  if (auto* conv = dynamic_cast<generated::ConvolutionBackward0*>(node)) {
    out.stride = two_dims(conv->stride);
  } else if (auto* pool = dynamic_cast<generated::MaxPool2DWithIndicesBackward0*>(node)) {
    out.kernel = two_dims(pool->kernel_size);
    out.stride = two_dims(pool->stride);
  } else if (auto* avg = dynamic_cast<generated::AvgPool2DBackward0*>(node)) {
    out.kernel = two_dims(avg->kernel_size);
    out.stride = two_dims(avg->stride);
  }
}

std::string node_name(const GraphNode& node, size_t index) {
  if (!node.params.empty()) {
    const std::string& p = node.params.front().name;
    const auto dot = p.rfind('.');
    return dot == std::string::npos ? p : p.substr(0, dot);
  }
  return std::string(graph_op_name(node.op)) + "_" + std::to_string(index);
}

// The traced forward: autograd nodes reachable from the output, which of
// them read the input, and which stand for a parameter entry.
class Trace {
 public:
  Trace(const Spec& spec, const Weights& w, std::shared_ptr<Node> input, std::shared_ptr<Node> root)
      : spec_(spec), input_(std::move(input)), root_(std::move(root)) {
    for (size_t i = 0; i < spec.size(); ++i) {
      const auto fn = w[i].grad_fn();
      TORCH_CHECK(fn, "graph builder: weight view ", spec[i].name, " has no autograd node");
      entry_of_[fn.get()] = i;
    }
    collect();
  }

  ComputationGraph build() {
    HNET_CHECK_INPUT(
        reads_input_.count(root_.get()), "graph builder: the output does not depend on the input");
    std::vector<int> owner(spec_.size(), -1);
    for (Node* node : data_order()) place(node, owner);
    for (size_t i = 0; i < spec_.size(); ++i) {
      HNET_CHECK_INPUT(
          owner[i] >= 0, "graph builder: parameter '", spec_[i].name,
          "' is not read by the forward pass");
    }
    for (size_t i = 0; i < graph_.nodes.size(); ++i) {
      if (graph_.nodes[i].name.empty()) graph_.nodes[i].name = node_name(graph_.nodes[i], i);
    }
    return std::move(graph_);
  }

 private:
  bool is_entry(Node* n) const {
    return entry_of_.count(n) > 0;
  }

  // Every node reachable from the output, without passing through parameter
  // entries; then the ones from which the input is reachable.
  void collect() {
    std::unordered_map<Node*, std::vector<Node*>> consumers;
    std::vector<Node*> stack{root_.get()};
    std::unordered_set<Node*> seen{root_.get()};
    while (!stack.empty()) {
      Node* n = stack.back();
      stack.pop_back();
      if (is_entry(n) || n == input_.get()) continue;
      for (const auto& edge : n->next_edges()) {
        Node* next = edge.function.get();
        if (!next) continue;
        consumers[next].push_back(n);
        if (seen.insert(next).second) stack.push_back(next);
      }
    }
    std::vector<Node*> frontier{input_.get()};
    reads_input_.insert(input_.get());
    while (!frontier.empty()) {
      Node* n = frontier.back();
      frontier.pop_back();
      for (Node* c : consumers[n]) {
        if (reads_input_.insert(c).second) frontier.push_back(c);
      }
    }
  }

  std::vector<Node*> data_inputs(Node* n) const {
    std::vector<Node*> out;
    for (const auto& edge : n->next_edges()) {
      Node* next = edge.function.get();
      if (next && reads_input_.count(next) &&
          std::find(out.begin(), out.end(), next) == out.end()) {
        out.push_back(next);
      }
    }
    return out;
  }

  // The parameter entries `n` reads through its inputs that do not depend
  // on the input (PHM factors composed into a weight, transposes, views).
  std::vector<size_t> params_read(Node* n) const {
    std::vector<size_t> entries;
    std::vector<Node*> stack;
    std::unordered_set<Node*> seen;
    for (const auto& edge : n->next_edges()) {
      Node* next = edge.function.get();
      if (next && !reads_input_.count(next) && seen.insert(next).second) stack.push_back(next);
    }
    while (!stack.empty()) {
      Node* p = stack.back();
      stack.pop_back();
      if (auto it = entry_of_.find(p); it != entry_of_.end()) {
        entries.push_back(it->second);
        continue;
      }
      // A leaf that is not one of the target's weight views.
      HNET_CHECK_INPUT(
          !contains(p->name(), "AccumulateGrad"), "graph builder: the operation '", n->name(),
          "' reads a trainable tensor that is not among the target's parameters");
      for (const auto& edge : p->next_edges()) {
        Node* next = edge.function.get();
        if (next && seen.insert(next).second) stack.push_back(next);
      }
    }
    std::sort(entries.begin(), entries.end());
    return entries;
  }

  // Nodes that read the input, every one after the nodes it reads.
  std::vector<Node*> data_order() const {
    std::vector<Node*> order;
    std::unordered_set<Node*> done;
    std::vector<std::pair<Node*, bool>> stack{{root_.get(), false}};
    while (!stack.empty()) {
      auto [n, expanded] = stack.back();
      stack.pop_back();
      if (expanded) {
        if (done.insert(n).second) order.push_back(n);
        continue;
      }
      if (done.count(n)) continue;
      stack.push_back({n, true});
      if (n == input_.get()) continue;
      const auto inputs = data_inputs(n);
      for (auto it = inputs.rbegin(); it != inputs.rend(); ++it) {
        if (!done.count(*it)) stack.push_back({*it, false});
      }
    }
    return order;
  }

  size_t add_node(GraphNode node) {
    graph_.nodes.push_back(std::move(node));
    return graph_.nodes.size() - 1;
  }

  GraphParam param(size_t entry, std::vector<int>& owner, Node* reader) const {
    HNET_CHECK_INPUT(
        owner[entry] < 0, "graph builder: parameter '", spec_[entry].name,
        "' is read by two operations (shared parameters are not supported; the second is '",
        reader->name(), "')");
    return {entry, spec_[entry].name, spec_[entry].shape};
  }

  void place(Node* n, std::vector<int>& owner) {
    if (n == input_.get()) {
      GraphNode input;
      input.name = "input";
      id_[n] = add_node(std::move(input));
      return;
    }
    const auto inputs = data_inputs(n);
    const auto entries = params_read(n);
    const auto kind = classify(n->name(), inputs.size(), !entries.empty());
    if (kind.placement == Placement::kPassThrough) {
      id_[n] = id_.at(inputs.front());
      return;
    }
    GraphNode node;
    node.op = kind.op;
    for (Node* in : inputs) {
      const size_t id = id_.at(in);
      if (std::find(node.inputs.begin(), node.inputs.end(), id) == node.inputs.end()) {
        node.inputs.push_back(id);
      }
    }
    read_attributes(n, node);
    std::vector<size_t> biases;
    for (size_t e : entries) {
      if (kind.placement == Placement::kAffine && spec_[e].shape.size() == 1) {
        biases.push_back(e);
      } else {
        node.params.push_back(param(e, owner, n));
      }
    }
    HNET_CHECK_INPUT(
        kind.placement != Placement::kAffine || !node.params.empty(), "graph builder: the '",
        n->name(), "' operation reads no weight");
    size_t id = add_node(std::move(node));
    for (const auto& p : graph_.nodes[id].params) owner[p.entry] = static_cast<int>(id);
    if (!biases.empty()) {
      GraphNode bias;
      bias.op = GraphOp::kBias;
      bias.inputs = {id};
      for (size_t e : biases) bias.params.push_back(param(e, owner, n));
      id = add_node(std::move(bias));
      for (const auto& p : graph_.nodes[id].params) owner[p.entry] = static_cast<int>(id);
    }
    id_[n] = id;
  }

  const Spec& spec_;
  std::shared_ptr<Node> input_;
  std::shared_ptr<Node> root_;
  std::unordered_map<Node*, size_t> entry_of_;
  std::unordered_set<Node*> reads_input_;
  std::unordered_map<Node*, size_t> id_;
  ComputationGraph graph_;
};

// Puts the module in evaluation mode for the trace and restores its mode.
class EvalModeScope {
 public:
  explicit EvalModeScope(torch::nn::Module& m) : module_(m), was_training_(m.is_training()) {
    module_.eval();
  }
  ~EvalModeScope() {
    module_.train(was_training_);
  }
  EvalModeScope(const EvalModeScope&) = delete;
  EvalModeScope& operator=(const EvalModeScope&) = delete;

 private:
  torch::nn::Module& module_;
  bool was_training_;
};

}  // namespace

const std::vector<GraphOp>& graph_ops() {
  static const std::vector<GraphOp> ops = {
      GraphOp::kInput,         GraphOp::kLinear,    GraphOp::kConv,      GraphOp::kBatchNorm,
      GraphOp::kLayerNorm,     GraphOp::kGroupNorm, GraphOp::kBias,      GraphOp::kScale,
      GraphOp::kSum,           GraphOp::kConcat,    GraphOp::kMaxPool,   GraphOp::kAvgPool,
      GraphOp::kGlobalAvgPool, GraphOp::kRelu,      GraphOp::kTanh,      GraphOp::kSigmoid,
      GraphOp::kGelu,          GraphOp::kSin,       GraphOp::kLeakyRelu, GraphOp::kElu};
  return ops;
}

const char* graph_op_name(GraphOp op) {
  switch (op) {
    case GraphOp::kInput:
      return "input";
    case GraphOp::kLinear:
      return "linear";
    case GraphOp::kConv:
      return "conv";
    case GraphOp::kBatchNorm:
      return "batch_norm";
    case GraphOp::kLayerNorm:
      return "layer_norm";
    case GraphOp::kGroupNorm:
      return "group_norm";
    case GraphOp::kBias:
      return "bias";
    case GraphOp::kScale:
      return "scale";
    case GraphOp::kSum:
      return "sum";
    case GraphOp::kConcat:
      return "concat";
    case GraphOp::kMaxPool:
      return "max_pool";
    case GraphOp::kAvgPool:
      return "avg_pool";
    case GraphOp::kGlobalAvgPool:
      return "global_avg_pool";
    case GraphOp::kRelu:
      return "relu";
    case GraphOp::kTanh:
      return "tanh";
    case GraphOp::kSigmoid:
      return "sigmoid";
    case GraphOp::kGelu:
      return "gelu";
    case GraphOp::kSin:
      return "sin";
    case GraphOp::kLeakyRelu:
      return "leaky_relu";
    case GraphOp::kElu:
      return "elu";
  }
  return "?";
}

size_t ComputationGraph::edge_count() const {
  size_t n = 0;
  for (const auto& node : nodes) n += node.inputs.size();
  return n;
}

std::string ComputationGraph::to_text() const {
  std::ostringstream out;
  for (size_t i = 0; i < nodes.size(); ++i) {
    const auto& node = nodes[i];
    out << i << ' ' << graph_op_name(node.op) << ' ' << node.name;
    for (const auto& p : node.params) out << ' ' << c10::IntArrayRef(p.shape);
    if (!node.inputs.empty()) {
      out << " <-";
      for (size_t in : node.inputs) out << ' ' << in;
    }
    out << '\n';
  }
  return out.str();
}

ComputationGraph graph_of(Target& target, const torch::Tensor& example) {
  HNET_CHECK_INPUT(example.defined(), "graph builder: the example input is undefined");
  const auto& spec = target.spec();
  EvalModeScope eval(target.as_module());
  c10::AutoGradMode grad(true);
  auto x = example.detach().to(torch::kFloat).requires_grad_(true);
  auto flat = spec->init_mean().to(x.device()).detach().requires_grad_(true);
  Weights w(spec, flat);
  auto input = torch::autograd::impl::grad_accumulator(x);
  auto y = target.forward(x, w);
  HNET_CHECK_INPUT(y.grad_fn(), "graph builder: the output does not depend on the input");
  return Trace(*spec, w, input, y.grad_fn()).build();
}

}  // namespace hnet
