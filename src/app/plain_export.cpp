#include "hnet/app/plain_export.h"

#include <nlohmann/json.hpp>

#include "hnet/data/fashion_mnist.h"
#include "hnet/io/safetensors.h"
#include "hnet/spec.h"

namespace hnet {
namespace {

using json = nlohmann::json;

constexpr const char* kPermutationName = "input_permutation";

json scalar_json(const c10::Scalar& v) {
  if (v.isBoolean()) return v.toBool();
  if (v.isIntegral(/*includeBool=*/false)) return v.toLong();
  return v.toDouble();
}

int64_t numel_of(const std::vector<int64_t>& shape) {
  int64_t n = 1;
  for (int64_t s : shape) n *= s;
  return n;
}

json input_json(const PlainInput& in) {
  const bool permuted = in.permutation.defined();
  return json{
      {"dataset", "fashion-mnist"},
      {"image_shape", in.image_shape},
      {"divide_by", data::kPixelDivisor},
      {"flatten", "row-major over image_shape"},
      {"permutation", permuted ? json(kPermutationName) : json(nullptr)},
      {"permutation_rule",
       "x_flat[:, i] = image_flat[:, permutation[i]], i.e. "
       "image_flat.index_select(1, permutation)"},
      {"shape", in.shape.empty() ? std::vector<int64_t>{numel_of(in.image_shape)} : in.shape}};
}

}  // namespace

std::string plain_architecture_json(const PlainNetwork& net) {
  json ops = json::array();
  for (const auto& op : net.ops()) {
    json o{{"op", op.op}};
    for (const auto& [role, name] : op.tensors) o[role] = name;
    for (const auto& [key, value] : op.values) o[key] = scalar_json(value);
    ops.push_back(std::move(o));
  }
  return ops.dump();
}

void save_plain_export(
    const std::string& path, const PlainNetwork& net, const PlainInput& input,
    const std::map<std::string, std::string>& extra) {
  auto tensors = net.tensors();
  if (input.permutation.defined()) {
    TORCH_INTERNAL_ASSERT(
        input.permutation.dim() == 1 && input.permutation.size(0) == numel_of(input.image_shape),
        "save_plain_export: permutation ", shape_str(input.permutation.sizes()),
        " does not match images ", shape_str(input.image_shape));
    tensors.emplace_back(kPermutationName, input.permutation);
  }
  std::map<std::string, std::string> meta{
      {"format", "hnet-target"},
      {"architecture", plain_architecture_json(net)},
      {"input", input_json(input).dump()},
      {"labels",
       json{
           {"classes", input.classes},
           {"rule",
            "output j stands for the data set's class classes[j]; the network was trained on "
            "examples of these classes only"}}
           .dump()},
      {"output", "logits"}};
  for (const auto& [key, value] : extra) {
    TORCH_INTERNAL_ASSERT(meta.count(key) == 0, "save_plain_export: metadata '", key, "' is taken");
    meta[key] = value;
  }
  io::save_safetensors(path, tensors, meta);
}

}  // namespace hnet
