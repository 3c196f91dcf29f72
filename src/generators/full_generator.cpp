#include "hnet/generators/full_generator.h"

#include "hnet/kernels/head.h"
#include "hnet/kernels/linear.h"

namespace hnet {

void check_condition(const torch::Tensor& cond, int64_t condition_dim, const char* who) {
  TORCH_CHECK(
      cond.dim() == 2 && cond.size(1) == condition_dim, who, ": condition must be [B, ",
      condition_dim, "], got ", shape_str(cond.sizes()));
}

FullGeneratorImpl::FullGeneratorImpl(std::shared_ptr<const Spec> spec, GeneratorOptions options)
    : options(std::move(options)), spec_(std::move(spec)) {
  reset();
}

void FullGeneratorImpl::reset() {
  TORCH_CHECK(spec_ && spec_->numel() > 0, "FullGenerator: spec must not be empty");
  detail::check_generator_options(options, "FullGenerator");
  trunk = register_module(
      "trunk", Trunk(options.condition_dim(), options.hidden(), options.activation()));
  head = register_module("head", torch::nn::Linear(trunk->output_dim(), spec_->numel()));
  output = register_module("output", OutputParametrization(spec_, options.output()));
  reset_parameters();
}

void FullGeneratorImpl::reset_parameters() {
  const double m2 = trunk->output_second_moment(
      detail::calibration_sample(512, options.condition_dim(), options.condition_second_moment()));
  detail::init_head(head->weight, head->bias, m2, output->head_variance());
  detail::calibrate_output(
      *output, [this](const torch::Tensor& c) { return raw(c); }, options);
}

void FullGeneratorImpl::pretty_print(std::ostream& stream) const {
  stream << "hnet::FullGenerator(condition_dim=" << options.condition_dim()
         << ", hidden=" << shape_str(options.hidden()) << ", outputs=" << spec_->numel() << ")";
}

torch::Tensor FullGeneratorImpl::head_input(const torch::Tensor& cond) {
  check_condition(cond, options.condition_dim(), "FullGenerator");
  return trunk->forward(cond);
}

torch::Tensor FullGeneratorImpl::raw(const torch::Tensor& cond) {
  return kernels::linear(head_input(cond), head->weight, head->bias);
}

Interval FullGeneratorImpl::forward_interval(const Interval& cond) {
  check_condition(cond.center, options.condition_dim(), "FullGenerator");
  auto h = trunk->forward_interval(cond);
  return output->forward_interval(interval_linear(h, head->weight, head->bias));
}

torch::Tensor FullGeneratorImpl::forward(const torch::Tensor& cond) {
  // output->forward(raw(cond)), fused.
  return kernels::affine_head(
      head_input(cond), head->weight, head->bias, output->scale, output->base(), cond.size(0));
}

torch::Tensor FullGeneratorImpl::squared_distance(
    const torch::Tensor& cond, const torch::Tensor& target) {
  return kernels::affine_head_squared_distance(
      head_input(cond), head->weight, head->bias, output->scale, output->base(), cond.size(0),
      target);
}

}  // namespace hnet
