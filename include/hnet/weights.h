#pragma once
/// \file
/// `Weights`: named zero-copy views into one flat tensor laid out by a `Spec`.

#include <torch/types.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "hnet/spec.h"

namespace hnet {

/// Views into one flat weight tensor, one per `Spec` entry.
///
/// `flat` is either [N] (one weight set) or [B, N] (B weight sets, e.g. one
/// per input sample or per group of samples), with N = spec.numel(). Views
/// come from one `split_with_sizes` of `flat` (then `view`): no copies, so
/// gradients flow back to whatever produced `flat` (a generator), and in one
/// pass: the split's backward writes all entries' gradients into one tensor,
/// where a `narrow` per entry would zero-fill and add a full-size gradient
/// for each entry.
///
/// Example:
///   Weights w(spec, generator(cond));   // cond [1, c] -> flat [1, N]
///   w["fc1.weight"];                    // [1, 400, 784] view
///
/// requires: flat is 1-D or 2-D, flat.size(-1) == spec->numel(), and the last
/// dimension of flat has stride 1.
class Weights {
 public:
  Weights(std::shared_ptr<const Spec> spec, torch::Tensor flat);

  /// True when `flat` has a leading batch dimension.
  bool batched() const {
    return flat_.dim() == 2;
  }
  /// B for batched weights, 1 otherwise.
  int64_t batch_size() const {
    return batched() ? flat_.size(0) : 1;
  }

  /// Entry `i` as [shape...] or, batched, [B, shape...].
  torch::Tensor operator[](size_t i) const;
  /// Entry by name; throws naming the closest known name when absent.
  torch::Tensor operator[](const std::string& name) const;
  /// Every entry as (name, view), in spec order: what a weights file holds.
  std::vector<std::pair<std::string, torch::Tensor>> named_tensors() const;

  /// Weight set `b` of a batched `Weights` (unbatched result); a view.
  Weights select(int64_t b) const;

  const Spec& spec() const {
    return *spec_;
  }
  const std::shared_ptr<const Spec>& spec_ptr() const {
    return spec_;
  }
  const torch::Tensor& flat() const {
    return flat_;
  }

 private:
  std::shared_ptr<const Spec> spec_;
  torch::Tensor flat_;
  std::vector<torch::Tensor> views_;  // one per spec entry
};

}  // namespace hnet
