#include "hnet/finite.h"

#include <ATen/ATen.h>

#include "hnet/spec.h"

namespace hnet {

std::string describe_nonfinite(const torch::Tensor& t) {
  if (!t.defined() || !at::isFloatingType(t.scalar_type()) || t.numel() == 0) return "";
  if (torch::isfinite(t).all().item<bool>()) return "";
  const auto nan = torch::isnan(t);
  const int64_t nans = nan.sum().item<int64_t>();
  const int64_t infs = torch::isinf(t).sum().item<int64_t>();
  // argmax of the flat mask finds the first non-finite element.
  int64_t flat =
      torch::logical_not(torch::isfinite(t)).flatten().to(torch::kUInt8).argmax().item<int64_t>();
  std::vector<int64_t> index(static_cast<size_t>(t.dim()));
  for (int64_t d = t.dim() - 1; d >= 0; --d) {
    index[static_cast<size_t>(d)] = flat % t.size(d);
    flat /= t.size(d);
  }
  return std::to_string(nans) + " NaN and " + std::to_string(infs) +
         " infinite values, the first at " + shape_str(index);
}

}  // namespace hnet
