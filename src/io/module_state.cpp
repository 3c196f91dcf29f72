#include "hnet/io/module_state.h"

#include "hnet/errors.h"
#include "hnet/finite.h"
#include "hnet/spec.h"

namespace hnet::io {

void restore_tensor(const TensorFile& file, const std::string& name, torch::Tensor into) {
  torch::NoGradGuard no_grad;
  const auto& value = file.get(name);
  HNET_CHECK_INPUT(
      value.sizes() == into.sizes(), "checkpoint: tensor '", name, "' has shape ",
      shape_str(value.sizes()), " but the configured model needs ", shape_str(into.sizes()));
  HNET_CHECK_INPUT(
      value.scalar_type() == into.scalar_type(), "checkpoint: tensor '", name, "' has dtype ",
      value.scalar_type(), " but the configured model needs ", into.scalar_type());
  const std::string bad = describe_nonfinite(value);
  HNET_CHECK_INPUT(bad.empty(), "checkpoint: tensor '", name, "' holds ", bad);
  into.copy_(value);
}

NamedTensors module_state(torch::nn::Module& module, const std::string& prefix) {
  NamedTensors out;
  for (const auto& p : module.named_parameters()) {
    out.emplace_back(prefix + p.key(), p.value().detach());
  }
  for (const auto& b : module.named_buffers()) out.emplace_back(prefix + b.key(), b.value());
  return out;
}

void load_module_state(
    const TensorFile& file, torch::nn::Module& module, const std::string& prefix) {
  for (auto& p : module.named_parameters()) restore_tensor(file, prefix + p.key(), p.value());
  for (auto& b : module.named_buffers()) restore_tensor(file, prefix + b.key(), b.value());
}

int64_t parameter_count(const torch::nn::Module& module) {
  int64_t n = 0;
  for (const auto& p : module.parameters()) n += p.numel();
  return n;
}

}  // namespace hnet::io
