#include "hnet/ghn/ghn.h"

#include <torch/nn/modules/activation.h>
#include <torch/nn/modules/container/sequential.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <deque>

#include "hnet/errors.h"
#include "hnet/spec.h"
#include "hnet/weights.h"

namespace hnet {
namespace {

namespace nn = torch::nn;

// Linear - ReLU - Linear (- ReLU): the GHN's small MLPs.
nn::Sequential two_layer(int64_t in, int64_t mid, int64_t out, bool relu_after) {
  nn::Sequential s(nn::Linear(in, mid), nn::ReLU(), nn::Linear(mid, out));
  if (relu_after) s->push_back(nn::ReLU());
  return s;
}

// `t` repeated along every dimension until it covers `shape`, then cropped.
torch::Tensor tile_to(const torch::Tensor& t, c10::IntArrayRef shape) {
  std::vector<int64_t> repeats(shape.size());
  for (size_t d = 0; d < shape.size(); ++d) {
    repeats[d] = (shape[d] + t.size(d) - 1) / t.size(d);
  }
  auto out = t.repeat(repeats);
  for (size_t d = 0; d < shape.size(); ++d) out = out.narrow(d, 0, shape[d]);
  return out;
}

// [out, in, kh, kw] of a 2-D or 4-D weight.
std::array<int64_t, 4> weight_dims(const GraphParam& p) {
  HNET_CHECK_INPUT(
      p.shape.size() == 2 || p.shape.size() == 4, "ghn: cannot predict '", p.name, "' of shape ",
      c10::IntArrayRef(p.shape), ": weights must be [out, in] or [out, in, kh, kw]");
  if (p.shape.size() == 2) return {p.shape[0], p.shape[1], 1, 1};
  return {p.shape[0], p.shape[1], p.shape[2], p.shape[3]};
}

// GHN-2's scaling of a predicted weight, He's fan-in rule, applied to the
// decoder's output divided by its root mean square: GHN-2 scales the raw
// output, whose size at initialisation is far below 1 (about 0.05 here), so
// the signal of a predicted network without batch norm vanishes with depth
// and training stalls at chance; standardised, every predicted weight
// starts at He's scale and the GHN learns its direction.
torch::Tensor normalize_weight(const torch::Tensor& w, const std::array<int64_t, 4>& d, bool conv) {
  const double beta = conv && (d[1] == 1 || d[2] < d[3]) ? 1.0 : 2.0;
  const auto centred = w - w.mean();
  const auto rms = centred.pow(2).mean().add(1e-8).sqrt();
  return centred / rms * std::sqrt(beta / static_cast<double>(d[1] * d[2] * d[3]));
}

// The node-level encoding of a graph batch: features, and for each sweep
// the levels with their incoming messages.
struct Level {
  torch::Tensor nodes;                                    // global indices updated together
  torch::Tensor direct_src, direct_dst;                   // edges: source node, row in `nodes`
  torch::Tensor virtual_src, virtual_dst, virtual_scale;  // all pairs at distance s: 1 / s
};

struct Batch {
  torch::Tensor ops;     // [N] op index
  torch::Tensor shapes;  // [N, 4] log2(1 + size)
  std::vector<Level> forward, backward;
};

// Shortest-path distances from `from` along `next`, up to `cutoff`.
std::vector<int64_t> distances_from(
    size_t from, const std::vector<std::vector<size_t>>& next, int64_t cutoff) {
  std::vector<int64_t> dist(next.size(), -1);
  std::deque<size_t> queue{from};
  dist[from] = 0;
  while (!queue.empty()) {
    const size_t u = queue.front();
    queue.pop_front();
    if (dist[u] >= cutoff) continue;
    for (size_t v : next[u]) {
      if (dist[v] < 0) {
        dist[v] = dist[u] + 1;
        queue.push_back(v);
      }
    }
  }
  return dist;
}

// One sweep's levels: `prev[v]` are the nodes v hears from (inputs in the
// forward sweep, consumers in the backward one), `next` the reverse.
void add_sweep(
    std::vector<std::vector<std::array<int64_t, 3>>>& level_edges,
    std::vector<std::vector<int64_t>>& level_nodes, const std::vector<std::vector<size_t>>& prev,
    const std::vector<std::vector<size_t>>& next, const std::vector<size_t>& order, int64_t base,
    int64_t cutoff) {
  const size_t n = prev.size();
  std::vector<size_t> level(n, 0);
  for (size_t v : order) {
    for (size_t u : prev[v]) level[v] = std::max(level[v], level[u] + 1);
  }
  std::vector<std::vector<int64_t>> heard(n);  // per v: (u, s) pairs, flattened
  for (size_t u = 0; u < n; ++u) {
    const auto dist = distances_from(u, next, cutoff);
    for (size_t v = 0; v < n; ++v) {
      if (dist[v] > 0) {
        heard[v].push_back(static_cast<int64_t>(u));
        heard[v].push_back(dist[v]);
      }
    }
  }
  for (size_t v = 0; v < n; ++v) {
    if (level_nodes.size() <= level[v]) {
      level_nodes.resize(level[v] + 1);
      level_edges.resize(level[v] + 1);
    }
    const int64_t row = static_cast<int64_t>(level_nodes[level[v]].size());
    level_nodes[level[v]].push_back(base + static_cast<int64_t>(v));
    for (size_t k = 0; k < heard[v].size(); k += 2) {
      level_edges[level[v]].push_back({base + heard[v][k], row, heard[v][k + 1]});
    }
  }
}

std::vector<Level> to_levels(
    const std::vector<std::vector<int64_t>>& nodes,
    const std::vector<std::vector<std::array<int64_t, 3>>>& edges) {
  std::vector<Level> levels;
  auto as_tensor = [](const std::vector<int64_t>& v) { return torch::tensor(v, torch::kLong); };
  for (size_t l = 0; l < nodes.size(); ++l) {
    std::vector<int64_t> ds, dd, vs, vd;
    std::vector<float> scale;
    for (const auto& [src, dst, s] : edges[l]) {
      if (s == 1) {
        ds.push_back(src);
        dd.push_back(dst);
      }
      vs.push_back(src);
      vd.push_back(dst);
      scale.push_back(1.0f / static_cast<float>(s));
    }
    levels.push_back(
        {as_tensor(nodes[l]), as_tensor(ds), as_tensor(dd), as_tensor(vs), as_tensor(vd),
         torch::tensor(scale, torch::kFloat)});
  }
  return levels;
}

Batch make_batch(const std::vector<const ComputationGraph*>& graphs, int64_t cutoff) {
  std::vector<int64_t> ops;
  std::vector<float> shapes;
  std::vector<std::vector<int64_t>> fwd_nodes, bwd_nodes;
  std::vector<std::vector<std::array<int64_t, 3>>> fwd_edges, bwd_edges;
  int64_t base = 0;
  for (const auto* g : graphs) {
    const size_t n = g->nodes.size();
    std::vector<std::vector<size_t>> inputs(n), consumers(n);
    std::vector<size_t> order(n), reverse(n);
    for (size_t v = 0; v < n; ++v) {
      const auto& node = g->nodes[v];
      ops.push_back(static_cast<int64_t>(node.op));
      std::array<int64_t, 4> dims{0, 0, 0, 0};
      if (!node.params.empty()) {
        const auto& s = node.params.front().shape;
        for (size_t d = 0; d < std::min<size_t>(s.size(), 4); ++d) dims[d] = s[d];
      } else if (!node.kernel.empty()) {
        dims = {1, 1, node.kernel.front(), node.kernel.back()};
      }
      for (int64_t d : dims) shapes.push_back(std::log2(1.0f + static_cast<float>(d)));
      for (size_t u : node.inputs) {
        inputs[v].push_back(u);
        consumers[u].push_back(v);
      }
      order[v] = v;
      reverse[v] = n - 1 - v;
    }
    add_sweep(fwd_edges, fwd_nodes, inputs, consumers, order, base, cutoff);
    add_sweep(bwd_edges, bwd_nodes, consumers, inputs, reverse, base, cutoff);
    base += static_cast<int64_t>(n);
  }
  Batch b;
  b.ops = torch::tensor(ops, torch::kLong);
  b.shapes = torch::tensor(shapes, torch::kFloat).view({base, 4});
  b.forward = to_levels(fwd_nodes, fwd_edges);
  b.backward = to_levels(bwd_nodes, bwd_edges);
  return b;
}

}  // namespace

GhnImpl::GhnImpl(GhnOptions options_) : options(std::move(options_)) {
  reset();
}

void GhnImpl::reset() {
  const auto& o = options;
  HNET_CHECK_INPUT(o.hidden() > 0, "ghn: 'hidden' must be > 0, got ", o.hidden());
  HNET_CHECK_INPUT(o.classes() > 0, "ghn: 'classes' must be > 0, got ", o.classes());
  HNET_CHECK_INPUT(
      o.virtual_edges() >= 1, "ghn: 'virtual_edges' must be >= 1, got ", o.virtual_edges());
  HNET_CHECK_INPUT(
      o.decoder() == "tiled" || o.decoder() == "lowrank", "ghn: 'decoder' must be tiled or ",
      "lowrank, got '", o.decoder(), "'");
  HNET_CHECK_INPUT(o.block() > 0, "ghn: 'block' must be > 0, got ", o.block());
  HNET_CHECK_INPUT(o.max_kernel() > 0, "ghn: 'max_kernel' must be > 0, got ", o.max_kernel());
  HNET_CHECK_INPUT(o.rank() > 0, "ghn: 'rank' must be > 0, got ", o.rank());
  HNET_CHECK_INPUT(
      o.max_rows() >= o.rank(), "ghn: 'max_rows' must be >= rank (", o.rank(), "), got ",
      o.max_rows());
  const int64_t h = o.hidden();
  const int64_t message_mid = o.virtual_edges() > 1 ? std::max<int64_t>(h / 2, 1) : h;
  op_embedding_ =
      register_module("op_embedding", nn::Embedding(static_cast<int64_t>(graph_ops().size()), h));
  shape_encoder_ = register_module("shape_encoder", nn::Linear(4, h));
  // Only the modules a forward pass uses: an unused parameter would still
  // count in the size and be moved by Adam's weight decay.
  if (o.use_edges()) {
    message_ = register_module("message", two_layer(h, message_mid, h, true));
    if (o.virtual_edges() > 1) {
      virtual_message_ = register_module("virtual_message", two_layer(h, message_mid, h, true));
    }
    update_ = register_module("update", nn::GRUCell(h, h));
  } else {
    no_edges_ = register_module("no_edges", two_layer(h, h, h, true));
  }
  norm_ = register_module("norm", nn::LayerNorm(nn::LayerNormOptions({h})));
  const int64_t b = o.block();
  if (o.decoder() == "tiled") {
    const int64_t c = 4 * h;
    const int64_t k = o.max_kernel();
    weight_decoder_ =
        register_module("weight_decoder", nn::Sequential(nn::Linear(h, c * k * k), nn::ReLU()));
    block_decoder_ = register_module("block_decoder", two_layer(c, 2 * c, b * b, false));
  } else {
    const int64_t r = o.rank();
    weight_decoder_ = register_module("weight_decoder", two_layer(h, 4 * h, 2 * r * r, false));
    rank_decoder_ = register_module("rank_decoder", nn::Linear(r, o.max_rows()));
  }
  vector_decoder_ = register_module("vector_decoder", two_layer(h, 2 * h, 2 * b, false));
  classifier_decoder_ =
      register_module("classifier_decoder", two_layer(h, 2 * h, o.classes() * b, false));
  classifier_bias_decoder_ =
      register_module("classifier_bias_decoder", two_layer(h, 2 * h, o.classes(), false));
}

int64_t GhnImpl::weight_decoder_parameters() const {
  int64_t n = 0;
  // An empty holder (the decoder kind's unused module) throws on ptr().
  for (const auto* m :
       {weight_decoder_ ? weight_decoder_.ptr().get() : nullptr,
        block_decoder_ ? block_decoder_.ptr().get() : nullptr}) {
    if (m) {
      for (const auto& p : m->parameters()) n += p.numel();
    }
  }
  if (rank_decoder_) {
    for (const auto& p : rank_decoder_->parameters()) n += p.numel();
  }
  return n;
}

torch::Tensor GhnImpl::node_states(
    const std::vector<const ComputationGraph*>& graphs, std::vector<int64_t>* offsets) {
  HNET_CHECK_INPUT(!graphs.empty(), "ghn: no graph to predict for");
  const auto device = op_embedding_->weight.device();
  const auto batch = make_batch(graphs, options.virtual_edges());
  if (offsets) {
    offsets->assign(1, 0);
    for (const auto* g : graphs) offsets->push_back(offsets->back() + g->nodes.size());
  }
  const auto dtype = op_embedding_->weight.scalar_type();
  auto h = op_embedding_(batch.ops.to(device)) + shape_encoder_(batch.shapes.to(device, dtype));
  if (!options.use_edges()) return norm_(no_edges_->forward(h));
  const bool virtual_edges = options.virtual_edges() > 1;
  for (const auto* sweep : {&batch.forward, &batch.backward}) {
    for (const auto& level : *sweep) {
      const auto nodes = level.nodes.to(device);
      auto m = torch::zeros({nodes.size(0), h.size(1)}, h.options());
      if (level.direct_src.numel() > 0) {
        m = m.index_add(
            0, level.direct_dst.to(device),
            message_->forward(h.index_select(0, level.direct_src.to(device))));
      }
      if (virtual_edges && level.virtual_src.numel() > 0) {
        m = m.index_add(
            0, level.virtual_dst.to(device),
            virtual_message_->forward(h.index_select(0, level.virtual_src.to(device))) *
                level.virtual_scale.to(device, dtype).unsqueeze(1));
      }
      h = h.index_copy(0, nodes, update_(m, h.index_select(0, nodes)));
    }
  }
  return norm_(h);
}

torch::Tensor GhnImpl::decode_weight(const torch::Tensor& h, const GraphParam& p) {
  const auto d = weight_dims(p);
  torch::Tensor w;  // [out, in, kh, kw]
  if (options.decoder() == "tiled") {
    const int64_t k = options.max_kernel(), b = options.block();
    auto base = weight_decoder_->forward(h).view({k, k, -1});
    const int64_t kh = std::min(d[2], k), kw = std::min(d[3], k);
    base = base.narrow(0, (k - kh) / 2, kh).narrow(1, (k - kw) / 2, kw);
    auto block = block_decoder_->forward(base).view({kh, kw, b, b}).permute({2, 3, 0, 1});
    w = tile_to(block, {d[0], d[1], d[2], d[3]});
  } else {
    const int64_t r = options.rank(), m = options.max_rows();
    auto core = weight_decoder_->forward(h).view({2 * r, r}).relu();
    auto rows = rank_decoder_->forward(core).reshape({2 * m, r});
    const int64_t ra = std::min(d[0] * d[2], m), rb = std::min(d[1] * d[3], m);
    auto product = rows.narrow(0, 0, ra).matmul(rows.narrow(0, m, rb).t());
    w = tile_to(product, {d[0] * d[2], d[1] * d[3]})
            .view({d[0], d[2], d[1], d[3]})
            .permute({0, 2, 1, 3});
  }
  return normalize_weight(w, d, p.shape.size() == 4).reshape(p.shape);
}

torch::Tensor GhnImpl::decode_classifier(const torch::Tensor& h, const GraphParam& p) {
  const int64_t b = options.block();
  auto w = tile_to(classifier_decoder_->forward(h).view({options.classes(), b}), p.shape);
  return normalize_weight(w, {p.shape[0], p.shape[1], 1, 1}, false);
}

std::vector<torch::Tensor> GhnImpl::predict(
    const std::vector<const ComputationGraph*>& graphs, const std::vector<const Spec*>& specs) {
  TORCH_CHECK(
      graphs.size() == specs.size(), "ghn: ", graphs.size(), " graphs but ", specs.size(),
      " specs");
  std::vector<int64_t> offsets;
  const auto states = node_states(graphs, &offsets);
  std::vector<torch::Tensor> out;
  for (size_t g = 0; g < graphs.size(); ++g) {
    const auto& nodes = graphs[g]->nodes;
    const Spec& spec = *specs[g];
    // The classifier: the last linear node and the bias after it, if any.
    const size_t last = nodes.size() - 1;
    const size_t classifier = nodes[last].op == GraphOp::kBias && !nodes[last].inputs.empty()
                                  ? nodes[last].inputs[0]
                                  : last;
    HNET_CHECK_INPUT(
        nodes[classifier].op == GraphOp::kLinear, "ghn: the network's output must come from a ",
        "linear classifier, got '", graph_op_name(nodes[classifier].op), "' (",
        nodes[classifier].name, ")");
    const auto& cls = nodes[classifier].params.front();
    HNET_CHECK_INPUT(
        nodes[classifier].params.size() == 1 && cls.shape.size() == 2, "ghn: cannot predict '",
        cls.name, "' of shape ", c10::IntArrayRef(cls.shape), ": a classifier must be one ",
        "[classes, in] weight");
    HNET_CHECK_INPUT(
        cls.shape[0] == options.classes(), "ghn: the classifier '", cls.name, "' has ",
        cls.shape[0], " outputs; this GHN predicts ", options.classes(), " classes");
    std::vector<torch::Tensor> entries(spec.size());
    for (size_t i = 0; i < nodes.size(); ++i) {
      const auto h = states[offsets[g] + static_cast<int64_t>(i)];
      for (const auto& p : nodes[i].params) {
        TORCH_CHECK(p.entry < spec.size(), "ghn: graph and spec disagree at '", p.name, "'");
        torch::Tensor value;
        if (p.shape.size() >= 2) {
          value = i == classifier ? decode_classifier(h, p) : decode_weight(h, p);
        } else if (i == last && classifier != last) {
          value = torch::tanh(0.2 * tile_to(classifier_bias_decoder_->forward(h), p.shape));
        } else {
          const auto rows = vector_decoder_->forward(h).view({2, options.block()});
          const bool gain = spec[p.entry].role == Role::kScale;
          const auto raw = tile_to(rows[gain ? 0 : 1], p.shape);
          value = gain ? 2.0 * torch::sigmoid(0.5 * raw) : torch::tanh(0.2 * raw);
        }
        entries[p.entry] = value.reshape({-1});
      }
    }
    for (size_t e = 0; e < spec.size(); ++e) {
      TORCH_CHECK(entries[e].defined(), "ghn: no node of the graph owns '", spec[e].name, "'");
    }
    out.push_back(torch::cat(entries));
  }
  return out;
}

void set_predicted_parameters(
    GhnImpl& ghn, Target& target, torch::nn::Module& module, const torch::Tensor& example) {
  const auto graph = graph_of(target, example);
  const auto& spec = target.spec();
  torch::NoGradGuard no_grad;
  const Weights predicted(spec, ghn.predict({&graph}, {spec.get()})[0]);
  auto params = module.named_parameters();
  TORCH_CHECK(
      params.size() == spec->size(), "ghn: the module has ", params.size(),
      " parameters but its adapter's spec ", spec->size());
  for (const auto& [name, value] : predicted.named_tensors()) {
    auto* param = params.find(name);
    TORCH_CHECK(param, "ghn: the module has no parameter '", name, "'");
    param->copy_(value);
  }
}

}  // namespace hnet
