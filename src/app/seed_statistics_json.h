#pragma once
// The "statistics" object of a seeds.json: per metric its mean, standard
// deviation, worst value and seed, and the per-seed values. Shared by the
// continual and the NeuMeta multi-seed runs.

#include <nlohmann/json.hpp>
#include <vector>

#include "hnet/app/seed_runs.h"

namespace hnet {

nlohmann::json statistics_json(const std::vector<SeedStatistic>& statistics);

}  // namespace hnet
