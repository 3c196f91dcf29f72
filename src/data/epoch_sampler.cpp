#include "hnet/data/epoch_sampler.h"

#include <ATen/CPUGeneratorImpl.h>
#include <c10/util/Exception.h>
#include <torch/torch.h>

namespace hnet::data {

EpochSampler::EpochSampler(int64_t n, int64_t batch, uint64_t seed)
    : n_(n),
      batch_(std::min(batch, n)),
      cursor_(n),
      rng_(at::make_generator<at::CPUGeneratorImpl>(seed)) {
  TORCH_CHECK(n > 0, "EpochSampler: the data set must not be empty");
  TORCH_CHECK(batch > 0, "EpochSampler: batch size must be > 0, got ", batch);
}

torch::Tensor EpochSampler::next() {
  if (cursor_ + batch_ > n_) {
    order_ = torch::randperm(n_, rng_, torch::kLong);
    cursor_ = 0;
  }
  cursor_ += batch_;
  return order_.narrow(0, cursor_ - batch_, batch_);
}

}  // namespace hnet::data
