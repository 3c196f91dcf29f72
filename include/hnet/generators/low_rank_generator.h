#pragma once
/// \file
/// Low-rank generator: the hypernetwork emits, for every weight matrix of the
/// target, two factors \f$ A \in R^{out \times r} \f$ and
/// \f$ B \in R^{r \times in} \f$ (plus biases and the other entries as they
/// are), and the weight is \f$ W = A B \f$. This is the low-rank decoder of
/// LoGAH (Zhou, Knyazev, Jolicoeur-Martineau, Fu 2024, "LoGAH: Predicting
/// 774-million-parameter transformers using graph hypernetworks with 1/100
/// parameters"): a wide layer costs the decoder r (out + in) outputs instead
/// of out * in, so the decoder needs far fewer parameters for wide targets.
///
/// Here the factors come from a chunked decoder (von Oswald et al. 2020; see
/// chunked_generator.h) run over the *factor* spec: its size depends on its
/// trunk and chunk size, and its number of chunk embeddings on the number of
/// factor values, not on the dense size.
///
/// Matrices: every `Role::kWeight` entry of at least 2 dimensions, viewed as
/// [shape[0], numel / shape[0]] (a convolution kernel [O, C, kh, kw] as
/// [O, C kh kw]), except those listed in `LowRankOptions::dense`, which are
/// emitted as they are. Rank rule: 1 <= r <= min(out, in) for every factored
/// matrix; above min(out, in) a factorisation only costs more than the dense
/// matrix. A narrow classifier ([2, 400] on split tasks) is therefore listed
/// in `dense` rather than silently clamped.
///
/// Initialisation: \f$ W_{jk} = \sum_{l<r} A_{jl} B_{lk} \f$ has variance
/// \f$ r\, Var(A)\, Var(B) \f$; the factor spec gives A the variance 1/r and
/// B the dense entry's own fan rule (gain, fan-in, fan-out), so the hyperfan
/// initialisation of the decoder gives the composed W the variance of a
/// directly initialised dense layer, under either fan rule.

#include <torch/nn/cloneable.h>
#include <torch/nn/pimpl.h>

#include <memory>
#include <string>
#include <vector>

#include "hnet/generators/chunked_generator.h"
#include "hnet/generators/generator.h"

namespace hnet {

/// Example: `LowRankOptions(8).dense({"fc3.weight"})`
struct LowRankOptions {
  /* implicit */ LowRankOptions(int64_t rank) : rank_(rank) {}
  /// Rank r of every factored matrix.
  TORCH_ARG(int64_t, rank);
  /// Names of weight entries emitted dense instead of factored.
  TORCH_ARG(std::vector<std::string>, dense) = {};
};

/// The factor layout of a dense `Spec` at rank r, and the composition of
/// factors into dense weights.
///
/// Factor spec: in the dense spec's order, each factored entry "<name>" becomes
/// "<name>.a" [out, r] (kWeight, fan_in = fan_out = r, gain 1) and
/// "<name>.b" [r, in] (kWeight, the dense entry's gain and fans, shape
/// [r, in]); every other entry is copied unchanged.
///
/// Example:
///   LowRankLayout layout(mlp->spec(), 8);
///   auto flat = layout.compose(factors);  // [B, factor numel] -> [B, N]
class LowRankLayout {
 public:
  /// requires: dense non-empty; every name in options.dense() is a matrix
  /// entry of `dense`; 1 <= rank <= min(out, in) for every factored matrix
  /// (else throws naming the entry, its shape, the range and the rank).
  LowRankLayout(std::shared_ptr<const Spec> dense, const LowRankOptions& options);

  const std::shared_ptr<const Spec>& dense_spec() const {
    return dense_;
  }
  const std::shared_ptr<const Spec>& factor_spec() const {
    return factors_;
  }
  int64_t rank() const {
    return rank_;
  }
  /// Number of entries produced as A B.
  size_t matrices() const;

  /// factors [B, factor_spec()->numel()] -> dense flat weights [B, N],
  /// contiguous, differentiable. One batched product per group of matrices
  /// of equal shape ([B m, out, r] x [B m, r, in]), then one concatenation.
  torch::Tensor compose(const torch::Tensor& factors) const;

  /// Redraws the factored parts of `base` [factor numel] (a MIP theta0) in
  /// place so that every composed A B has the dense fan rule's variance
  /// exactly: A with orthogonal columns of the expected norm, B scaled to its
  /// expected second moment. A random rank-r product only matches on
  /// average; its matrix variance varies by about sqrt(2 / r) between draws.
  void normalize_base(torch::Tensor& base, Fan fan) const;

 private:
  struct Group {
    int64_t out = 0;
    int64_t in = 0;
    std::vector<size_t> entries;  // dense entry indices
  };
  std::shared_ptr<const Spec> dense_;
  std::shared_ptr<const Spec> factors_;
  int64_t rank_ = 0;
  std::vector<Group> groups_;
  std::vector<size_t> factor_index_;  // per dense entry: its (first) factor entry
  std::vector<bool> factored_;        // per dense entry
};

/// Reads (for its decoder, a ChunkedGenerator over the factor spec):
/// condition_dim, hidden, activation, output, condition_second_moment,
/// chunk_size, embedding_dim.
/// Submodule: decoder. forward: cond [B, condition_dim] -> dense flat [B, N].
/// Interval propagation is not supported (throws).
///
/// Example:
///   LowRankGenerator gen(mlp->spec(), GeneratorOptions(32).chunk_size(100), LowRankOptions(8));
///   auto flat = gen->forward(torch::randn({1, 32}));  // [1, N]
class LowRankGeneratorImpl : public torch::nn::Cloneable<LowRankGeneratorImpl>,
                             public WeightGenerator {
 public:
  LowRankGeneratorImpl(
      std::shared_ptr<const Spec> spec, GeneratorOptions options, LowRankOptions low_rank);
  void reset() override;
  void pretty_print(std::ostream& stream) const override;
  const std::shared_ptr<const Spec>& spec() const override {
    return spec_;
  }
  torch::nn::Module& as_module() override {
    return *this;
  }
  torch::Tensor forward(const torch::Tensor& cond) override;
  /// The factors before composition, [B, layout().factor_spec()->numel()].
  torch::Tensor factors(const torch::Tensor& cond);
  /// Throws: interval bounds do not pass through products of factors
  /// (generator_supports_interval("lowrank") is false).
  Interval forward_interval(const Interval& cond) override;

  const LowRankLayout& layout() const {
    return *layout_;
  }

  GeneratorOptions options;
  LowRankOptions low_rank;
  ChunkedGenerator decoder{nullptr};

 private:
  /// Direct mode: scales each B factor's outputs so that the composed A B
  /// has the dense fan rule's variance over sample conditions.
  void calibrate_products();
  std::shared_ptr<const Spec> spec_;
  std::shared_ptr<const LowRankLayout> layout_;
};
TORCH_MODULE(LowRankGenerator);

}  // namespace hnet
