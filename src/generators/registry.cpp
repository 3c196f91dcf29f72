#include "hnet/generators/registry.h"

#include <c10/util/StringUtil.h>

#include <functional>

#include "generator_internal.h"
#include "hnet/errors.h"
#include "hnet/generators/chunked_generator.h"
#include "hnet/generators/full_generator.h"
#include "hnet/generators/layerwise_generator.h"
#include "hnet/generators/recurrent_generator.h"

namespace hnet {
namespace {

using Factory = std::function<std::shared_ptr<WeightGenerator>(
    std::shared_ptr<const Spec>, const GeneratorOptions&, const LowRankOptions&)>;

struct Kind {
  std::string name;
  Factory make;
  bool supports_interval;
};

// The factory of a generator that reads GeneratorOptions only.
template <typename Holder>
Factory reads_options() {
  return [](std::shared_ptr<const Spec> spec, const GeneratorOptions& o, const LowRankOptions&) {
    return Holder(std::move(spec), o).ptr();
  };
}

const std::vector<Kind>& kinds() {
  static const std::vector<Kind> table{
      {"chunked", reads_options<ChunkedGenerator>(), true},
      {"full", reads_options<FullGenerator>(), true},
      {"layerwise", reads_options<LayerwiseGenerator>(), false},
      {"lowrank",
       [](std::shared_ptr<const Spec> spec, const GeneratorOptions& o, const LowRankOptions& r) {
         return LowRankGenerator(std::move(spec), o, r).ptr();
       },
       false},
      {"recurrent", reads_options<RecurrentGenerator>(), false},
  };
  return table;
}

const Kind& find_kind(const std::string& name) {
  for (const auto& k : kinds()) {
    if (k.name == name) return k;
  }
  HNET_CHECK_INPUT(
      false, "generator kind must be one of [", c10::Join(", ", generator_kinds()), "], got '",
      name, "'");
}

}  // namespace

std::shared_ptr<WeightGenerator> make_generator(
    const std::string& kind, std::shared_ptr<const Spec> spec, const GeneratorOptions& options,
    const LowRankOptions& low_rank) {
  return find_kind(kind).make(std::move(spec), options, low_rank);
}

const std::vector<std::string>& generator_kinds() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> out;
    for (const auto& k : kinds()) out.push_back(k.name);
    return out;
  }();
  return names;
}

bool generator_supports_interval(const std::string& kind) {
  return find_kind(kind).supports_interval;
}

std::vector<std::string> interval_generator_kinds() {
  std::vector<std::string> out;
  for (const auto& k : kinds()) {
    if (k.supports_interval) out.push_back(k.name);
  }
  return out;
}

}  // namespace hnet

namespace hnet::detail {

void throw_interval_unsupported(const std::string& what) {
  TORCH_CHECK(
      false, what,
      "; the generator kinds that support it: ", c10::Join(", ", interval_generator_kinds()));
}

}  // namespace hnet::detail
