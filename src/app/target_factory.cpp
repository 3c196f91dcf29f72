#include "hnet/app/target_factory.h"

#include <torch/nn/modules/activation.h>
#include <torch/nn/modules/container/sequential.h>
#include <torch/nn/modules/linear.h>

#include "hnet/app/config_keys.h"
#include "hnet/count.h"
#include "hnet/errors.h"
#include "hnet/targets/conv_net.h"
#include "hnet/targets/mlp.h"
#include "hnet/targets/module_adapter.h"
#include "hnet/targets/res_net.h"

namespace hnet {
namespace {

std::string joined(const std::vector<int64_t>& values) {
  std::string out;
  for (int64_t v : values) out += (out.empty() ? "" : ",") + std::to_string(v);
  return out;
}

int64_t flat_size(const std::vector<int64_t>& shape) {
  int64_t n = 1;
  for (int64_t s : shape) n *= s;
  return n;
}

std::vector<int64_t> mlp_sizes(const io::Config& c, int64_t inputs, int64_t classes) {
  std::vector<int64_t> sizes{inputs};
  for (int64_t h : c.get_int_list("target.hidden")) sizes.push_back(h);
  sizes.push_back(classes);
  return sizes;
}

// A plain torch module (Linear, ReLU, ..., Linear) seen through ModuleAdapter.
std::shared_ptr<Target> module_target(const std::vector<int64_t>& sizes) {
  torch::nn::Sequential net;
  for (size_t i = 0; i + 1 < sizes.size(); ++i) {
    net->push_back(torch::nn::Linear(sizes[i], sizes[i + 1]));
    if (i + 2 < sizes.size()) net->push_back(torch::nn::ReLU());
  }
  return ModuleAdapter(net).ptr();
}

}  // namespace

const io::ChoiceTable<TargetKind>& target_kinds() {
  static const io::ChoiceTable<TargetKind> table{
      {"mlp", TargetKind::kMlp},
      {"convnet", TargetKind::kConvnet},
      {"resnet", TargetKind::kResnet},
      {"module", TargetKind::kModule}};
  return table;
}

void add_target_keys(io::ConfigSchema& s) {
  using io::ConfigKey;
  s.add(ConfigKey::text("target.kind", "mlp")
            .choices(io::choice_names(target_kinds()))
            .help("target network"));
  s.add(ConfigKey::int_list("target.hidden", {400, 400})
            .min(1)
            .max(kMaxWidth)
            .help("mlp, module: hidden widths of the target"));
  s.add(ConfigKey::text("target.activation", "relu")
            .choices({"relu", "leaky_relu", "tanh", "sigmoid", "elu"})
            .help("mlp, convnet: activation"));
  s.add(ConfigKey::integer("target.phm", 0)
            .min(0)
            .max(64)
            .help("mlp, convnet: 0 dense layers; n: PHM layers with n Kronecker terms"));
  s.add(ConfigKey::int_list("target.channels", {20, 50})
            .min(1)
            .max(kMaxWidth)
            .help("convnet: output channels of its two convolutions"));
  s.add(ConfigKey::integer("target.fc_width", 500)
            .min(1)
            .max(kMaxWidth)
            .help("convnet: width of its hidden dense layer"));
  s.add(ConfigKey::integer("target.depth", 20).min(8).max(200).help("resnet: depth 6n + 2"));
  s.add(ConfigKey::integer("target.width", 16)
            .min(1)
            .max(1024)
            .help("resnet: width of the first stage"));
  s.add(ConfigKey::text("target.norm", "none")
            .choices({"none", "batch"})
            .help("convnet, resnet: batch norm (running statistics kept per task) or none"));
}

TargetBuild target_from_config(
    const io::Config& c, const std::vector<int64_t>& image_shape, int64_t classes,
    int64_t stats_slots) {
  const TargetKind kind = io::get_choice(c, "target.kind", target_kinds());
  const int64_t inputs = flat_size(image_shape);
  if (kind == TargetKind::kMlp) {
    return {
        Mlp(MlpOptions(mlp_sizes(c, inputs, classes))
                .activation(parse_activation(c.get_string("target.activation")))
                .phm(c.get_int("target.phm")))
            .ptr(),
        {}};
  }
  if (kind == TargetKind::kModule) {
    // The one kind that allocates its own parameters: checked before it does.
    const auto sizes = mlp_sizes(c, inputs, classes);
    int64_t parameters = 0;
    for (size_t i = 0; i + 1 < sizes.size(); ++i)
      parameters = count_add(parameters, count_linear(sizes[i], sizes[i + 1]));
    check_parameter_budget(c, parameters, "target.kind module");
    return {module_target(sizes), {}};
  }
  HNET_CHECK_INPUT(
      image_shape.size() == 3 && image_shape[1] == image_shape[2],
      "config key 'target.kind': ", c.get_string("target.kind"),
      " needs square images [C, H, W], got ", shape_str(image_shape));
  const Norm norm = parse_norm(c.get_string("target.norm"));
  if (kind == TargetKind::kConvnet) {
    return {
        ConvNet(ConvNetOptions()
                    .in_channels(image_shape[0])
                    .image_size(image_shape[1])
                    .channels(c.get_int_list("target.channels"))
                    .hidden(c.get_int("target.fc_width"))
                    .classes(classes)
                    .activation(parse_activation(c.get_string("target.activation")))
                    .norm(norm)
                    .stats_slots(stats_slots)
                    .phm(c.get_int("target.phm")))
            .ptr(),
        image_shape};
  }
  return {
      ResNet(ResNetOptions()
                 .depth(c.get_int("target.depth"))
                 .in_channels(image_shape[0])
                 .width(c.get_int("target.width"))
                 .classes(classes)
                 .norm(norm)
                 .stats_slots(stats_slots))
          .ptr(),
      image_shape};
}

std::map<std::string, std::string> target_metadata(
    const io::Config& c, const std::vector<int64_t>& image_shape, int64_t classes) {
  const TargetKind kind = io::get_choice(c, "target.kind", target_kinds());
  std::map<std::string, std::string> meta{{"target", c.get_string("target.kind")}};
  if (kind == TargetKind::kMlp || kind == TargetKind::kModule) {
    meta["sizes"] = joined(mlp_sizes(c, flat_size(image_shape), classes));
  }
  if (kind == TargetKind::kMlp || kind == TargetKind::kConvnet) {
    meta["activation"] = c.get_string("target.activation");
    meta["phm"] = std::to_string(c.get_int("target.phm"));
  }
  if (kind == TargetKind::kConvnet) {
    meta["channels"] = joined(c.get_int_list("target.channels"));
    meta["fc_width"] = std::to_string(c.get_int("target.fc_width"));
  }
  if (kind == TargetKind::kResnet) {
    meta["depth"] = std::to_string(c.get_int("target.depth"));
    meta["width"] = std::to_string(c.get_int("target.width"));
  }
  if (kind == TargetKind::kConvnet || kind == TargetKind::kResnet)
    meta["norm"] = c.get_string("target.norm");
  return meta;
}

}  // namespace hnet
