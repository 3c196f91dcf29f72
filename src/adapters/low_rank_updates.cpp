// LoRA, Maestro and FLoRA updates of conv weights (low_rank_updates.h).

#include "hnet/adapters/low_rank_updates.h"

#include <algorithm>
#include <cmath>

#include "hnet/errors.h"

namespace hnet::adapters {
namespace {

// Normal values with standard deviation 1/sqrt(fan): a unit-scale factor.
torch::Tensor scaled_normal(std::vector<int64_t> shape, int64_t fan) {
  return torch::randn(shape) / std::sqrt(static_cast<double>(fan));
}

}  // namespace

int64_t lora_parameters(const ConvLayerShape& l, int64_t rank) {
  return rank * (l.out + l.in * l.kernel * l.kernel);
}

int64_t tucker_parameters(const ConvLayerShape& l, const std::vector<int64_t>& r) {
  return r[0] * r[1] * r[2] * r[3] + l.out * r[0] + l.in * r[1] + l.kernel * (r[2] + r[3]);
}

std::vector<int64_t> tucker_ranks_matching_lora(const ConvLayerShape& l, int64_t lora_rank) {
  const int64_t budget = lora_parameters(l, lora_rank);
  const int64_t most = std::min(l.out, l.in);
  int64_t r = 1;
  while (r < most && tucker_parameters(l, {r + 1, r + 1, l.kernel, l.kernel}) <= budget) ++r;
  return {r, r, l.kernel, l.kernel};
}

LoraUpdates::LoraUpdates(const std::vector<ConvLayerShape>& layers, int64_t tasks, int64_t rank)
    : layers_(layers), rank_(rank) {
  HNET_CHECK_INPUT(rank >= 1, "LoRA rank must be >= 1, got ", rank);
  for (size_t l = 0; l < layers.size(); ++l) {
    const auto& s = layers[l];
    const int64_t cols = s.in * s.kernel * s.kernel;
    HNET_CHECK_INPUT(
        rank <= std::min(s.out, cols), "rank ", rank, " exceeds what conv layer ", l,
        " allows: ", "min(out ", s.out, ", in*k*k ", cols, ") = ", std::min(s.out, cols));
  }
  a_.resize(tasks);
  b_.resize(tasks);
  for (int64_t t = 0; t < tasks; ++t) {
    for (size_t l = 0; l < layers.size(); ++l) {
      const auto& s = layers[l];
      const int64_t cols = s.in * s.kernel * s.kernel;
      a_[t].push_back(
          register_parameter(parameter_name("a", t, l), scaled_normal({rank, cols}, cols)));
      b_[t].push_back(register_parameter(parameter_name("b", t, l), torch::zeros({s.out, rank})));
    }
  }
  active_.assign(layers.size(), rank);
}

torch::Tensor LoraUpdates::weight_delta(int64_t task, int64_t layer) {
  const int64_t k = active_[layer];
  if (k == 0) return {};
  const auto& s = layers_[layer];
  const auto& a = a_[task][layer];
  const auto& b = b_[task][layer];
  const auto product = k == rank_ ? b.mm(a) : b.narrow(1, 0, k).mm(a.narrow(0, 0, k));
  return product.view({s.out, s.in, s.kernel, s.kernel});
}

MaestroUpdates::MaestroUpdates(
    const std::vector<ConvLayerShape>& layers, int64_t tasks, int64_t max_rank, double lasso)
    : LoraUpdates(layers, tasks, max_rank), lasso_(lasso) {
  HNET_CHECK_INPUT(lasso >= 0, "Maestro's lasso weight must be >= 0, got ", lasso);
}

void MaestroUpdates::begin_step(torch::Generator& generator) {
  const auto draws =
      torch::randint(1, rank_ + 1, {static_cast<int64_t>(active_.size())}, generator);
  for (size_t l = 0; l < active_.size(); ++l) active_[l] = draws[l].item<int64_t>();
}

void MaestroUpdates::finish_training() {
  active_.assign(active_.size(), rank_);
}

torch::Tensor MaestroUpdates::penalty() {
  if (lasso_ == 0) return {};
  torch::Tensor sum;
  for (size_t t = 0; t < a_.size(); ++t) {
    for (size_t l = 0; l < a_[t].size(); ++l) {
      // ||b_j|| ||a_j|| per component j; eps keeps the gradient finite at 0.
      const auto norms =
          (b_[t][l].pow(2).sum(0) + 1e-12).sqrt() * (a_[t][l].pow(2).sum(1) + 1e-12).sqrt();
      sum = sum.defined() ? sum + norms.sum() : norms.sum();
    }
  }
  return lasso_ * sum;
}

void MaestroUpdates::set_ranks(const std::vector<int64_t>& ranks) {
  HNET_CHECK_INPUT(
      ranks.size() == active_.size(), "Maestro ranks: one per conv layer (", active_.size(),
      ") expected, got ", ranks.size());
  for (size_t l = 0; l < ranks.size(); ++l) {
    HNET_CHECK_INPUT(
        ranks[l] >= 0 && ranks[l] <= rank_, "Maestro rank of layer ", l, " must lie in [0, ", rank_,
        "], got ", ranks[l]);
  }
  active_ = ranks;
}

std::vector<int64_t> MaestroUpdates::learned_ranks(double tolerance) const {
  torch::NoGradGuard no_grad;
  std::vector<int64_t> ranks;
  for (size_t l = 0; l < active_.size(); ++l) {
    torch::Tensor norms;
    for (size_t t = 0; t < a_.size(); ++t) {
      const auto n = b_[t][l].norm(2, {0}) * a_[t][l].norm(2, {1});
      norms = norms.defined() ? torch::maximum(norms, n) : n;
    }
    const double largest = norms.max().item<double>();
    int64_t k = 0;
    while (k < rank_ && largest > 0 && norms[k].item<double>() >= tolerance * largest) ++k;
    ranks.push_back(k);
  }
  return ranks;
}

TuckerUpdates::TuckerUpdates(
    const std::vector<ConvLayerShape>& layers, int64_t tasks,
    const std::vector<std::vector<int64_t>>& ranks) {
  HNET_CHECK_INPUT(
      ranks.size() == layers.size(), "Tucker ranks: one tuple per conv layer (", layers.size(),
      ") expected, got ", ranks.size());
  for (size_t l = 0; l < layers.size(); ++l) {
    const auto& s = layers[l];
    const auto& r = ranks[l];
    HNET_CHECK_INPUT(
        r.size() == 4, "Tucker ranks of conv layer ", l,
        ": 4 entries (out, in, h, w) expected, got ", r.size());
    const int64_t dims[4] = {s.out, s.in, s.kernel, s.kernel};
    const char* names[4] = {"out", "in", "h", "w"};
    for (int i = 0; i < 4; ++i) {
      HNET_CHECK_INPUT(
          r[i] >= 1 && r[i] <= dims[i], "Tucker rank '", names[i], "' of conv layer ", l,
          " must lie in [1, ", dims[i], "], got ", r[i]);
    }
  }
  parts_.resize(tasks);
  for (int64_t t = 0; t < tasks; ++t) {
    for (size_t l = 0; l < layers.size(); ++l) {
      const auto& s = layers[l];
      const auto& r = ranks[l];
      std::vector<torch::Tensor> p;
      p.push_back(
          register_parameter(parameter_name("core", t, l), torch::zeros({r[0], r[1], r[2], r[3]})));
      const int64_t dims[4] = {s.out, s.in, s.kernel, s.kernel};
      const char* names[4] = {"u_out", "u_in", "u_h", "u_w"};
      for (int i = 0; i < 4; ++i) {
        // Unit-norm columns on average: the core sets the update's scale.
        p.push_back(register_parameter(
            parameter_name(names[i], t, l), scaled_normal({dims[i], r[i]}, dims[i])));
      }
      parts_[t].push_back(std::move(p));
    }
  }
}

torch::Tensor TuckerUpdates::weight_delta(int64_t task, int64_t layer) {
  const auto& p = parts_[task][layer];
  return torch::einsum("abcd,oa,ib,hc,wd->oihw", {p[0], p[1], p[2], p[3], p[4]});
}

}  // namespace hnet::adapters
