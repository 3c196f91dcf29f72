#include "hnet/targets/module_adapter.h"

#include <torch/nn/modules/activation.h>
#include <torch/nn/modules/batchnorm.h>
#include <torch/nn/modules/container/sequential.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/modules/normalization.h>

#include <sstream>

#include "hnet/errors.h"
#include "hnet/targets/functional.h"

namespace hnet {
namespace {

// One parameter member of a supported layer and how it is initialised.
struct Member {
  const char* name;  // as in named_parameters ("weight" / "bias")
  torch::Tensor* tensor;
  Role role;
};

// What plain_network can write down.
constexpr const char* kPlainLayers = "Linear, ReLU, Tanh, Sigmoid and Flatten (start_dim 1)";

template <typename Layer>
Layer* layer_as(torch::nn::Module& m) {
  return dynamic_cast<Layer*>(&m);
}

// The members of a supported parameterised layer; nullopt when unsupported.
c10::optional<std::vector<Member>> members_of(torch::nn::Module& m) {
  using namespace torch::nn;
  auto weight_bias = [](torch::Tensor& w, torch::Tensor& b, Role wr, Role br) {
    return std::vector<Member>{{"weight", &w, wr}, {"bias", &b, br}};
  };
  if (auto* l = layer_as<LinearImpl>(m))
    return weight_bias(l->weight, l->bias, Role::kWeight, Role::kBias);
  if (auto* l = layer_as<Conv1dImpl>(m))
    return weight_bias(l->weight, l->bias, Role::kWeight, Role::kBias);
  if (auto* l = layer_as<Conv2dImpl>(m))
    return weight_bias(l->weight, l->bias, Role::kWeight, Role::kBias);
  if (auto* l = layer_as<Conv3dImpl>(m))
    return weight_bias(l->weight, l->bias, Role::kWeight, Role::kBias);
  if (auto* l = layer_as<BatchNorm1dImpl>(m))
    return weight_bias(l->weight, l->bias, Role::kScale, Role::kShift);
  if (auto* l = layer_as<BatchNorm2dImpl>(m))
    return weight_bias(l->weight, l->bias, Role::kScale, Role::kShift);
  if (auto* l = layer_as<BatchNorm3dImpl>(m))
    return weight_bias(l->weight, l->bias, Role::kScale, Role::kShift);
  if (auto* l = layer_as<LayerNormImpl>(m))
    return weight_bias(l->weight, l->bias, Role::kScale, Role::kShift);
  if (auto* l = layer_as<GroupNormImpl>(m))
    return weight_bias(l->weight, l->bias, Role::kScale, Role::kShift);
  return c10::nullopt;
}

SpecEntry entry_for(const std::string& name, const torch::Tensor& p, Role role, int64_t fan_in) {
  SpecEntry e;
  e.name = name;
  e.shape = p.sizes().vec();
  e.role = role;
  if (role == Role::kScale || role == Role::kShift) {
    e.gain = 0.01;
    return e;
  }
  // PyTorch's default layer initialisation has variance 1 / (3 fan_in).
  e.fan_in = fan_in;
  e.fan_out = p.dim() >= 2 ? p.numel() / p.size(1) : fan_in;
  e.gain = 1.0 / 3.0;
  return e;
}

// Restores the rebound members when the forward ends, also on exceptions.
class Rebinding {
 public:
  Rebinding(const std::vector<ModuleAdapterImpl::Slot>& slots, const Weights& w) : slots_(slots) {
    saved_.reserve(slots.size());
    for (const auto& s : slots) {
      saved_.push_back(*s.member);
      *s.member = w[s.entry];
    }
  }
  ~Rebinding() {
    for (size_t i = 0; i < saved_.size(); ++i) *slots_[i].member = saved_[i];
  }
  Rebinding(const Rebinding&) = delete;
  Rebinding& operator=(const Rebinding&) = delete;

