#include "hnet/ghn/architecture.h"

#include <torch/nn/functional/pooling.h>
#include <torch/nn/modules/batchnorm.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/linear.h>

#include <algorithm>
#include <cctype>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "hnet/errors.h"

namespace hnet {
namespace {

using json = nlohmann::json;
using Shape = std::vector<int64_t>;

const std::set<std::string>& arch_ops() {
  static const std::set<std::string> ops = {
      "conv",     "linear",   "batch_norm",      "relu",    "tanh", "gelu",  "sigmoid",
      "max_pool", "avg_pool", "global_avg_pool", "flatten", "sum",  "concat"};
  return ops;
}

std::string shape_text(const Shape& s) {
  return "[" + c10::Join(", ", s) + "]";
}

// The checked form: layers in an order where each follows its inputs, the
// inputs as indices (-1: the network's input) and every layer's shape.
struct Resolved {
  std::vector<size_t> order;
  std::vector<std::vector<int64_t>> reads;
  std::vector<Shape> shapes;
};

int64_t conv_padding(const ArchLayer& l) {
  return l.padding >= 0 ? l.padding : l.kernel / 2;
}

int64_t stride_of(const ArchLayer& l) {
  return l.stride > 0 ? l.stride : (l.op == "conv" ? 1 : l.kernel);
}

// The shape `l` gives for inputs of shapes `in` (already counted and
// present); throws naming `who` when they do not fit.
Shape layer_shape(const ArchLayer& l, const std::vector<Shape>& in, const std::string& who) {
  const Shape& x = in.front();
  const bool image = x.size() == 3;
  auto need_image = [&] {
    HNET_CHECK_INPUT(
        image, who, ": '", l.op, "' needs an image input [C, H, W], got ", shape_text(x));
  };
  auto window_fits = [&] {
    HNET_CHECK_INPUT(
        l.kernel <= x[1] && l.kernel <= x[2], who, ": kernel ", l.kernel,
        " is larger than its input ", shape_text(x));
  };
  auto windowed = [&](int64_t channels, int64_t padding) {
    const int64_t s = stride_of(l);
    return Shape{
        channels, (x[1] + 2 * padding - l.kernel) / s + 1, (x[2] + 2 * padding - l.kernel) / s + 1};
  };
  if (l.op == "conv") {
    need_image();
    window_fits();
    return windowed(l.out, conv_padding(l));
  }
  if (l.op == "max_pool" || l.op == "avg_pool") {
    need_image();
    window_fits();
    return windowed(x[0], 0);
  }
  if (l.op == "linear") {
    HNET_CHECK_INPUT(
        x.size() == 1, who,
        ": 'linear' needs a flat input [F] (add a flatten or global_avg_pool "
        "before it), got ",
        shape_text(x));
    return {l.out};
  }
  if (l.op == "global_avg_pool") {
    need_image();
    return {x[0]};
  }
  if (l.op == "flatten") {
    int64_t n = 1;
    for (int64_t d : x) n *= d;
    return {n};
  }
  if (l.op == "sum") {
    for (const auto& s : in) {
      HNET_CHECK_INPUT(
          s == x, who, ": 'sum' inputs must have one shape, got ", shape_text(x), " and ",
          shape_text(s));
    }
    return x;
  }
  if (l.op == "concat") {
    Shape out = x;
    for (size_t i = 1; i < in.size(); ++i) {
      const Shape& s = in[i];
      HNET_CHECK_INPUT(
          s.size() == x.size() && std::equal(s.begin() + 1, s.end(), x.begin() + 1), who,
          ": 'concat' inputs must differ only in channels, got ", shape_text(x), " and ",
          shape_text(s));
      out[0] += s[0];
    }
    return out;
  }
  return x;  // batch_norm and activations keep the shape
}

void check_fields(const ArchLayer& l, const std::string& who) {
  HNET_CHECK_INPUT(
      arch_ops().count(l.op), who, ": unknown op '", l.op, "'; expected one of ",
      c10::Join(", ", arch_ops()));
  if (l.op == "conv" || l.op == "linear") {
    HNET_CHECK_INPUT(l.out > 0, who, ": 'out' must be > 0, got ", l.out);
  }
  if (l.op == "conv" || l.op == "max_pool" || l.op == "avg_pool") {
    HNET_CHECK_INPUT(l.kernel > 0, who, ": 'kernel' must be > 0, got ", l.kernel);
    HNET_CHECK_INPUT(l.stride >= 0, who, ": 'stride' must be > 0 (or absent), got ", l.stride);
  }
  if (l.op == "conv") {
    HNET_CHECK_INPUT(
        l.padding >= -1 && l.padding < l.kernel, who, ": 'padding' must be in [0, kernel ",
        l.kernel, ") (or absent), got ", l.padding);
  }
  const size_t needed = (l.op == "sum" || l.op == "concat") ? 2 : 1;
  HNET_CHECK_INPUT(
      l.op == "sum" || l.op == "concat" ? l.inputs.size() >= needed : l.inputs.size() <= 1, who,
      ": '", l.op, "' reads ", needed == 2 ? "two or more inputs" : "one input", ", got ",
      l.inputs.size());
}

Resolved resolve(const Architecture& arch, const std::string& where) {
  HNET_CHECK_INPUT(
      arch.input.size() == 1 || arch.input.size() == 3, where, ": 'input' must be [C, H, W] or ",
      "[F], got ", shape_text(arch.input));
  for (int64_t d : arch.input) {
    HNET_CHECK_INPUT(d > 0, where, ": 'input' sizes must be > 0, got ", shape_text(arch.input));
  }
  HNET_CHECK_INPUT(arch.classes > 0, where, ": 'classes' must be > 0, got ", arch.classes);
  HNET_CHECK_INPUT(!arch.layers.empty(), where, ": 'layers' is empty");
  const size_t n = arch.layers.size();
  std::map<std::string, size_t> index;
  Resolved r;
  r.reads.resize(n);
  for (size_t i = 0; i < n; ++i) {
    const auto& l = arch.layers[i];
    const std::string who = where + ": layer " + std::to_string(i) + " ('" + l.name + "')";
    HNET_CHECK_INPUT(
        !l.name.empty() && l.name != "input" &&
            std::all_of(
                l.name.begin(), l.name.end(),
                [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }),
        where, ": layer ", i, ": name '", l.name,
        "' must be letters, digits and '_', and not 'input'");
    HNET_CHECK_INPUT(index.emplace(l.name, i).second, who, ": the name is taken by another layer");
    check_fields(l, who);
  }
  for (size_t i = 0; i < n; ++i) {
    const auto& l = arch.layers[i];
    if (l.inputs.empty()) {
      r.reads[i] = {static_cast<int64_t>(i) - 1};
      continue;
    }
    for (const auto& name : l.inputs) {
      int64_t from = -1;
      if (name != "input") {
        auto it = index.find(name);
        HNET_CHECK_INPUT(
            it != index.end(), where, ": layer '", l.name, "' reads '", name,
            "', which is no layer");
        from = static_cast<int64_t>(it->second);
      }
      HNET_CHECK_INPUT(
          std::find(r.reads[i].begin(), r.reads[i].end(), from) == r.reads[i].end(), where,
          ": layer '", l.name, "' reads '", name, "' twice");
      r.reads[i].push_back(from);
    }
  }
  // Kahn's order; what is left over lies on a cycle.
  std::vector<size_t> waiting(n, 0);
  std::vector<std::vector<size_t>> readers(n);
  for (size_t i = 0; i < n; ++i) {
    for (int64_t from : r.reads[i]) {
      if (from >= 0) {
        ++waiting[i];
        readers[from].push_back(i);
      }
    }
  }
  std::vector<size_t> ready;
  for (size_t i = n; i-- > 0;) {
    if (waiting[i] == 0) ready.push_back(i);
  }
  while (!ready.empty()) {
    const size_t i = ready.back();
    ready.pop_back();
    r.order.push_back(i);
    for (auto it = readers[i].rbegin(); it != readers[i].rend(); ++it) {
      if (--waiting[*it] == 0) ready.push_back(*it);
    }
  }
  for (size_t i = 0; i + 1 < n; ++i) {
    HNET_CHECK_INPUT(
        !readers[i].empty(), where, ": the output of layer '", arch.layers[i].name,
        "' is never read (only the last layer may be unread: it is the output)");
  }
  HNET_CHECK_INPUT(
      readers[n - 1].empty(), where, ": the last layer '", arch.layers[n - 1].name,
      "' is the output and must not be read by other layers");
  for (size_t i = 0; i < n; ++i) {
    HNET_CHECK_INPUT(
        waiting[i] == 0, where, ": layer '", arch.layers[i].name,
        "' lies on a cycle (its inputs depend on its own output)");
  }
  r.shapes.resize(n);
  for (size_t i : r.order) {
    std::vector<Shape> in;
    for (int64_t from : r.reads[i]) in.push_back(from < 0 ? arch.input : r.shapes[from]);
    r.shapes[i] = layer_shape(arch.layers[i], in, where + ": layer '" + arch.layers[i].name + "'");
  }
  const Shape& out = r.shapes[r.order.back()];
  HNET_CHECK_INPUT(
      out == Shape{arch.classes}, where, ": the last layer must give the output [", arch.classes,
      "], got ", shape_text(out), " from '", arch.layers[r.order.back()].name, "'");
  return r;
}

int64_t to_int(const json& j, const char* key, int64_t fallback, const std::string& who) {
  if (!j.contains(key)) return fallback;
  HNET_CHECK_INPUT(
      j[key].is_number_integer(), who, ": '", key, "' must be an integer, got ", j[key].dump());
  return j[key].get<int64_t>();
}

}  // namespace

std::vector<std::vector<int64_t>> check_architecture(
    const Architecture& arch, const std::string& where) {
  return resolve(arch, where).shapes;
}

ArchNetImpl::ArchNetImpl(Architecture arch) : arch_(std::move(arch)) {
  namespace nn = torch::nn;
  auto r = resolve(arch_, "architecture");
  order_ = std::move(r.order);
  reads_ = std::move(r.reads);
  modules_.resize(arch_.layers.size());
  for (size_t i = 0; i < arch_.layers.size(); ++i) {
    const auto& l = arch_.layers[i];
    const Shape in = reads_[i][0] < 0 ? arch_.input : r.shapes[reads_[i][0]];
    if (l.op == "conv") {
      modules_[i] = register_module(
          l.name, nn::Conv2d(nn::Conv2dOptions(in[0], l.out, l.kernel)
                                 .stride(stride_of(l))
                                 .padding(conv_padding(l))
                                 .bias(l.bias)));
    } else if (l.op == "linear") {
      modules_[i] =
          register_module(l.name, nn::Linear(nn::LinearOptions(in[0], l.out).bias(l.bias)));
    } else if (l.op == "batch_norm") {
      if (in.size() == 3) {
        modules_[i] = register_module(l.name, nn::BatchNorm2d(in[0]));
      } else {
        modules_[i] = register_module(l.name, nn::BatchNorm1d(in[0]));
      }
    }
  }
}

torch::Tensor ArchNetImpl::forward(const torch::Tensor& x) {
  namespace F = torch::nn::functional;
  std::vector<torch::Tensor> out(arch_.layers.size());
  for (size_t i : order_) {
    const auto& l = arch_.layers[i];
    std::vector<torch::Tensor> in;
    for (int64_t from : reads_[i]) in.push_back(from < 0 ? x : out[from]);
    const auto& h = in.front();
    torch::Tensor y;
    if (l.op == "conv") {
      y = std::dynamic_pointer_cast<torch::nn::Conv2dImpl>(modules_[i])->forward(h);
    } else if (l.op == "linear") {
      y = std::dynamic_pointer_cast<torch::nn::LinearImpl>(modules_[i])->forward(h);
    } else if (l.op == "batch_norm") {
      y = h.dim() == 4
              ? std::dynamic_pointer_cast<torch::nn::BatchNorm2dImpl>(modules_[i])->forward(h)
              : std::dynamic_pointer_cast<torch::nn::BatchNorm1dImpl>(modules_[i])->forward(h);
    } else if (l.op == "relu") {
      y = torch::relu(h);
    } else if (l.op == "tanh") {
      y = torch::tanh(h);
    } else if (l.op == "gelu") {
      y = torch::gelu(h);
    } else if (l.op == "sigmoid") {
      y = torch::sigmoid(h);
    } else if (l.op == "max_pool") {
      y = torch::max_pool2d(h, l.kernel, stride_of(l));
    } else if (l.op == "avg_pool") {
      y = torch::avg_pool2d(h, l.kernel, stride_of(l));
    } else if (l.op == "global_avg_pool") {
      y = h.mean({2, 3});
    } else if (l.op == "flatten") {
      y = h.flatten(1);
    } else if (l.op == "sum") {
      y = in[0];
      for (size_t k = 1; k < in.size(); ++k) y = y + in[k];
    } else {  // concat, the last op check_fields accepts
      y = torch::cat(in, 1);
    }
    out[i] = y;
  }
  return out.back();
}

int64_t architecture_params(const Architecture& arch) {
  int64_t n = 0;
  for (const auto& p : ArchNet(arch)->parameters()) n += p.numel();
  return n;
}

nlohmann::json architecture_to_json(const Architecture& arch) {
  json layers = json::array();
  for (const auto& l : arch.layers) {
    json j{{"name", l.name}, {"op", l.op}};
    if (l.op == "conv" || l.op == "linear") {
      j["out"] = l.out;
      if (!l.bias) j["bias"] = false;
    }
    if (l.kernel > 0) j["kernel"] = l.kernel;
    if (l.stride > 0) j["stride"] = l.stride;
    if (l.op == "conv" && l.padding >= 0) j["padding"] = l.padding;
    if (!l.inputs.empty()) j["inputs"] = l.inputs;
    layers.push_back(std::move(j));
  }
  return json{{"input", arch.input}, {"classes", arch.classes}, {"layers", std::move(layers)}};
}

Architecture architecture_from_json(const nlohmann::json& j, const std::string& where) {
  HNET_CHECK_INPUT(j.is_object(), where, ": an architecture must be a JSON object");
  for (const auto& [key, value] : j.items()) {
    HNET_CHECK_INPUT(
        key == "input" || key == "classes" || key == "layers", where, ": unknown field '", key,
        "'; expected input, classes, layers");
  }
  Architecture arch;
  if (j.contains("input")) {
    const auto& in = j["input"];
    HNET_CHECK_INPUT(
        in.is_array() &&
            std::all_of(in.begin(), in.end(), [](const json& v) { return v.is_number_integer(); }),
        where, ": 'input' must be a list of integers, got ", in.dump());
    arch.input = in.get<std::vector<int64_t>>();
  }
  arch.classes = to_int(j, "classes", arch.classes, where);
  HNET_CHECK_INPUT(
      j.contains("layers") && j["layers"].is_array(), where, ": 'layers' must be a list");
  static const std::set<std::string> fields = {"name",   "op",   "out",    "kernel",
                                               "stride", "bias", "inputs", "padding"};
  for (size_t i = 0; i < j["layers"].size(); ++i) {
    const json& lj = j["layers"][i];
    const std::string who = where + ": layer " + std::to_string(i);
    HNET_CHECK_INPUT(lj.is_object(), who, ": must be an object");
    for (const auto& [key, value] : lj.items()) {
      HNET_CHECK_INPUT(
          fields.count(key), who, ": unknown field '", key, "'; expected ",
          c10::Join(", ", fields));
    }
    ArchLayer l;
    HNET_CHECK_INPUT(
        lj.contains("name") && lj["name"].is_string() && lj.contains("op") && lj["op"].is_string(),
        who, ": 'name' and 'op' must be strings");
    l.name = lj["name"].get<std::string>();
    l.op = lj["op"].get<std::string>();
    l.out = to_int(lj, "out", 0, who);
    l.kernel = to_int(lj, "kernel", 0, who);
    l.stride = to_int(lj, "stride", 0, who);
    l.padding = to_int(lj, "padding", -1, who);
    if (lj.contains("bias")) {
      HNET_CHECK_INPUT(lj["bias"].is_boolean(), who, ": 'bias' must be true or false");
      l.bias = lj["bias"].get<bool>();
    }
    if (lj.contains("inputs")) {
      const auto& in = lj["inputs"];
      HNET_CHECK_INPUT(
          in.is_array() &&
              std::all_of(in.begin(), in.end(), [](const json& v) { return v.is_string(); }),
          who, ": 'inputs' must be a list of layer names");
      l.inputs = in.get<std::vector<std::string>>();
    }
    arch.layers.push_back(std::move(l));
  }
  check_architecture(arch, where);
  return arch;
}

}  // namespace hnet
