#include "hnet/targets/conv_net.h"

#include "conv_unit.h"
#include "hnet/targets/phm.h"
#include "linear_unit.h"

namespace hnet {
namespace {

constexpr int64_t kConvNetPool = 2;  // max pooling window and stride after each convolution

}  // namespace

struct ConvNetImpl::Conv : detail::ConvUnit {
  using ConvUnit::ConvUnit;
};

struct ConvNetImpl::Fc : detail::LinearUnit {
  using LinearUnit::LinearUnit;
};

ConvNetImpl::ConvNetImpl(ConvNetOptions options) : options(std::move(options)) {
  reset();
}

ConvNetImpl::~ConvNetImpl() = default;

void ConvNetImpl::reset() {
  const auto& o = options;
  TORCH_CHECK(o.in_channels() > 0, "ConvNet: in_channels must be > 0, got ", o.in_channels());
  TORCH_CHECK(
      o.channels().size() == 2 && o.channels()[0] > 0 && o.channels()[1] > 0,
      "ConvNet: channels must be two positive numbers, got ", shape_str(o.channels()));
  TORCH_CHECK(o.hidden() > 0, "ConvNet: hidden must be > 0, got ", o.hidden());
  TORCH_CHECK(o.classes() > 0, "ConvNet: classes must be > 0, got ", o.classes());
  TORCH_CHECK(o.image_size() >= 16, "ConvNet: image_size must be >= 16, got ", o.image_size());
  TORCH_CHECK(o.stats_slots() > 0, "ConvNet: stats_slots must be > 0, got ", o.stats_slots());
  TORCH_CHECK(o.phm() >= 0, "ConvNet: phm must be >= 0 (0: dense layers), got ", o.phm());
  if (o.phm() > 0) {
    check_phm("ConvNet", "conv2", {o.channels()[1], o.channels()[0], 5, 5}, o.phm());
  }
  convs_.clear();
  fcs_.clear();
  auto spec = std::make_shared<Spec>();
  const double gain = activation_gain(o.activation());
  int64_t in = o.in_channels(), size = o.image_size();
  for (size_t i = 0; i < 2; ++i) {
    const std::string n = std::to_string(i + 1);
    convs_.emplace_back(
        *spec, *this, "conv" + n, "bn" + n,
        detail::ConvUnitShape{in, o.channels()[i], 5, 1, 0, i == 1 ? o.phm() : 0}, o.norm(), gain,
        o.stats_slots());
    in = o.channels()[i];
    size = (size - 4) / kConvNetPool;
  }
  const int64_t flat = in * size * size;
  fcs_.emplace_back(*spec, "ConvNet", "fc1", flat, o.hidden(), gain, o.phm());
  fcs_.emplace_back(*spec, "ConvNet", "fc2", o.hidden(), o.classes(), 1.0, 0);
  spec_ = std::move(spec);
  stats_slot_ = 0;
}

void ConvNetImpl::pretty_print(std::ostream& stream) const {
  stream << "hnet::ConvNet(in_channels=" << options.in_channels()
         << ", channels=" << shape_str(options.channels()) << ", hidden=" << options.hidden()
         << ", classes=" << options.classes()
         << ", norm=" << (options.norm() == Norm::kBatch ? "batch" : "none");
  if (options.phm() > 0) stream << ", phm=" << options.phm();
  stream << ")";
}

void ConvNetImpl::set_stats_slot(int64_t slot) {
  TORCH_CHECK(
      slot >= 0 && slot < options.stats_slots(), "ConvNet: stats slot must be in [0, ",
      options.stats_slots(), "), got ", slot);
  stats_slot_ = slot;
}

PlainNetwork ConvNetImpl::plain_network(const Weights& w) {
  check_weights_match(*spec_, w, "ConvNet");
  TORCH_CHECK(!w.batched(), "ConvNet: plain_network needs unbatched weights");
  PlainNetwork net;
  for (const auto& conv : convs_) {
    conv.add_to(net, w, stats_slot_);
    net.activation(options.activation());
    net.add("max_pool2d").value("kernel", kConvNetPool).value("stride", kConvNetPool);
  }
  net.add("flatten");
  fcs_[0].add_to(net, w);
  net.activation(options.activation());
  fcs_[1].add_to(net, w);
  return net;
}

torch::Tensor ConvNetImpl::forward(const torch::Tensor& x, const Weights& w) {
  check_weights_match(*spec_, w, "ConvNet");
  const int64_t s = options.image_size();
  TORCH_CHECK(
      x.dim() == 4 && x.size(1) == options.in_channels() && x.size(2) == s && x.size(3) == s,
      "ConvNet: input must be [N, ", options.in_channels(), ", ", s, ", ", s, "], got ",
      shape_str(x.sizes()));
  auto h = x;
  for (const auto& conv : convs_) {
    h = torch::max_pool2d(
        apply_activation(options.activation(), conv.forward(h, w, stats_slot_)), kConvNetPool);
  }
  h = h.flatten(1);
  h = apply_activation(options.activation(), fcs_[0].forward(h, w));
  return fcs_[1].forward(h, w);
}

}  // namespace hnet
