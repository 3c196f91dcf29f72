#include "hnet/conditions/gaussian_noise.h"

#include <cmath>

namespace hnet {

GaussianNoiseImpl::GaussianNoiseImpl(int64_t dim, double std) : dim(dim), std(std) {
  reset();
}

void GaussianNoiseImpl::reset() {
  TORCH_CHECK(dim > 0, "GaussianNoise: dim must be > 0, got ", dim);
  TORCH_CHECK(std::isfinite(std) && std > 0, "GaussianNoise: std must be > 0, got ", std);
  device_anchor = register_buffer("device_anchor", torch::empty({0}));
}

void GaussianNoiseImpl::pretty_print(std::ostream& stream) const {
  stream << "hnet::GaussianNoise(dim=" << dim << ", std=" << std << ")";
}

torch::Tensor GaussianNoiseImpl::forward(int64_t batch) {
  TORCH_CHECK(batch > 0, "GaussianNoise: batch must be > 0, got ", batch);
  return torch::randn({batch, dim}, device_anchor.options()) * std;
}

}  // namespace hnet
