#include "hnet/targets/target.h"

#include <sstream>

#include "hnet/errors.h"

namespace hnet {

Interval Target::forward_interval(const torch::Tensor&, const Interval&) {
  TORCH_CHECK(false, "this target does not support interval propagation (use an MLP)");
}

void Target::set_stats_slot(int64_t) {}

PlainNetwork Target::plain_network(const Weights&) {
  std::ostringstream name;
  as_module().pretty_print(name);
  HNET_CHECK_INPUT(
      false, name.str(),
      " cannot be written as plain operations yet (targets that can: Mlp, ConvNet, "
      "ModuleAdapter of a Sequential)");
}

void check_weights_match(const Spec& spec, const Weights& w, const char* who) {
  if (&spec == &w.spec()) return;
  const Spec& given = w.spec();
  TORCH_CHECK(
      given.size() == spec.size(), who, ": weights have ", given.size(),
      " entries but the target's spec has ", spec.size());
  for (size_t i = 0; i < spec.size(); ++i) {
    TORCH_CHECK(
        given[i].name == spec[i].name && given[i].shape == spec[i].shape, who, ": weight entry ", i,
        " is '", given[i].name, "' ", shape_str(given[i].shape), " but the target expects '",
        spec[i].name, "' ", shape_str(spec[i].shape));
  }
}

}  // namespace hnet
