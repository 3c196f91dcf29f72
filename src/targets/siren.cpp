#include "hnet/targets/siren.h"

#include "hnet/targets/functional.h"

namespace hnet {

SirenImpl::SirenImpl(SirenOptions options) : options(std::move(options)) {
  reset();
}

void SirenImpl::reset() {
  const auto& sizes = options.sizes();
  TORCH_CHECK(
      sizes.size() >= 2, "Siren: sizes must list at least input and output widths, got ",
      shape_str(sizes));
  for (int64_t s : sizes) TORCH_CHECK(s > 0, "Siren: sizes must be > 0, got ", shape_str(sizes));
  TORCH_CHECK(
      options.first_omega() > 0, "Siren: first_omega must be > 0, got ", options.first_omega());
  TORCH_CHECK(
      options.hidden_omega() > 0, "Siren: hidden_omega must be > 0, got ", options.hidden_omega());
  auto spec = std::make_shared<Spec>();
  for (size_t i = 0; i + 1 < sizes.size(); ++i) {
    const std::string layer = "fc" + std::to_string(i + 1);
    // Variance gain / fan_in: U(-1/in, 1/in) has variance 1 / (3 in^2);
    // U(-sqrt(6/in)/w, sqrt(6/in)/w) has variance 2 / (in w^2).
    const double omega = options.hidden_omega();
    const double gain = i == 0 ? 1.0 / (3.0 * sizes[0]) : 2.0 / (omega * omega);
    spec->add_weight(layer + ".weight", {sizes[i + 1], sizes[i]}, gain);
    spec->add_bias(layer + ".bias", sizes[i + 1], sizes[i]);
  }
  spec_ = std::move(spec);
}

void SirenImpl::pretty_print(std::ostream& stream) const {
  stream << "hnet::Siren(sizes=" << shape_str(options.sizes())
         << ", first_omega=" << options.first_omega() << ", hidden_omega=" << options.hidden_omega()
         << ")";
}

torch::Tensor SirenImpl::forward(const torch::Tensor& x, const Weights& w) {
  check_weights_match(*spec_, w, "Siren");
  TORCH_CHECK(
      x.dim() == 2 && x.size(1) == options.sizes()[0], "Siren: input must be [N, ",
      options.sizes()[0], "], got ", shape_str(x.sizes()));
  const size_t layers = spec_->size() / 2;
  torch::Tensor h = x;
  for (size_t i = 0; i < layers; ++i) {
    h = functional::linear(h, w[2 * i], w[2 * i + 1]);
    if (i + 1 < layers) {
      h = torch::sin((i == 0 ? options.first_omega() : options.hidden_omega()) * h);
    }
  }
  return h;
}

}  // namespace hnet
