#pragma once
// A fully connected layer of a target, dense or PHM (see phm.h): registers
// its spec entries and runs them. Internal to the targets.

#include <string>

#include "hnet/spec.h"
#include "hnet/targets/plain_network.h"
#include "hnet/weights.h"

namespace hnet::detail {

class LinearUnit {
 public:
  LinearUnit() = default;
  // Adds "<name>.weight" [out, in] (phm 0) or "<name>.phm_a", "<name>.phm_f"
  // (phm n >= 1; throws naming `who` unless n divides in and out), then
  // "<name>.bias".
  LinearUnit(
      Spec& spec, const char* who, const std::string& name, int64_t in, int64_t out, double gain,
      int64_t phm);

  // x [N, in] -> [N, out], with batched or unbatched weights.
  torch::Tensor forward(const torch::Tensor& x, const Weights& w) const;
  // Appends the layer to `net` as a `linear` op on "<name>.weight" (a PHM
  // weight composed, marked composed_from_phm) and "<name>.bias"; unbatched w.
  void add_to(PlainNetwork& net, const Weights& w) const;

  bool phm() const {
    return phm_n_ > 0;
  }
  // Index of the first entry (weight or phm_a); the bias is the last.
  size_t first() const {
    return first_;
  }
  size_t bias() const {
    return bias_;
  }

 private:
  std::string name_;
  size_t first_ = 0;
  size_t bias_ = 0;
  int64_t phm_n_ = 0;
};

}  // namespace hnet::detail
