#include "hnet/generators/chunked_generator.h"

#include "hnet/generators/full_generator.h"
#include "hnet/kernels/head.h"
#include "hnet/kernels/linear.h"

namespace hnet {

ChunkedGeneratorImpl::ChunkedGeneratorImpl(
    std::shared_ptr<const Spec> spec, GeneratorOptions options)
    : options(std::move(options)), spec_(std::move(spec)) {
  reset();
}

void ChunkedGeneratorImpl::reset() {
  TORCH_CHECK(spec_ && spec_->numel() > 0, "ChunkedGenerator: spec must not be empty");
  detail::check_generator_options(options, "ChunkedGenerator");
  const int64_t k = (spec_->numel() + options.chunk_size() - 1) / options.chunk_size();
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
  auto sample = torch::cat(
      {detail::calibration_sample(512, options.condition_dim(), options.condition_second_moment()),
       detail::calibration_sample(512, options.embedding_dim(), 1.0)},
      1);
  detail::init_head(
      head->weight, head->bias, trunk->output_second_moment(sample), output->head_variance());
  detail::calibrate_output(
      *output, [this](const torch::Tensor& c) { return raw(c); }, options);
}

void ChunkedGeneratorImpl::pretty_print(std::ostream& stream) const {
  stream << "hnet::ChunkedGenerator(condition_dim=" << options.condition_dim()
         << ", hidden=" << shape_str(options.hidden()) << ", chunk_size=" << options.chunk_size()
         << ", chunks=" << chunks() << ", outputs=" << spec_->numel() << ")";
}

torch::Tensor ChunkedGeneratorImpl::head_input(const torch::Tensor& cond) {
  check_condition(cond, options.condition_dim(), "ChunkedGenerator");
  return trunk->forward_pairs(cond, chunk_embeddings);
}

torch::Tensor ChunkedGeneratorImpl::raw(const torch::Tensor& cond) {
  return kernels::linear(
             head_input(cond), head->weight,
             head->bias)  // [B*K, chunk]
      .view({cond.size(0), chunks() * options.chunk_size()})
      .narrow(1, 0, spec_->numel());
}

Interval ChunkedGeneratorImpl::forward_interval(const Interval& cond) {
  check_condition(cond.center, options.condition_dim(), "ChunkedGenerator");
  auto raw = interval_linear(
      trunk->forward_pairs_interval(cond, chunk_embeddings), head->weight, head->bias);
  auto flat = [&](const torch::Tensor& t) {
    return t.view({cond.center.size(0), chunks() * options.chunk_size()})
        .narrow(1, 0, spec_->numel());
  };
  return output->forward_interval({flat(raw.center), flat(raw.radius)});
}

torch::Tensor ChunkedGeneratorImpl::forward(const torch::Tensor& cond) {
  // output->forward(raw(cond)), fused.
  return kernels::affine_head(
      head_input(cond), head->weight, head->bias, output->scale, output->base(), cond.size(0));
}

torch::Tensor ChunkedGeneratorImpl::squared_distance(
    const torch::Tensor& cond, const torch::Tensor& target) {
  return kernels::affine_head_squared_distance(
      head_input(cond), head->weight, head->bias, output->scale, output->base(), cond.size(0),
      target);
}

}  // namespace hnet
