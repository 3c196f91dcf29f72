#include "hnet/io/optimizer_state.h"

#include <c10/util/StringUtil.h>

#include <algorithm>

#include "hnet/errors.h"
#include "hnet/io/module_state.h"

namespace hnet::io {
namespace {

std::string state_key(const torch::Tensor& param) {
  return c10::guts::to_string(param.unsafeGetTensorImpl());
}

bool has_tensor(const TensorFile& file, const std::string& name) {
  return std::any_of(
      file.tensors.begin(), file.tensors.end(), [&](const auto& t) { return t.first == name; });
}

}  // namespace

NamedTensors adam_state(
    const torch::optim::Adam& adam, torch::nn::Module& module, const std::string& prefix) {
  NamedTensors out;
  const auto& state = adam.state();
  for (const auto& p : module.named_parameters()) {
    const auto it = state.find(state_key(p.value()));
    if (it == state.end()) continue;
    const auto& s = static_cast<const torch::optim::AdamParamState&>(*it->second);
    out.emplace_back(prefix + "exp_avg." + p.key(), s.exp_avg().detach());
    out.emplace_back(prefix + "exp_avg_sq." + p.key(), s.exp_avg_sq().detach());
    out.emplace_back(prefix + "step." + p.key(), torch::tensor({s.step()}, torch::kLong));
  }
  return out;
}

void restore_adam_state(
    const TensorFile& file, torch::optim::Adam& adam, torch::nn::Module& module,
    const std::string& prefix) {
  for (const auto& p : module.named_parameters()) {
    const std::string avg = prefix + "exp_avg." + p.key(), sq = prefix + "exp_avg_sq." + p.key(),
                      step = prefix + "step." + p.key();
    const int present = has_tensor(file, avg) + has_tensor(file, sq) + has_tensor(file, step);
    if (present == 0) continue;
    HNET_CHECK_INPUT(
        present == 3, "checkpoint: the optimizer state of '", p.key(), "' is incomplete (needs '",
        avg, "', '", sq, "' and '", step, "')");
    auto s = std::make_unique<torch::optim::AdamParamState>();
    s->exp_avg(torch::empty_like(p.value()));
    s->exp_avg_sq(torch::empty_like(p.value()));
    restore_tensor(file, avg, s->exp_avg());
    restore_tensor(file, sq, s->exp_avg_sq());
    auto k = torch::zeros({1}, torch::kLong);
    restore_tensor(file, step, k);
    HNET_CHECK_INPUT(
        k.item<int64_t>() >= 0, "checkpoint: tensor '", step, "' must be >= 0, got ",
        k.item<int64_t>());
    HNET_CHECK_INPUT(
        (s->exp_avg_sq() >= 0).all().item<bool>(), "checkpoint: tensor '", sq,
        "' holds negative values (second moments are >= 0)");
    s->step(k.item<int64_t>());
    adam.state()[state_key(p.value())] = std::move(s);
  }
}

}  // namespace hnet::io
