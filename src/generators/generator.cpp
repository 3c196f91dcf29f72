#include "hnet/generators/generator.h"

#include <cmath>

#include "generator_internal.h"
#include "hnet/kernels/distance.h"

namespace hnet {

Interval WeightGenerator::forward_interval(const Interval&) {
  detail::throw_interval_unsupported("this generator does not support interval propagation");
}

torch::Tensor WeightGenerator::squared_distance(
    const torch::Tensor& cond, const torch::Tensor& target) {
  return kernels::squared_distance(forward(cond), target);
}

}  // namespace hnet

namespace hnet::detail {

void check_generator_options(const GeneratorOptions& o, const char* who) {
  TORCH_CHECK(o.condition_dim() > 0, who, ": condition_dim must be > 0, got ", o.condition_dim());
  for (int64_t h : o.hidden()) {
    TORCH_CHECK(h > 0, who, ": hidden widths must be > 0, got ", shape_str(o.hidden()));
  }
  TORCH_CHECK(
      o.condition_second_moment() > 0 && std::isfinite(o.condition_second_moment()), who,
      ": condition_second_moment must be > 0, got ", o.condition_second_moment());
  TORCH_CHECK(o.chunk_size() > 0, who, ": chunk_size must be > 0, got ", o.chunk_size());
  TORCH_CHECK(o.embedding_dim() > 0, who, ": embedding_dim must be > 0, got ", o.embedding_dim());
}

void check_condition(const torch::Tensor& cond, int64_t condition_dim, const char* who) {
  TORCH_CHECK(
      cond.dim() == 2 && cond.size(1) == condition_dim, who, ": condition must be [B, ",
      condition_dim, "], got ", shape_str(cond.sizes()));
}

void init_head(
    torch::Tensor& weight, torch::Tensor& bias, double input_second_moment,
    double output_variance) {
  torch::NoGradGuard no_grad;
  weight.normal_(0.0, hyperfan_head_std(weight.size(-1), input_second_moment, output_variance));
  if (bias.defined()) bias.zero_();
}

torch::Tensor calibration_sample(int64_t rows, int64_t dim, double second_moment) {
  return torch::randn({rows, dim}) * std::sqrt(second_moment);
}

torch::Tensor paired_calibration_sample(const GeneratorOptions& options) {
  // A braced list is evaluated in order: conditions first, then embeddings.
  return torch::cat(
      {calibration_sample(512, options.condition_dim(), options.condition_second_moment()),
       calibration_sample(512, options.embedding_dim(), 1.0)},
      1);
}

void for_each_calibration_batch(
    const GeneratorOptions& options, const std::function<void(const torch::Tensor&)>& visit) {
  for (int r = 0; r < kCalibrationRounds; ++r) {
    visit(calibration_sample(4, options.condition_dim(), options.condition_second_moment()));
  }
}

void calibrate_output(
    OutputParametrizationImpl& output,
    const std::function<torch::Tensor(const torch::Tensor&)>& raw,
    const GeneratorOptions& options) {
  torch::NoGradGuard no_grad;
  torch::Tensor moments;
  for_each_calibration_batch(options, [&](const torch::Tensor& cond) {
    auto m = output.entry_second_moments(raw(cond.to(output.scale.options())));
    moments = moments.defined() ? moments + m : m;
  });
  output.calibrate(moments / kCalibrationRounds);
}

}  // namespace hnet::detail
