#include "hnet/generators/recurrent_generator.h"

#include <algorithm>

#include "generator_head.h"
#include "generator_internal.h"

namespace hnet {

RecurrentGeneratorImpl::RecurrentGeneratorImpl(
    std::shared_ptr<const Spec> spec, GeneratorOptions options)
    : options(std::move(options)), spec_(std::move(spec)) {
  reset();
}

void RecurrentGeneratorImpl::reset() {
  TORCH_CHECK(spec_ && spec_->numel() > 0, "RecurrentGenerator: spec must not be empty");
  detail::check_generator_options(options, "RecurrentGenerator");
  const auto& hidden = options.hidden();
  TORCH_CHECK(
      !hidden.empty() &&
          std::all_of(hidden.begin(), hidden.end(), [&](int64_t h) { return h == hidden[0]; }),
      "RecurrentGenerator: hidden must list the LSTM layers, all of one width, got ",
      shape_str(hidden));
  const int64_t k = detail::chunk_count(spec_->numel(), options.chunk_size());
  chunk_embeddings =
      register_parameter("chunk_embeddings", torch::empty({k, options.embedding_dim()}));
  lstm = register_module(
      "lstm", torch::nn::LSTM(torch::nn::LSTMOptions(
                                  options.condition_dim() + options.embedding_dim(), hidden[0])
                                  .num_layers(static_cast<int64_t>(hidden.size()))
                                  .batch_first(true)));
  head = register_module("head", torch::nn::Linear(hidden[0], options.chunk_size()));
  output = register_module("output", OutputParametrization(spec_, options.output()));
  reset_parameters();
}

void RecurrentGeneratorImpl::reset_parameters() {
  {
    torch::NoGradGuard no_grad;
    chunk_embeddings.normal_();
  }
  // The hidden states' second moment over whole sequences of sample
  // conditions (it varies along the sequence while the state settles).
  double m2 = 0;
  {
    torch::NoGradGuard no_grad;
    const auto cond =
        detail::calibration_sample(16, options.condition_dim(), options.condition_second_moment());
    m2 = head_input(cond).pow(2).mean().item<double>();
  }
  detail::init_head(head->weight, head->bias, m2, output->head_variance());
  detail::calibrate_output(
      *output, [this](const torch::Tensor& c) { return raw(c); }, options);
}

void RecurrentGeneratorImpl::pretty_print(std::ostream& stream) const {
  stream << "hnet::RecurrentGenerator(condition_dim=" << options.condition_dim()
         << ", hidden=" << shape_str(options.hidden()) << ", chunk_size=" << options.chunk_size()
         << ", chunks=" << chunks() << ", outputs=" << spec_->numel() << ")";
}

torch::Tensor RecurrentGeneratorImpl::head_input(const torch::Tensor& cond) {
  detail::check_condition(cond, options.condition_dim(), "RecurrentGenerator");
  const int64_t b = cond.size(0), k = chunks();
  // Step k of sequence b reads (cond b, chunk embedding k).
  auto steps = torch::cat(
      {cond.unsqueeze(1).expand({b, k, cond.size(1)}),
       chunk_embeddings.unsqueeze(0).expand({b, k, options.embedding_dim()})},
      2);
  auto states = std::get<0>(lstm->forward(steps));  // [B, K, hidden]
  return states.reshape({b * k, states.size(2)});
}

torch::Tensor RecurrentGeneratorImpl::raw(const torch::Tensor& cond) {
  return detail::GeneratorHead(*head, *output).raw(head_input(cond), cond.size(0));
}

Interval RecurrentGeneratorImpl::forward_interval(const Interval&) {
  detail::throw_interval_unsupported(
      "RecurrentGenerator: interval propagation is not supported (no bounds through the LSTM)");
}

torch::Tensor RecurrentGeneratorImpl::forward(const torch::Tensor& cond) {
  return detail::GeneratorHead(*head, *output).forward(head_input(cond), cond.size(0));
}

torch::Tensor RecurrentGeneratorImpl::squared_distance(
    const torch::Tensor& cond, const torch::Tensor& target) {
  return detail::GeneratorHead(*head, *output)
      .squared_distance(head_input(cond), cond.size(0), target);
}

}  // namespace hnet
