#include "linear_unit.h"

#include "hnet/targets/functional.h"
#include "hnet/targets/phm.h"

namespace hnet::detail {

LinearUnit::LinearUnit(
    Spec& spec, const char* who, const std::string& name, int64_t in, int64_t out, double gain,
    int64_t phm)
    : name_(name), first_(spec.size()), phm_n_(phm) {
  if (phm_n_ > 0) {
    add_phm_weight(spec, who, name, {out, in}, phm, gain);
  } else {
    spec.add_weight(name + ".weight", {out, in}, gain);
  }
  bias_ = spec.size();
  spec.add_bias(name + ".bias", out, in);
}

torch::Tensor LinearUnit::forward(const torch::Tensor& x, const Weights& w) const {
  if (phm()) return functional::phm_linear(x, w[first_], w[first_ + 1], w[bias_]);
  return functional::linear(x, w[first_], w[bias_]);
}

void LinearUnit::add_to(PlainNetwork& net, const Weights& w) const {
  net.add("linear");
  if (phm()) {
    net.tensor("weight", name_ + ".weight", functional::phm_weight(w[first_], w[first_ + 1]))
        .value("composed_from_phm", phm_n_);
  } else {
    net.tensor("weight", name_ + ".weight", w[first_]);
  }
  net.tensor("bias", name_ + ".bias", w[bias_]);
}

}  // namespace hnet::detail
