#include "hnet/app/target_factory.h"

#include <torch/nn/modules/activation.h>
#include <torch/nn/modules/container/sequential.h>
#include <torch/nn/modules/linear.h>

#include "hnet/app/config_keys.h"
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

void add_target_keys(io::ConfigSchema& s) {
  using io::ValueType;
  s.add(config_key(
      "target.kind", ValueType::kString, "mlp", "target network", c10::nullopt, false,
      {"mlp", "convnet", "resnet", "module"}));
  s.add(config_key(
      "target.hidden", ValueType::kIntList, "[400, 400]",
      "mlp, module: hidden widths of the target", 1.0));
  s.add(config_key(
      "target.activation", ValueType::kString, "relu", "mlp, convnet: activation", c10::nullopt,
      false, {"relu", "leaky_relu", "tanh", "sigmoid", "elu"}));
  s.add(config_key(
      "target.phm", ValueType::kInt, "0",
      "mlp, convnet: 0 dense layers; n: PHM layers with n Kronecker terms", 0.0));
  s.add(config_key(
      "target.channels", ValueType::kIntList, "[20, 50]",
      "convnet: output channels of its two convolutions", 1.0));
  s.add(config_key(
      "target.fc_width", ValueType::kInt, "500", "convnet: width of its hidden dense layer", 1.0));
  s.add(config_key("target.depth", ValueType::kInt, "20", "resnet: depth 6n + 2", 8.0));
  s.add(config_key("target.width", ValueType::kInt, "16", "resnet: width of the first stage", 1.0));
  s.add(config_key(
      "target.norm", ValueType::kString, "none",
      "convnet, resnet: batch norm (running statistics kept per task) or none", c10::nullopt, false,
      {"none", "batch"}));
}

TargetBuild target_from_config(
    const io::Config& c, const std::vector<int64_t>& image_shape, int64_t classes,
    int64_t stats_slots) {
  const std::string kind = c.get_string("target.kind");
  const int64_t inputs = flat_size(image_shape);
  if (kind == "mlp") {
    return {
        Mlp(MlpOptions(mlp_sizes(c, inputs, classes))
                .activation(parse_activation(c.get_string("target.activation")))
                .phm(c.get_int("target.phm")))
            .ptr(),
        {}};
  }
  if (kind == "module") return {module_target(mlp_sizes(c, inputs, classes)), {}};
  HNET_CHECK_INPUT(
      image_shape.size() == 3 && image_shape[1] == image_shape[2],
      "config key 'target.kind': ", kind, " needs square images [C, H, W], got ",
      shape_str(image_shape));
  const Norm norm = parse_norm(c.get_string("target.norm"));
  if (kind == "convnet") {
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
  HNET_CHECK_INPUT(kind == "resnet", "config key 'target.kind': unknown kind '", kind, "'");
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
  const std::string kind = c.get_string("target.kind");
  std::map<std::string, std::string> meta{{"target", kind}};
  if (kind == "mlp" || kind == "module") {
    meta["sizes"] = joined(mlp_sizes(c, flat_size(image_shape), classes));
  }
  if (kind == "mlp" || kind == "convnet") {
    meta["activation"] = c.get_string("target.activation");
    meta["phm"] = std::to_string(c.get_int("target.phm"));
  }
  if (kind == "convnet") {
    meta["channels"] = joined(c.get_int_list("target.channels"));
    meta["fc_width"] = std::to_string(c.get_int("target.fc_width"));
  }
  if (kind == "resnet") {
    meta["depth"] = std::to_string(c.get_int("target.depth"));
    meta["width"] = std::to_string(c.get_int("target.width"));
  }
  if (kind == "convnet" || kind == "resnet") meta["norm"] = c.get_string("target.norm");
  return meta;
}

}  // namespace hnet
