#pragma once
/// \file
/// A seeded space of architectures for 28x28x1 images (GHN-2's DeepNets-1M
/// idea at Fashion-MNIST's scale: Knyazev et al. 2021): ConvNets of a few
/// stages (conv, optional batch norm, activation; residual blocks; max/avg
/// pooling or strided convs between stages; a global-pool or flatten head
/// with one or two dense layers) and MLPs.

#include <torch/arg.h>

#include <cstdint>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "hnet/ghn/architecture.h"

namespace hnet {

/// What the sampler draws from. Every list must be non-empty and hold
/// positive values.
///
/// Example (wider than training, for an out-of-distribution set):
///   ArchSpaceOptions().widths({64, 128}).max_stages(4)
struct ArchSpaceOptions {
  TORCH_ARG(std::vector<int64_t>, widths) = std::vector<int64_t>{8, 16, 32};
  TORCH_ARG(std::vector<int64_t>, kernels) = std::vector<int64_t>{3, 5};
  TORCH_ARG(int64_t, min_stages) = 1;
  TORCH_ARG(int64_t, max_stages) = 3;
  /// Residual blocks (two convs and a sum) per stage after its first conv.
  TORCH_ARG(int64_t, max_blocks) = 1;
  TORCH_ARG(std::vector<int64_t>, hidden) = std::vector<int64_t>{32, 64, 128};
  /// Probability that an architecture is an MLP (1 to max_stages hidden
  /// layers from `hidden`) rather than a ConvNet.
  TORCH_ARG(double, mlp_fraction) = 0.15;
};

/// Draws architectures; the same options and seed give the same sequence.
class ArchitectureSampler {
 public:
  /// Throws c10::ValueError naming the option when `options` is invalid.
  ArchitectureSampler(ArchSpaceOptions options, uint64_t seed);
  /// The next architecture that is not in `excluded` (canonical JSON text,
  /// `architecture_key`), e.g. a held-out test set.
  Architecture next(const std::set<std::string>& excluded = {});

 private:
  Architecture conv_net();
  Architecture mlp();
  int64_t pick(const std::vector<int64_t>& values);
  /// A kernel of the options that fits a `size` x `size` image.
  int64_t fitting_kernel(int64_t size);

  ArchSpaceOptions options_;
  std::mt19937_64 rng_;
};

/// The canonical text of an architecture: equal for equal architectures.
std::string architecture_key(const Architecture& arch);

/// `count` distinct architectures, none of them in `excluded`.
std::vector<Architecture> sample_architectures(
    const ArchSpaceOptions& options, uint64_t seed, size_t count,
    const std::set<std::string>& excluded = {});

}  // namespace hnet
