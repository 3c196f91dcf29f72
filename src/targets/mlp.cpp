#include "hnet/targets/mlp.h"

#include "linear_unit.h"

namespace hnet {

struct MlpImpl::Layer : detail::LinearUnit {
  using LinearUnit::LinearUnit;
};

MlpImpl::MlpImpl(MlpOptions options) : options(std::move(options)) {
  reset();
}

MlpImpl::~MlpImpl() = default;

void MlpImpl::reset() {
  const auto& sizes = options.sizes();
  TORCH_CHECK(
      sizes.size() >= 2, "Mlp: sizes must list at least input and output widths, got ",
      shape_str(sizes));
  for (int64_t s : sizes) TORCH_CHECK(s > 0, "Mlp: sizes must be > 0, got ", shape_str(sizes));
  const int64_t phm = options.phm();
  TORCH_CHECK(phm >= 0, "Mlp: phm must be >= 0 (0: dense layers), got ", phm);
  TORCH_CHECK(
      phm == 0 || sizes.size() >= 3,
      "Mlp: phm needs a hidden layer (the last layer stays dense), got sizes ", shape_str(sizes));
  auto spec = std::make_shared<Spec>();
  const size_t layers = sizes.size() - 1;
  layers_.clear();
  for (size_t i = 0; i < layers; ++i) {
    const bool last = i + 1 == layers;
    layers_.emplace_back(
        *spec, "Mlp", "fc" + std::to_string(i + 1), sizes[i], sizes[i + 1],
        last ? 1.0 : activation_gain(options.activation()), last ? 0 : phm);
  }
  spec_ = std::move(spec);
}

void MlpImpl::pretty_print(std::ostream& stream) const {
  stream << "hnet::Mlp(sizes=" << shape_str(options.sizes())
         << ", activation=" << activation_name(options.activation());
  if (options.phm() > 0) stream << ", phm=" << options.phm();
  stream << ")";
}

torch::Tensor MlpImpl::forward(const torch::Tensor& x, const Weights& w) {
  check_weights_match(*spec_, w, "Mlp");
  TORCH_CHECK(x.dim() >= 1, "Mlp: input must be [N, ...], got ", shape_str(x.sizes()));
  auto h = x.reshape({x.size(0), -1});
  TORCH_CHECK(
      h.size(1) == options.sizes()[0], "Mlp: input has ", h.size(1), " features but sizes[0] is ",
      options.sizes()[0]);
  for (size_t i = 0; i < layers_.size(); ++i) {
    h = layers_[i].forward(h, w);
    if (i + 1 < layers_.size()) h = apply_activation(options.activation(), h);
  }
  return h;
}

PlainNetwork MlpImpl::plain_network(const Weights& w) {
  check_weights_match(*spec_, w, "Mlp");
  TORCH_CHECK(!w.batched(), "Mlp: plain_network needs unbatched weights");
  PlainNetwork net;
  net.add("flatten");
  for (size_t i = 0; i < layers_.size(); ++i) {
    layers_[i].add_to(net, w);
    if (i + 1 < layers_.size()) net.activation(options.activation());
  }
  return net;
}

Interval MlpImpl::forward_interval(const torch::Tensor& x, const Interval& flat) {
  TORCH_CHECK(
      options.phm() == 0, "Mlp: interval propagation needs dense layers (phm 0), got phm ",
      options.phm());
  Weights center(spec_, flat.center), radius(spec_, flat.radius);
  TORCH_CHECK(!center.batched(), "Mlp: interval weights must be unbatched [N]");
  Interval h = Interval::point(x.reshape({x.size(0), -1}));
  const size_t layers = spec_->size() / 2;
  for (size_t i = 0; i < layers; ++i) {
    h = interval_linear(
        h, Interval{center[2 * i], radius[2 * i]}, Interval{center[2 * i + 1], radius[2 * i + 1]});
    if (i + 1 < layers) h = interval_activation(options.activation(), h);
  }
  return h;
}

}  // namespace hnet
