#include "hnet/parametrizations/output_parametrization.h"

#include <cmath>

#include "hnet/errors.h"

namespace hnet {

OutputMode parse_output_mode(const std::string& name) {
  if (name == "direct") return OutputMode::kDirect;
  HNET_CHECK_INPUT(name == "mip", "output parametrization must be direct or mip, got '", name, "'");
  return OutputMode::kMip;
}

Fan parse_fan(const std::string& name) {
  if (name == "in") return Fan::kIn;
  HNET_CHECK_INPUT(name == "out", "hyperfan rule must be in or out, got '", name, "'");
  return Fan::kOut;
}

OutputParametrizationImpl::OutputParametrizationImpl(
    std::shared_ptr<const Spec> spec, OutputOptions options)
    : spec(std::move(spec)), options(options) {
  reset();
}

void OutputParametrizationImpl::reset() {
  TORCH_CHECK(
      spec != nullptr && spec->numel() > 0, "OutputParametrization: spec must not be empty");
  TORCH_CHECK(
      options.mip_delta_scale() > 0 && std::isfinite(options.mip_delta_scale()),
      "OutputParametrization: mip_delta_scale must be > 0, got ", options.mip_delta_scale());
  mean = register_buffer("mean", spec->init_mean());
  scale = register_buffer("scale", spec->init_std(options.fan()));
  if (options.mode() == OutputMode::kMip) {
    theta0 = register_parameter("theta0", torch::empty({spec->numel()}));
  }
  reset_parameters();
}

void OutputParametrizationImpl::reset_parameters() {
  if (!theta0.defined()) return;
  torch::NoGradGuard no_grad;
  theta0.copy_(torch::addcmul(mean, scale, torch::randn_like(scale)));
}

void OutputParametrizationImpl::pretty_print(std::ostream& stream) const {
  stream << "hnet::OutputParametrization(mode="
         << (options.mode() == OutputMode::kMip ? "mip" : "direct")
         << ", fan=" << (options.fan() == Fan::kIn ? "in" : "out") << ", numel=" << spec->numel()
         << ")";
}

torch::Tensor OutputParametrizationImpl::forward(const torch::Tensor& raw) {
  TORCH_CHECK(
      raw.dim() == 2 && raw.size(1) == spec->numel(),
      "OutputParametrization: raw outputs must be [B, ", spec->numel(), "], got ",
      shape_str(raw.sizes()));
  return torch::addcmul(base(), scale, raw);
}

Interval OutputParametrizationImpl::forward_interval(const Interval& raw) {
  return {forward(raw.center), raw.radius * scale};
}

double OutputParametrizationImpl::head_variance() const {
  const double s = options.mip_delta_scale();
  return options.mode() == OutputMode::kMip ? s * s : 1.0;
}

torch::Tensor OutputParametrizationImpl::entry_second_moments(const torch::Tensor& raw) const {
  torch::NoGradGuard no_grad;
  auto per_element = raw.pow(2).mean(0);
  auto moments = torch::empty({static_cast<int64_t>(spec->size())}, torch::kDouble);
  for (size_t i = 0; i < spec->size(); ++i) {
    const auto& e = (*spec)[i];
    moments[i] = per_element.narrow(0, e.offset, e.numel).mean().item<double>();
  }
  return moments;
}

void OutputParametrizationImpl::calibrate(const torch::Tensor& moments) {
  TORCH_CHECK(
      moments.numel() == static_cast<int64_t>(spec->size()),
      "OutputParametrization: calibration needs one moment per spec entry (", spec->size(),
      "), got ", moments.numel());
  torch::NoGradGuard no_grad;
  for (size_t i = 0; i < spec->size(); ++i) {
    const double m2 = moments[i].item<double>();
    if (!(m2 > 0) || !std::isfinite(m2)) continue;  // e.g. a dead ReLU head: leave as is
    const auto& e = (*spec)[i];
    scale.narrow(0, e.offset, e.numel).mul_(std::sqrt(head_variance() / m2));
  }
}

double hyperfan_head_std(int64_t fan_in, double input_second_moment, double output_variance) {
  TORCH_CHECK(fan_in > 0, "hyperfan: fan_in must be > 0, got ", fan_in);
  TORCH_CHECK(
      input_second_moment > 0, "hyperfan: input second moment must be > 0, got ",
      input_second_moment);
  return std::sqrt(output_variance / (static_cast<double>(fan_in) * input_second_moment));
}

}  // namespace hnet
