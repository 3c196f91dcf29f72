#pragma once
/// \file
/// Mini-batch indices drawn epoch by epoch: a fresh random permutation of the
/// training set per epoch, cut into consecutive batches; a tail shorter than
/// a batch is dropped so every batch is full.

#include <ATen/core/Generator.h>
#include <torch/types.h>

#include <cstdint>

namespace hnet::data {

class EpochSampler {
 public:
  /// n examples (> 0), batches of min(batch, n) (batch > 0), permutations
  /// drawn from a generator seeded with `seed`.
  EpochSampler(int64_t n, int64_t batch, uint64_t seed);

  /// The next batch's indices: int64 [batch_size()], a view of the epoch's
  /// permutation.
  torch::Tensor next();

  int64_t batch_size() const {
    return batch_;
  }
  /// The generator the permutations come from, for other draws that must
  /// follow the same seed (e.g. a subset of earlier tasks).
  at::Generator& rng() {
    return rng_;
  }

 private:
  int64_t n_, batch_, cursor_;
  at::Generator rng_;
  torch::Tensor order_;
};

}  // namespace hnet::data
