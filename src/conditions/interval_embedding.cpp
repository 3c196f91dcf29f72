#include "hnet/conditions/interval_embedding.h"

#include <cmath>

namespace hnet {

double IntervalEmbeddingOptions::second_moment() const {
  const double half = 0.5 * radius();
  return half * half * 0.5 * (1 + std::exp(-2.0));
}

IntervalEmbeddingImpl::IntervalEmbeddingImpl(IntervalEmbeddingOptions options) : options(options) {
  reset();
}

void IntervalEmbeddingImpl::reset() {
  TORCH_CHECK(options.tasks() > 0, "IntervalEmbedding: tasks must be > 0, got ", options.tasks());
  TORCH_CHECK(options.dim() > 0, "IntervalEmbedding: dim must be > 0, got ", options.dim());
  TORCH_CHECK(
      options.eps() > 0 && std::isfinite(options.eps()), "IntervalEmbedding: eps must be > 0, got ",
      options.eps());
  weight = register_parameter("weight", torch::empty({options.tasks(), options.dim()}));
  reset_parameters();
}

void IntervalEmbeddingImpl::reset_parameters() {
  torch::NoGradGuard no_grad;
  weight.normal_(0.0, 1.0);
}

void IntervalEmbeddingImpl::pretty_print(std::ostream& stream) const {
  stream << "hnet::IntervalEmbedding(tasks=" << options.tasks() << ", dim=" << options.dim()
         << ", eps=" << options.eps() << ")";
}

torch::Tensor IntervalEmbeddingImpl::rows(int64_t first, int64_t count) const {
  TORCH_CHECK(
      first >= 0 && count >= 0 && first + count <= options.tasks(), "IntervalEmbedding: rows [",
      first, ", ", first + count, ") are outside [0, ", options.tasks(), ")");
  return weight.narrow(0, first, count).cos() * (0.5 * options.radius());
}

Interval IntervalEmbeddingImpl::intervals(const torch::Tensor& centres, double scale) const {
  return {centres, torch::full_like(centres, scale * options.radius())};
}

torch::Tensor IntervalEmbeddingImpl::universal(int64_t count) const {
  auto seen = rows(0, count);
  return ((std::get<0>(seen.max(0)) + std::get<0>(seen.min(0))) * 0.5).unsqueeze(0);
}

}  // namespace hnet
