#include "hnet/testing/gradcheck.h"

#include <torch/autograd.h>

#include <cmath>
#include <sstream>

namespace hnet::testing {

// One pass over every input element (longer than 60 lines): the central
// difference, the one-sided fallback next to a kink and the comparison with
// autograd read the same perturbed values, so they stay together.
GradcheckResult gradcheck(
    const std::function<torch::Tensor()>& fn, const std::vector<torch::Tensor>& inputs,
    const GradcheckOptions& options, const std::vector<std::string>& names) {
  TORCH_CHECK(
      names.empty() || names.size() == inputs.size(), "gradcheck: ", names.size(),
      " names given for ", inputs.size(), " inputs");
  std::vector<torch::Tensor> checked_inputs;
  std::vector<size_t> positions;
  for (size_t i = 0; i < inputs.size(); ++i) {
    const auto& t = inputs[i];
    TORCH_CHECK(
        t.scalar_type() == torch::kDouble, "gradcheck: input ", i, " must be float64, got ",
        t.scalar_type());
    if (!t.requires_grad()) continue;
    TORCH_CHECK(t.is_leaf(), "gradcheck: input ", i, " must be a leaf tensor");
    checked_inputs.push_back(t);
    positions.push_back(i);
  }
  TORCH_CHECK(!checked_inputs.empty(), "gradcheck: no input requires grad");

  auto rng = at::make_generator<at::CPUGeneratorImpl>(options.seed());
  auto first = fn();
  auto projection = torch::randn(first.sizes(), rng, torch::kDouble).to(first.device());
  auto scalar = [&]() { return (fn() * projection).sum(); };

  auto analytic = torch::autograd::grad(
      {(first * projection).sum()}, checked_inputs, /*grad_outputs=*/{}, /*retain_graph=*/false,
      /*create_graph=*/false, /*allow_unused=*/true);

  GradcheckResult result;
  std::ostringstream report;
  torch::NoGradGuard no_grad;
  const double base = scalar().item<double>();
  auto near = [&](double numeric, double exact) {
    return std::abs(numeric - exact) <= options.atol() + options.rtol() * std::abs(numeric);
  };
  for (size_t k = 0; k < checked_inputs.size(); ++k) {
    auto& t = checked_inputs[k];
    const std::string label = "input " + std::to_string(positions[k]) +
                              (names.empty() ? "" : " (" + names[positions[k]] + ")");
    auto grad = analytic[k].defined() ? analytic[k] : torch::zeros_like(t);
    auto flat = t.view({-1});
    auto grad_flat = grad.reshape({-1}).cpu();
    const int64_t n = flat.numel();
    auto picks = n <= options.max_elements()
                     ? torch::arange(n)
                     : torch::randperm(n, rng, torch::kLong).narrow(0, 0, options.max_elements());
    for (int64_t j = 0; j < picks.numel(); ++j) {
      const int64_t idx = picks[j].item<int64_t>();
      auto element = flat[idx];
      const double original = element.item<double>();
      element.fill_(original + options.eps());
      const double plus = scalar().item<double>();
      element.fill_(original - options.eps());
      const double minus = scalar().item<double>();
      element.fill_(original);
      const double numeric = (plus - minus) / (2 * options.eps());
      const double exact = grad_flat[idx].item<double>();
      ++result.checked;
      // Within eps of a kink (a ReLU or max-pool switching) the central
      // difference mixes two pieces; autograd's value is then the slope of
      // the piece the point is on, which one one-sided difference measures.
      const bool ok = near(numeric, exact) || near((plus - base) / options.eps(), exact) ||
                      near((base - minus) / options.eps(), exact);
      if (!ok) {
        result.ok = false;
        report << label << " [" << idx << "]: numeric " << numeric << ", analytic " << exact
               << "\n";
      }
    }
  }
  result.report = report.str();
  return result;
}

}  // namespace hnet::testing
