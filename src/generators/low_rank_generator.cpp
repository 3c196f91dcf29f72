#include "hnet/generators/low_rank_generator.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <cmath>
#include <map>

#include "generator_internal.h"
#include "hnet/weights.h"

namespace hnet {
namespace {

bool is_matrix(const SpecEntry& e) {
  return e.role == Role::kWeight && e.shape.size() >= 2;
}

}  // namespace

LowRankLayout::LowRankLayout(std::shared_ptr<const Spec> dense, const LowRankOptions& options)
    : dense_(std::move(dense)), rank_(options.rank()) {
  TORCH_CHECK(dense_ && dense_->numel() > 0, "LowRankGenerator: spec must not be empty");
  TORCH_CHECK(rank_ >= 1, "LowRankGenerator: rank must be >= 1, got ", rank_);
  std::vector<bool> keep_dense(dense_->size(), false);
  for (const auto& name : options.dense()) {
    const size_t i = dense_->index(name);  // throws naming the closest entry
    TORCH_CHECK(
        is_matrix((*dense_)[i]), "LowRankGenerator: dense entry ", name,
        " must be a weight matrix, got ", shape_str((*dense_)[i].shape));
    keep_dense[i] = true;
  }
  auto factors = std::make_shared<Spec>();
  std::map<std::pair<int64_t, int64_t>, size_t> group_of_shape;
  for (size_t i = 0; i < dense_->size(); ++i) {
    const auto& e = (*dense_)[i];
    factor_index_.push_back(factors->size());
    factored_.push_back(is_matrix(e) && !keep_dense[i]);
    if (!factored_.back()) {
      factors->add(e);
      continue;
    }
    const int64_t out = e.shape[0], in = e.numel / out;
    TORCH_CHECK(
        rank_ <= std::min(out, in), "LowRankGenerator: rank must be in [1, min(out, in)] = [1, ",
        std::min(out, in), "] for ", e.name, " ", shape_str(e.shape), ", got ", rank_,
        " (list it in dense to emit it unfactored)");
    SpecEntry a;
    a.name = e.name + ".a";
    a.shape = {out, rank_};
    a.fan_in = a.fan_out = rank_;  // variance 1/r: the r products add up to Var(B)
    a.gain = 1.0;
    factors->add(std::move(a));
    SpecEntry b = e;  // the dense entry's gain and fans, so Var(A B) follows its rule
    b.name = e.name + ".b";
    b.shape = {rank_, in};
    factors->add(std::move(b));
    auto [it, added] = group_of_shape.emplace(std::make_pair(out, in), groups_.size());
    if (added) groups_.push_back(Group{out, in, {}});
    groups_[it->second].entries.push_back(i);
  }
  factors_ = std::move(factors);
}

size_t LowRankLayout::matrices() const {
  return static_cast<size_t>(std::count(factored_.begin(), factored_.end(), true));
}

torch::Tensor LowRankLayout::compose(const torch::Tensor& factors) const {
  TORCH_CHECK(
      factors.dim() == 2 && factors.size(1) == factors_->numel(),
      "LowRankGenerator: factors must be [B, ", factors_->numel(), "], got ",
      shape_str(factors.sizes()));
  const int64_t b = factors.size(0);
  auto slice = [&](size_t factor_entry, torch::IntArrayRef shape) {
    const auto& f = (*factors_)[factor_entry];
    return factors.narrow(1, f.offset, f.numel).view(shape);
  };
  std::vector<torch::Tensor> pieces(dense_->size());
  for (const auto& g : groups_) {
    // [B, m, out, r] x [B, m, r, in]: stacking copies only the (small)
    // factors, and only when several matrices share a shape.
    std::vector<torch::Tensor> as, bs;
    for (size_t i : g.entries) {
      as.push_back(slice(factor_index_[i], {b, g.out, rank_}));
      bs.push_back(slice(factor_index_[i] + 1, {b, rank_, g.in}));
    }
    const int64_t m = static_cast<int64_t>(g.entries.size());
    auto a = m == 1 ? as[0] : torch::stack(as, 1).view({b * m, g.out, rank_});
    auto bb = m == 1 ? bs[0] : torch::stack(bs, 1).view({b * m, rank_, g.in});
    auto product = at::bmm(a, bb).view({b, m, g.out * g.in});
    for (int64_t j = 0; j < m; ++j) pieces[g.entries[j]] = product.select(1, j);
  }
  for (size_t i = 0; i < dense_->size(); ++i) {
    if (!factored_[i]) {
      const auto& e = (*dense_)[i];
      pieces[i] = slice(factor_index_[i], {b, e.numel});
    }
  }
  return torch::cat(pieces, 1);
}

void LowRankLayout::normalize_base(torch::Tensor& base, Fan fan) const {
  TORCH_CHECK(
      base.dim() == 1 && base.size(0) == factors_->numel(), "LowRankGenerator: base must be [",
      factors_->numel(), "], got ", shape_str(base.sizes()));
  torch::NoGradGuard no_grad;
  auto slice = [&](size_t factor_entry) {
    const auto& f = (*factors_)[factor_entry];
    return base.narrow(0, f.offset, f.numel);
  };
  for (size_t i = 0; i < dense_->size(); ++i) {
    if (!factored_[i]) continue;
    auto a = slice(factor_index_[i]).view({-1, rank_});
    auto b = slice(factor_index_[i] + 1);
    // A with orthogonal columns of equal norm: ||A B||^2 = ||A_col||^2 ||B||^2.
    const double a_norm = std::sqrt(
        static_cast<double>(a.size(0)) * (*factors_)[factor_index_[i]].init_variance(fan));
    a.copy_(std::get<0>(at::linalg_qr(torch::randn_like(a), "reduced")) * a_norm);
    // B at exactly its expected second moment: the composed variance is then
    // r Var(A) Var(B), the dense rule, for this draw and not only on average.
    const auto& e = (*factors_)[factor_index_[i] + 1];
    const double b_rms = std::sqrt(b.pow(2).mean().item<double>());
    b.mul_(std::sqrt(e.init_variance(fan)) / b_rms);
  }
}

LowRankGeneratorImpl::LowRankGeneratorImpl(
    std::shared_ptr<const Spec> spec, GeneratorOptions options, LowRankOptions low_rank)
    : options(std::move(options)), low_rank(std::move(low_rank)), spec_(std::move(spec)) {
  reset();
}

void LowRankGeneratorImpl::reset() {
  detail::check_generator_options(options, "LowRankGenerator");
  layout_ = std::make_shared<const LowRankLayout>(spec_, low_rank);
  // The decoder's hyperfan initialisation and calibration act on the factor
  // spec, whose variances are chosen so that A B gets the dense rule.
  decoder = register_module("decoder", ChunkedGenerator(layout_->factor_spec(), options));
  if (decoder->output->theta0.defined()) {
    layout_->normalize_base(decoder->output->theta0, options.output().fan());
  } else {
    calibrate_products();
  }
}

void LowRankGeneratorImpl::calibrate_products() {
  // The decoder is calibrated on its factor outputs; A and B of one
  // condition are correlated, so E[(A B)^2] differs from the product of
  // their moments. Each composed matrix is brought to its rule by the
  // output scale of its B factor, which W is linear in (direct mode: the
  // base of a weight is 0).
  torch::NoGradGuard no_grad;
  const Spec& factors = *layout_->factor_spec();
  // E[W^2] per dense entry over the sample conditions calibrate_output uses.
  std::vector<double> moments(spec_->size(), 0.0);
  detail::for_each_calibration_batch(options, [&](const torch::Tensor& cond) {
    Weights dense(spec_, forward(cond));
    for (size_t i = 0; i < spec_->size(); ++i) {
      moments[i] += dense[i].pow(2).mean().item<double>() / detail::kCalibrationRounds;
    }
  });
  for (size_t i = 0; i < spec_->size(); ++i) {
    const auto& e = (*spec_)[i];
    if (!factors.contains(e.name + ".b")) continue;
    const auto& b = factors[factors.index(e.name + ".b")];
    decoder->output->scale.narrow(0, b.offset, b.numel)
        .mul_(std::sqrt(e.init_variance(options.output().fan()) / moments[i]));
  }
}

void LowRankGeneratorImpl::pretty_print(std::ostream& stream) const {
  stream << "hnet::LowRankGenerator(condition_dim=" << options.condition_dim()
         << ", rank=" << low_rank.rank() << ", matrices=" << layout_->matrices()
         << ", factor_outputs=" << layout_->factor_spec()->numel() << ", outputs=" << spec_->numel()
         << ")";
}

torch::Tensor LowRankGeneratorImpl::factors(const torch::Tensor& cond) {
  detail::check_condition(cond, options.condition_dim(), "LowRankGenerator");
  return decoder->forward(cond);
}

torch::Tensor LowRankGeneratorImpl::forward(const torch::Tensor& cond) {
  return layout_->compose(factors(cond));
}

Interval LowRankGeneratorImpl::forward_interval(const Interval&) {
  detail::throw_interval_unsupported(
      "LowRankGenerator: interval propagation is not supported (no bounds for products of "
      "factor intervals)");
}

}  // namespace hnet
