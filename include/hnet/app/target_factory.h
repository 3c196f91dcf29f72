#pragma once
/// \file
/// Target networks built from a configuration's `target.*` keys:
/// `target.kind` is mlp (Mlp), convnet (LeNet-like ConvNet), resnet
/// (ResNet-20 style) or module (a torch::nn::Sequential of Linear and ReLU
/// layers through ModuleAdapter: the path every user module takes).

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "hnet/io/config.h"
#include "hnet/io/config_choice.h"
#include "hnet/targets/target.h"

namespace hnet {

/// The values of `target.kind`.
enum class TargetKind { kMlp, kConvnet, kResnet, kModule };
/// Their names: mlp, convnet, resnet, module.
const io::ChoiceTable<TargetKind>& target_kinds();

/// The keys target_from_config reads, added to `schema`.
void add_target_keys(io::ConfigSchema& schema);

/// A target for examples of shape `input_shape` (channels, height, width)
/// and `classes` outputs, with `stats_slots` slots of running statistics
/// where it has normalisation layers.
struct TargetBuild {
  std::shared_ptr<Target> target;
  /// The shape one example is fed in: {} (flat) for mlp and module,
  /// {C, H, W} for convolutional targets.
  std::vector<int64_t> input_shape;
};
TargetBuild target_from_config(
    const io::Config& config, const std::vector<int64_t>& image_shape, int64_t classes,
    int64_t stats_slots);

/// Metadata describing the target of `config` (built as target_from_config
/// with `image_shape` and `classes`) for exported weights: "target" (the
/// kind) and its options ("sizes" of an MLP, "channels", ...), so other tools
/// can rebuild the network.
std::map<std::string, std::string> target_metadata(
    const io::Config& config, const std::vector<int64_t>& image_shape, int64_t classes);

}  // namespace hnet
