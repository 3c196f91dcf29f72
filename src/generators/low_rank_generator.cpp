#include "hnet/generators/low_rank_generator.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <map>

#include "hnet/generators/full_generator.h"

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
}

void LowRankGeneratorImpl::pretty_print(std::ostream& stream) const {
  stream << "hnet::LowRankGenerator(condition_dim=" << options.condition_dim()
         << ", rank=" << low_rank.rank() << ", matrices=" << layout_->matrices()
         << ", factor_outputs=" << layout_->factor_spec()->numel() << ", outputs=" << spec_->numel()
         << ")";
}

torch::Tensor LowRankGeneratorImpl::factors(const torch::Tensor& cond) {
  check_condition(cond, options.condition_dim(), "LowRankGenerator");
  return decoder->forward(cond);
}

torch::Tensor LowRankGeneratorImpl::forward(const torch::Tensor& cond) {
  return layout_->compose(factors(cond));
}

Interval LowRankGeneratorImpl::forward_interval(const Interval&) {
  TORCH_CHECK(
      false,
      "LowRankGenerator: interval propagation is not supported (no bounds for products of "
      "factor intervals); use generator kind full or chunked");
}

}  // namespace hnet
