#pragma once
/// \file
/// `Spec`: the ordered list of named parameter shapes a target network needs,
/// each with its offset into one flat weight vector.
///
/// A generator emits one flat tensor of `Spec::numel()` values per condition;
/// `Weights` then hands out zero-copy views of it by entry. Every entry also
/// carries what the initialisation rules need: its role, fan-in, fan-out and
/// the gain of the layer's own initialisation, so that generators can match
/// the variance a directly-initialised target would have (Chang, Sacramento,
/// Grewe 2020, "Principled weight initialization for hypernetworks").

#include <torch/types.h>

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

namespace hnet {

/// What a parameter is used for; decides the mean of its initial values.
enum class Role {
  kWeight,  ///< multiplies the input (linear / convolution kernel); mean 0
  kBias,    ///< added after a weight; mean 0
  kScale,   ///< multiplicative gain of a normalisation layer; mean 1
  kShift,   ///< additive shift of a normalisation layer; mean 0
};

/// Which fan the initial variance is computed from (hyperfan-in / -out).
enum class Fan { kIn, kOut };

/// One named parameter of a target network.
struct SpecEntry {
  std::string name;            ///< e.g. "fc1.weight"
  std::vector<int64_t> shape;  ///< e.g. {400, 784}
  int64_t offset = 0;          ///< first index in the flat vector
  int64_t numel = 0;           ///< product of `shape`
  Role role = Role::kWeight;
  int64_t fan_in = 1;   ///< inputs feeding one output unit
  int64_t fan_out = 1;  ///< outputs fed by one input unit
  /// Initial variance is `gain / fan` (fan chosen by `Fan`); e.g. He: gain 2.
  double gain = 1.0;

  /// Mean of the initial values: 1 for `kScale`, otherwise 0.
  double init_mean() const;
  /// Variance of the initial values under fan rule `fan`.
  double init_variance(Fan fan) const;
};

/// Ordered, named parameter shapes with offsets into one flat vector.
///
/// Example:
///   Spec s;
///   s.add_weight("fc1.weight", {400, 784}, /*gain=*/2.0).add_bias("fc1.bias", 400, 784);
///   s.numel();          // 314000
///   s.index("fc1.bias") // 1
class Spec {
 public:
  /// Appends a weight of `shape` (at least 2-D: [out, in, kernel...]);
  /// fan-in = in * prod(kernel), fan-out = out * prod(kernel).
  /// requires: every dimension > 0, gain > 0, name not yet present.
  Spec& add_weight(const std::string& name, std::vector<int64_t> shape, double gain);
  /// Appends a bias of `size` values feeding a layer with `fan_in` inputs;
  /// its initial variance is PyTorch's default, 1 / (3 fan_in).
  Spec& add_bias(const std::string& name, int64_t size, int64_t fan_in);
  /// Appends a normalisation gain (initially 1 +- 0.1) or shift (0 +- 0.1).
  Spec& add_norm(const std::string& name, int64_t size, Role role);
  /// Appends a fully described entry; offset and numel are filled in.
  Spec& add(SpecEntry entry);

  size_t size() const {
    return entries_.size();
  }
  int64_t numel() const {
    return numel_;
  }
  const std::vector<SpecEntry>& entries() const {
    return entries_;
  }
  const SpecEntry& operator[](size_t i) const {
    return entries_.at(i);
  }

  /// Index of `name`; throws naming the closest known name when absent.
  size_t index(const std::string& name) const;
  bool contains(const std::string& name) const;

  /// Per-element initial mean / standard deviation, shape [numel()], float32.
  torch::Tensor init_mean() const;
  torch::Tensor init_std(Fan fan) const;

  /// One line per entry: "fc1.weight [400, 784] @0".
  std::string str() const;

  bool operator==(const Spec& other) const;

 private:
  std::vector<SpecEntry> entries_;
  std::unordered_map<std::string, size_t> by_name_;
  int64_t numel_ = 0;
};

/// "[400, 784]" — shapes in messages.
std::string shape_str(const std::vector<int64_t>& shape);
std::string shape_str(torch::IntArrayRef shape);

/// The known name closest to `name` by edit distance ("" when `known` is
/// empty). Bounded work: names are compared by their first 256 bytes, among
/// the first 4096 of `known`.
std::string closest_name(const std::string& name, const std::vector<std::string>& known);

}  // namespace hnet
