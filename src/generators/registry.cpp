// TEMPORARY (branch learner): replaced by the generators branch's registry.
#include "hnet/generators/registry.h"

#include "hnet/errors.h"
#include "hnet/generators/chunked_generator.h"
#include "hnet/generators/full_generator.h"
#include "hnet/generators/layerwise_generator.h"
#include "hnet/generators/recurrent_generator.h"

namespace hnet {
std::shared_ptr<WeightGenerator> make_generator(
    const std::string& kind, std::shared_ptr<const Spec> spec, const GeneratorOptions& options,
    const LowRankOptions& low_rank) {
  if (kind == "full") return FullGenerator(spec, options).ptr();
  if (kind == "layerwise") return LayerwiseGenerator(spec, options).ptr();
  if (kind == "recurrent") return RecurrentGenerator(spec, options).ptr();
  if (kind == "lowrank") return LowRankGenerator(spec, options, low_rank).ptr();
  HNET_CHECK_INPUT(kind == "chunked", "unknown generator kind '", kind, "'");
  return ChunkedGenerator(spec, options).ptr();
}
const std::vector<std::string>& generator_kinds() {
  static const std::vector<std::string> kinds{
      "chunked", "full", "layerwise", "lowrank", "recurrent"};
  return kinds;
}
bool generator_supports_interval(const std::string& kind) {
  return kind == "chunked" || kind == "full";
}
}  // namespace hnet
