#include "hnet/conditions/mip_encoding.h"

#include <cmath>

#include "hnet/spec.h"

namespace hnet {

MipEncodingImpl::MipEncodingImpl(int64_t in_dim) : in_dim(in_dim) {
  reset();
}

void MipEncodingImpl::reset() {
  TORCH_CHECK(in_dim > 0, "MipEncoding: in_dim must be > 0, got ", in_dim);
}

void MipEncodingImpl::pretty_print(std::ostream& stream) const {
  stream << "hnet::MipEncoding(in_dim=" << in_dim << ")";
}

torch::Tensor MipEncodingImpl::forward(const torch::Tensor& x) {
  TORCH_CHECK(
      x.dim() == 2 && x.size(1) == in_dim, "MipEncoding: input must be [B, ", in_dim, "], got ",
      shape_str(x.sizes()));
  auto outside = (x < 0) | (x > 1) | torch::isnan(x);
  if (outside.any().item<bool>()) {
    const int64_t flat = outside.flatten().nonzero()[0].item<int64_t>();
    TORCH_CHECK(
        false, "MipEncoding: inputs must be in [0, 1], got ", x.flatten()[flat].item<double>(),
        " at [", flat / in_dim, ", ", flat % in_dim, "]");
  }
  auto angle = x * (M_PI / 2);
  return torch::cat({torch::cos(angle), torch::sin(angle)}, 1);
}

}  // namespace hnet
