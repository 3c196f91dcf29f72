#pragma once
// TEMPORARY (branch learner): replaced by the generators branch's registry.
#include <memory>
#include <string>
#include <vector>

#include "hnet/generators/generator.h"
#include "hnet/generators/low_rank_generator.h"

namespace hnet {
std::shared_ptr<WeightGenerator> make_generator(
    const std::string& kind, std::shared_ptr<const Spec> spec, const GeneratorOptions& options,
    const LowRankOptions& low_rank = LowRankOptions(4));
const std::vector<std::string>& generator_kinds();
bool generator_supports_interval(const std::string& kind);
}  // namespace hnet
