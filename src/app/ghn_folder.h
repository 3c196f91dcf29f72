#pragma once
// What the `hnet ghn` commands share (private to src/app/): the data a run
// reads, its architecture space, and the format of ghn.safetensors.

#include "hnet/data/fashion_mnist.h"
#include "hnet/ghn/architecture_space.h"
#include "hnet/io/config.h"

namespace hnet {

inline constexpr const char* kGhnFormat = "hnet-ghn";

/// Training images (without the validation ones), the last data.val_size
/// training images, and the test images (data.test_limit).
struct GhnData {
  data::Dataset train, val, test;
};
GhnData load_ghn_data(const io::Config& config);

/// The training architecture space of space.* keys.
ArchSpaceOptions architecture_space(const io::Config& config);

}  // namespace hnet
