#pragma once
// Building architectures layer by layer (private to src/ghn/): the sampler
// and the reference architectures append layers with unique names.

#include <string>
#include <vector>

#include "hnet/ghn/architecture.h"

namespace hnet::ghn_detail {

// Appends layers with unique names ("conv3", "sum4", ...).
class LayerList {
 public:
  explicit LayerList(Architecture& arch) : arch_(arch) {}

  /// Appends a layer reading the previous one (or `inputs`); returns its name.
  std::string add(ArchLayer l, std::vector<std::string> inputs = {}) {
    l.name = l.op + std::to_string(arch_.layers.size());
    l.inputs = std::move(inputs);
    arch_.layers.push_back(l);
    return l.name;
  }
  std::string add(const std::string& op) {
    ArchLayer l;
    l.op = op;
    return add(l);
  }
  const std::string& last() const {
    return arch_.layers.back().name;
  }

 private:
  Architecture& arch_;
};

inline ArchLayer conv_layer(int64_t out, int64_t kernel, bool bias) {
  ArchLayer l;
  l.op = "conv";
  l.out = out;
  l.kernel = kernel;
  l.bias = bias;
  return l;
}

inline ArchLayer linear_layer(int64_t out) {
  ArchLayer l;
  l.op = "linear";
  l.out = out;
  return l;
}

}  // namespace hnet::ghn_detail
