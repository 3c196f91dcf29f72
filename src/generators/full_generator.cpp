#include "hnet/generators/full_generator.h"

#include "generator_head.h"
#include "generator_internal.h"

namespace hnet {

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
  detail::check_condition(cond, options.condition_dim(), "FullGenerator");
  return trunk->forward(cond);
}

torch::Tensor FullGeneratorImpl::raw(const torch::Tensor& cond) {
  return detail::GeneratorHead(*head, *output).raw(head_input(cond), cond.size(0));
}

Interval FullGeneratorImpl::forward_interval(const Interval& cond) {
  detail::check_condition(cond.center, options.condition_dim(), "FullGenerator");
  return detail::GeneratorHead(*head, *output)
      .forward_interval(trunk->forward_interval(cond), cond.center.size(0));
}

torch::Tensor FullGeneratorImpl::forward(const torch::Tensor& cond) {
  return detail::GeneratorHead(*head, *output).forward(head_input(cond), cond.size(0));
}

torch::Tensor FullGeneratorImpl::squared_distance(
    const torch::Tensor& cond, const torch::Tensor& target) {
  return detail::GeneratorHead(*head, *output)
      .squared_distance(head_input(cond), cond.size(0), target);
}

}  // namespace hnet
