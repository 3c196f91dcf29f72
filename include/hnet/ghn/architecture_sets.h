#pragma once
/// \file
/// The architectures a graph hypernetwork is measured on, fixed by seed and
/// stored as a file so that every run and every seed is measured on the
/// same ones (GHN-2's held-out DeepNets-1M test sets, at Fashion-MNIST's
/// scale):
/// - `test`: in distribution, drawn from the training space, never drawn in
///   training (training excludes their keys);
/// - `ood`: out of distribution: ConvNets 2-4x wider than any in training,
///   ConvNets deeper than any in training (4 stages of up to 3 residual
///   blocks), and the architectures of hnet's own ConvNet (LeNet-style) and
///   ResNet-20-style targets.
///
/// File (JSON): {"format": "hnet-ghn-architectures", "version": 1,
///               "test": [architecture, ...], "ood": [...], "ood_kinds": [...]}
/// with architectures as in architecture.h.

#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "hnet/ghn/architecture.h"
#include "hnet/ghn/architecture_space.h"

namespace hnet {

struct ArchitectureSets {
  std::vector<Architecture> test;
  std::vector<Architecture> ood;
  /// Per ood architecture: "wide", "deep", "lenet" or "resnet20".
  std::vector<std::string> ood_kinds;

  /// The keys (architecture_key) of every architecture of both sets.
  std::set<std::string> keys() const;
  /// The set called `name` ("test" or "ood"); c10::ValueError otherwise.
  const std::vector<Architecture>& named(const std::string& name) const;
};

/// hnet's ConvNet target as an architecture: conv 5x5 (20, no padding),
/// relu, max pool 2, conv 5x5 (50), relu, max pool 2, linear 500, relu,
/// linear 10.
Architecture lenet_architecture();

/// A ResNet-20-style network for 28x28x1 (He et al. 2016, as ResNet in
/// res_net.h): 3x3 stem of 16 with batch norm, three stages of three basic
/// blocks (16, 32, 64; stride 2 and a 1x1 projection where the shape
/// changes), global average pool, linear 10.
Architecture resnet20_architecture();

/// `test_count` architectures of `train_space` and `ood_count` out of
/// distribution (half wide, the rest deep, then lenet and resnet20 when
/// ood_count >= 4), all distinct, from `seed`.
ArchitectureSets make_architecture_sets(
    const ArchSpaceOptions& train_space, uint64_t seed, size_t test_count, size_t ood_count);

/// Writes `sets` to `path` (atomically).
void save_architecture_sets(const std::string& path, const ArchitectureSets& sets);

/// Reads a file of save_architecture_sets, every architecture checked;
/// c10::ValueError naming the file (and the set, index and field) when it
/// is not one.
ArchitectureSets load_architecture_sets(const std::string& path);

}  // namespace hnet
