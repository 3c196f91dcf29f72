#include "hnet/generators/chunked_generator.h"

#include "generator_head.h"
#include "generator_internal.h"

namespace hnet {

ChunkedGeneratorImpl::ChunkedGeneratorImpl(
    std::shared_ptr<const Spec> spec, GeneratorOptions options)
    : options(std::move(options)), spec_(std::move(spec)) {
  reset();
}

void ChunkedGeneratorImpl::reset() {
  TORCH_CHECK(spec_ && spec_->numel() > 0, "ChunkedGenerator: spec must not be empty");
  detail::check_generator_options(options, "ChunkedGenerator");
  const int64_t k = detail::chunk_count(spec_->numel(), options.chunk_size());
  chunk_embeddings =
      register_parameter("chunk_embeddings", torch::empty({k, options.embedding_dim()}));
  trunk = register_module(
      "trunk", Trunk(
                   options.condition_dim() + options.embedding_dim(), options.hidden(),
                   options.activation()));
  head = register_module("head", torch::nn::Linear(trunk->output_dim(), options.chunk_size()));
  output = register_module("output", OutputParametrization(spec_, options.output()));
  reset_parameters();
}

void ChunkedGeneratorImpl::reset_parameters() {
  {
    torch::NoGradGuard no_grad;
    chunk_embeddings.normal_();
  }
  const double m2 = trunk->output_second_moment(detail::paired_calibration_sample(options));
  detail::init_head(head->weight, head->bias, m2, output->head_variance());
  detail::calibrate_output(
      *output, [this](const torch::Tensor& c) { return raw(c); }, options);
}

void ChunkedGeneratorImpl::pretty_print(std::ostream& stream) const {
  stream << "hnet::ChunkedGenerator(condition_dim=" << options.condition_dim()
         << ", hidden=" << shape_str(options.hidden()) << ", chunk_size=" << options.chunk_size()
         << ", chunks=" << chunks() << ", outputs=" << spec_->numel() << ")";
}

torch::Tensor ChunkedGeneratorImpl::head_input(const torch::Tensor& cond) {
  detail::check_condition(cond, options.condition_dim(), "ChunkedGenerator");
  return trunk->forward_pairs(cond, chunk_embeddings);
}

torch::Tensor ChunkedGeneratorImpl::raw(const torch::Tensor& cond) {
  return detail::GeneratorHead(*head, *output).raw(head_input(cond), cond.size(0));
}

Interval ChunkedGeneratorImpl::forward_interval(const Interval& cond) {
  detail::check_condition(cond.center, options.condition_dim(), "ChunkedGenerator");
  return detail::GeneratorHead(*head, *output)
      .forward_interval(trunk->forward_pairs_interval(cond, chunk_embeddings), cond.center.size(0));
}

torch::Tensor ChunkedGeneratorImpl::forward(const torch::Tensor& cond) {
  return detail::GeneratorHead(*head, *output).forward(head_input(cond), cond.size(0));
}

torch::Tensor ChunkedGeneratorImpl::squared_distance(
    const torch::Tensor& cond, const torch::Tensor& target) {
  return detail::GeneratorHead(*head, *output)
      .squared_distance(head_input(cond), cond.size(0), target);
}

}  // namespace hnet