 private:
  const std::vector<ModuleAdapterImpl::Slot>& slots_;
  std::vector<torch::Tensor> saved_;
};

// Whether `m` can run batched weights layer by layer.
bool batchable(const std::shared_ptr<torch::nn::Module>& m) {
  using namespace torch::nn;
  if (auto* seq = dynamic_cast<SequentialImpl*>(m.get())) {
    for (const auto& child : *seq) {
      if (!batchable(child.ptr())) return false;
    }
    return true;
  }
  if (layer_as<LinearImpl>(*m) || layer_as<BatchNorm1dImpl>(*m) || layer_as<BatchNorm2dImpl>(*m))
    return true;
  if (auto* conv = layer_as<Conv2dImpl>(*m)) {
    return conv->options.groups() == 1 &&
           c10::get_if<torch::ExpandingArray<2>>(&conv->options.padding()) != nullptr &&
           c10::get_if<torch::enumtype::kZeros>(&conv->options.padding_mode()) != nullptr;
  }
  return m->parameters(/*recurse=*/true).empty();
}

}  // namespace

void ModuleAdapterImpl::reset() {
  TORCH_CHECK(root_ != nullptr, "ModuleAdapter: module must not be empty");
  const auto& root = root_;
  register_module("module", root);
  auto spec = std::make_shared<Spec>();
  slots_.clear();
  for (const auto& item : root->named_modules()) {
    torch::nn::Module& layer = *item.value();
    auto own = layer.named_parameters(/*recurse=*/false);
    if (own.is_empty()) continue;
    const std::string path = item.key().empty() ? "" : item.key() + ".";
    auto members = members_of(layer);
    TORCH_CHECK(
        members.has_value(), "ModuleAdapter: layer '", item.key().empty() ? "<root>" : item.key(),
        "' of type ", layer.name(),
        " is not supported; supported parameterised layers are Linear, Conv1d/2d/3d, "
        "BatchNorm1d/2d/3d, LayerNorm, GroupNorm");
    // A bias's fan-in is that of the weight it follows.
    const auto& weight = *members->front().tensor;
    const int64_t fan_in = weight.dim() >= 2 ? weight.numel() / weight.size(0) : 1;
    for (const auto& m : *members) {
      if (!m.tensor->defined() || !own.contains(m.name)) continue;  // e.g. bias(false)
      slots_.push_back({spec->size(), m.tensor});
      spec->add(entry_for(path + m.name, *m.tensor, m.role, fan_in));
    }
  }
  TORCH_CHECK(spec->size() > 0, "ModuleAdapter: module ", root->name(), " has no parameters");
  spec_ = std::move(spec);
  batched_natively_ = batchable(root);
}

void ModuleAdapterImpl::pretty_print(std::ostream& stream) const {
  stream << "hnet::ModuleAdapter(" << root_->name() << ", parameters=" << spec_->numel() << ")";
}

torch::Tensor ModuleAdapterImpl::forward_bound(const torch::Tensor& x, const Weights& w) {
  Rebinding bound(slots_, w);
  return forward_fn_(x);
}

torch::Tensor ModuleAdapterImpl::forward_batched(
    const std::shared_ptr<torch::nn::Module>& module, const std::string& prefix, torch::Tensor x,
    const Weights& w) {
  using namespace torch::nn;
  if (auto* seq = dynamic_cast<SequentialImpl*>(module.get())) {
    auto names = seq->named_children();
    size_t i = 0;
    for (auto& child : *seq) {
      const std::string name = prefix + names[i++].key() + ".";
      x = child.ptr()->parameters().empty() ? child.forward(x)
                                            : forward_batched(child.ptr(), name, x, w);
    }
    return x;
  }
  auto param = [&](const char* n) {
    const std::string key = prefix + n;
    return spec_->contains(key) ? w[key] : torch::Tensor();
  };
  if (layer_as<LinearImpl>(*module)) return functional::linear(x, param("weight"), param("bias"));
  if (auto* c = layer_as<Conv2dImpl>(*module)) {
    const auto& o = c->options;
    const auto& pad = c10::get<torch::ExpandingArray<2>>(o.padding());
    return functional::conv2d(x, param("weight"), param("bias"), o.stride(), pad, o.dilation());
  }
  auto norm = [&](auto* bn) {
    const bool training = bn->is_training() || !bn->options.track_running_stats();
    return functional::batch_norm(
        x, param("weight"), param("bias"), bn->running_mean, bn->running_var, training,
        bn->options.momentum().value_or(0.1), bn->options.eps());
  };
  if (auto* bn = layer_as<BatchNorm1dImpl>(*module)) return norm(bn);
  if (auto* bn = layer_as<BatchNorm2dImpl>(*module)) return norm(bn);
  TORCH_INTERNAL_ASSERT(false, "ModuleAdapter: layer ", module->name(), " is not batchable");
}

PlainNetwork ModuleAdapterImpl::plain_network(const Weights& w) {
  using namespace torch::nn;
  check_weights_match(*spec_, w, "ModuleAdapter");
  TORCH_CHECK(!w.batched(), "ModuleAdapter: plain_network needs unbatched weights");
  std::ostringstream me;
  pretty_print(me);
  auto* seq = dynamic_cast<SequentialImpl*>(root_.get());
  HNET_CHECK_INPUT(
      seq != nullptr, me.str(), " cannot be written as plain operations: only a Sequential of ",
      kPlainLayers, " can");
  PlainNetwork net;
  for (const auto& item : seq->named_children()) {
    Module& layer = *item.value();
    const std::string& key = item.key();
    if (layer_as<LinearImpl>(layer)) {
      net.add("linear").tensor("weight", key + ".weight", w[key + ".weight"]);
      if (spec_->contains(key + ".bias")) net.tensor("bias", key + ".bias", w[key + ".bias"]);
    } else if (layer_as<ReLUImpl>(layer)) {
      net.activation(Activation::kRelu);
    } else if (layer_as<TanhImpl>(layer)) {
      net.activation(Activation::kTanh);
    } else if (layer_as<SigmoidImpl>(layer)) {
      net.activation(Activation::kSigmoid);
    } else {
      auto* flatten = layer_as<FlattenImpl>(layer);
      HNET_CHECK_INPUT(
          flatten && flatten->options.start_dim() == 1 && flatten->options.end_dim() == -1,
          me.str(), " cannot be written as plain operations: its layer '", key, "' (", layer.name(),
          ") is not one of ", kPlainLayers);
      net.add("flatten");
    }
  }
  return net;
}

torch::Tensor ModuleAdapterImpl::forward(const torch::Tensor& x, const Weights& w) {
  check_weights_match(*spec_, w, "ModuleAdapter");
  if (!w.batched()) return forward_bound(x, w);
  if (batched_natively_) return forward_batched(root_, "", x, w);
  // Fallback for modules we cannot interpret: one forward per weight set.
  const int64_t g = functional::group_size(x.size(0), w.batch_size(), "ModuleAdapter");
  std::vector<torch::Tensor> outputs;
  for (int64_t b = 0; b < w.batch_size(); ++b) {
    outputs.push_back(forward_bound(x.narrow(0, b * g, g), w.select(b)));
  }
  return torch::cat(outputs);
}

}  // namespace hnet
