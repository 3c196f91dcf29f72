#include "hnet/ghn/architecture_sets.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "hnet/errors.h"
#include "hnet/io/atomic_file.h"
#include "layer_list.h"

namespace hnet {
namespace {

using json = nlohmann::json;
using ghn_detail::conv_layer;
using ghn_detail::LayerList;
using ghn_detail::linear_layer;

constexpr const char* kSetsFormat = "hnet-ghn-architectures";
constexpr size_t kMaxSetsBytes = size_t{64} << 20;

const std::set<std::string>& ood_kind_names() {
  static const std::set<std::string> names{"wide", "deep", "lenet", "resnet20"};
  return names;
}

// ConvNets 2-4x wider than the training space's widest layer.
ArchSpaceOptions wide_space(const ArchSpaceOptions& train) {
  const int64_t widest = *std::max_element(train.widths().begin(), train.widths().end());
  const int64_t hidden = *std::max_element(train.hidden().begin(), train.hidden().end());
  return ArchSpaceOptions(train)
      .widths({2 * widest, 3 * widest, 4 * widest})
      .hidden({2 * hidden, 4 * hidden})
      .mlp_fraction(0);
}

// ConvNets of 4 stages of up to 3 residual blocks.
ArchSpaceOptions deep_space(const ArchSpaceOptions& train) {
  return ArchSpaceOptions(train).min_stages(4).max_stages(4).max_blocks(3).mlp_fraction(0);
}

std::vector<Architecture> read_set(
    const json& j, const std::string& name, const std::string& where) {
  HNET_CHECK_INPUT(
      j.contains(name) && j[name].is_array(), where, ": '", name,
      "' must be a list of architectures");
  std::vector<Architecture> out;
  for (size_t i = 0; i < j[name].size(); ++i) {
    out.push_back(
        architecture_from_json(j[name][i], where + ": " + name + "[" + std::to_string(i) + "]"));
  }
  return out;
}

}  // namespace

std::set<std::string> ArchitectureSets::keys() const {
  std::set<std::string> out;
  for (const auto* set : {&test, &ood}) {
    for (const auto& a : *set) out.insert(architecture_key(a));
  }
  return out;
}

const std::vector<Architecture>& ArchitectureSets::named(const std::string& name) const {
  HNET_CHECK_INPUT(
      name == "test" || name == "ood", "architecture set '", name,
      "' is unknown; expected test or ood");
  return name == "test" ? test : ood;
}

Architecture lenet_architecture() {
  Architecture arch;
  LayerList layers(arch);
  for (int64_t width : {20, 50}) {
    ArchLayer conv = conv_layer(width, 5, true);
    conv.padding = 0;
    layers.add(conv);
    layers.add("relu");
    ArchLayer pool;
    pool.op = "max_pool";
    pool.kernel = 2;
    layers.add(pool);
  }
  layers.add("flatten");
  layers.add(linear_layer(500));
  layers.add("relu");
  layers.add(linear_layer(arch.classes));
  return arch;
}

Architecture resnet20_architecture() {
  Architecture arch;
  LayerList layers(arch);
  // conv (no bias: batch norm follows) and batch norm, reading `in`.
  auto conv_bn = [&](int64_t width, int64_t kernel, int64_t stride, std::vector<std::string> in) {
    ArchLayer conv = conv_layer(width, kernel, false);
    conv.stride = stride;
    layers.add(conv, std::move(in));
    return layers.add("batch_norm");
  };
  conv_bn(16, 3, 1, {});
  std::string h = layers.add("relu");
  int64_t channels = 16;
  for (int64_t width : {16, 32, 64}) {
    for (int block = 0; block < 3; ++block) {
      const int64_t stride = block == 0 && width != channels ? 2 : 1;
      conv_bn(width, 3, stride, {h});
      layers.add("relu");
      const std::string branch = conv_bn(width, 3, 1, {});
      const std::string shortcut = stride == 1 ? h : conv_bn(width, 1, stride, {h});
      ArchLayer sum;
      sum.op = "sum";
      layers.add(sum, {branch, shortcut});
      h = layers.add("relu");
      channels = width;
    }
  }
  layers.add("global_avg_pool");
  layers.add(linear_layer(arch.classes));
  return arch;
}

ArchitectureSets make_architecture_sets(
    const ArchSpaceOptions& train_space, uint64_t seed, size_t test_count, size_t ood_count) {
  ArchitectureSets sets;
  sets.test = sample_architectures(train_space, seed, test_count);
  const size_t named = ood_count >= 4 ? 2 : 0;
  const size_t wide = (ood_count - named) / 2;
  const size_t deep = ood_count - named - wide;
  auto add_ood = [&](std::vector<Architecture> archs, const std::string& kind) {
    for (auto& a : archs) {
      sets.ood.push_back(std::move(a));
      sets.ood_kinds.push_back(kind);
    }
  };
  add_ood(sample_architectures(wide_space(train_space), seed + 1, wide), "wide");
  add_ood(sample_architectures(deep_space(train_space), seed + 2, deep), "deep");
  if (named > 0) {
    add_ood({lenet_architecture()}, "lenet");
    add_ood({resnet20_architecture()}, "resnet20");
  }
  return sets;
}

void save_architecture_sets(const std::string& path, const ArchitectureSets& sets) {
  json j{{"format", kSetsFormat}, {"version", 1}, {"ood_kinds", sets.ood_kinds}};
  for (const auto& [name, set] : {std::pair{"test", &sets.test}, std::pair{"ood", &sets.ood}}) {
    j[name] = json::array();
    for (const auto& a : *set) j[name].push_back(architecture_to_json(a));
  }
  io::write_file_atomic(path, j.dump() + "\n");
}

ArchitectureSets load_architecture_sets(const std::string& path) {
  const std::string text = io::read_file(path, kMaxSetsBytes);
  json j;
  try {
    j = json::parse(text);
  } catch (const json::exception& e) {
    HNET_CHECK_INPUT(false, path, ": not JSON: ", e.what());
  }
  HNET_CHECK_INPUT(
      j.is_object() && j.value("format", "") == kSetsFormat, path,
      ": not an architecture-set file (expected \"format\": \"", kSetsFormat, "\")");
  HNET_CHECK_INPUT(
      j.contains("version") && j["version"] == 1, path, ": unsupported version ",
      j.contains("version") ? j["version"].dump() : "(missing)", "; expected 1");
  ArchitectureSets sets;
  sets.test = read_set(j, "test", path);
  sets.ood = read_set(j, "ood", path);
  const auto& kinds = j.contains("ood_kinds") ? j["ood_kinds"] : json();
  HNET_CHECK_INPUT(
      kinds.is_array() && kinds.size() == sets.ood.size(), path,
      ": 'ood_kinds' must list one kind per ood architecture (", sets.ood.size(), ")");
  for (const auto& k : kinds) {
    HNET_CHECK_INPUT(
        k.is_string() && ood_kind_names().count(k.get<std::string>()), path, ": unknown ood kind ",
        k.dump(), "; expected wide, deep, lenet or resnet20");
    sets.ood_kinds.push_back(k.get<std::string>());
  }
  return sets;
}

}  // namespace hnet
