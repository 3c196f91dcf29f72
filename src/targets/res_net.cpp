#include "hnet/targets/res_net.h"

#include "conv_unit.h"
#include "hnet/targets/functional.h"

namespace hnet {

struct ResNetImpl::Unit : detail::ConvUnit {
  using ConvUnit::ConvUnit;
};

struct ResNetImpl::Block {
  size_t conv1 = 0;
  size_t conv2 = 0;
  size_t proj = 0;  // 0: identity shortcut (unit 0 is the stem, never a projection)
};

ResNetImpl::ResNetImpl(ResNetOptions options) : options(std::move(options)) {
  reset();
}

ResNetImpl::~ResNetImpl() = default;

void ResNetImpl::reset() {
  const auto& o = options;
  TORCH_CHECK(
      o.depth() >= 8 && (o.depth() - 2) % 6 == 0, "ResNet: depth must be 6n + 2 with n >= 1, got ",
      o.depth());
  TORCH_CHECK(o.in_channels() > 0, "ResNet: in_channels must be > 0, got ", o.in_channels());
  TORCH_CHECK(o.width() > 0, "ResNet: width must be > 0, got ", o.width());
  TORCH_CHECK(o.classes() > 0, "ResNet: classes must be > 0, got ", o.classes());
  TORCH_CHECK(o.stats_slots() > 0, "ResNet: stats_slots must be > 0, got ", o.stats_slots());
  units_.clear();
  blocks_.clear();
  auto spec = std::make_shared<Spec>();
  const double relu_gain = 2.0;
  auto add_unit = [&](const std::string& conv, const std::string& bn, detail::ConvUnitShape shape,
                      double gain) {
    units_.emplace_back(*spec, *this, conv, bn, shape, o.norm(), gain, o.stats_slots());
    return units_.size() - 1;
  };
  add_unit("stem.conv", "stem.bn", {o.in_channels(), o.width(), 3, 1, 1}, relu_gain);
  const int64_t n = (o.depth() - 2) / 6;
  int64_t in = o.width();
  for (int64_t stage = 0; stage < 3; ++stage) {
    const int64_t out = o.width() << stage;
    for (int64_t b = 0; b < n; ++b) {
      const std::string name = "s" + std::to_string(stage + 1) + "b" + std::to_string(b + 1);
      const int64_t stride = (stage > 0 && b == 0) ? 2 : 1;
      Block block;
      block.conv1 = add_unit(name + ".conv1", name + ".bn1", {in, out, 3, stride, 1}, relu_gain);
      // The residual branch's last layer starts small-ish (gain 1) so a
      // deep stack keeps its activations bounded at initialisation.
      block.conv2 = add_unit(name + ".conv2", name + ".bn2", {out, out, 3, 1, 1}, 1.0);
      if (stride != 1 || in != out) {
        block.proj = add_unit(name + ".proj", name + ".proj_bn", {in, out, 1, stride, 0}, 1.0);
      }
      blocks_.push_back(block);
      in = out;
    }
  }
  fc_ = spec->size();
  spec->add_weight("fc.weight", {o.classes(), in}, 1.0).add_bias("fc.bias", o.classes(), in);
  spec_ = std::move(spec);
  stats_slot_ = 0;
}

void ResNetImpl::pretty_print(std::ostream& stream) const {
  stream << "hnet::ResNet(depth=" << options.depth() << ", in_channels=" << options.in_channels()
         << ", width=" << options.width() << ", classes=" << options.classes()
         << ", norm=" << (options.norm() == Norm::kBatch ? "batch" : "none") << ")";
}

void ResNetImpl::set_stats_slot(int64_t slot) {
  TORCH_CHECK(
      slot >= 0 && slot < options.stats_slots(), "ResNet: stats slot must be in [0, ",
      options.stats_slots(), "), got ", slot);
  stats_slot_ = slot;
}

torch::Tensor ResNetImpl::forward(const torch::Tensor& x, const Weights& w) {
  check_weights_match(*spec_, w, "ResNet");
  TORCH_CHECK(
      x.dim() == 4 && x.size(1) == options.in_channels() && x.size(2) >= 4 && x.size(3) >= 4,
      "ResNet: input must be [N, ", options.in_channels(), ", H, W] with H, W >= 4, got ",
      shape_str(x.sizes()));
  auto h = torch::relu(units_[0].forward(x, w, stats_slot_));
  for (const auto& block : blocks_) {
    auto branch = torch::relu(units_[block.conv1].forward(h, w, stats_slot_));
    branch = units_[block.conv2].forward(branch, w, stats_slot_);
    auto shortcut = block.proj ? units_[block.proj].forward(h, w, stats_slot_) : h;
    h = torch::relu(branch + shortcut);
  }
  h = h.mean({2, 3});
  return functional::linear(h, w[fc_], w[fc_ + 1]);
}

}  // namespace hnet
