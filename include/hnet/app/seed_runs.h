#pragma once
/// \file
/// One continual-learning config run at several seeds, and the aggregate a
/// reviewer asks for: mean, standard deviation and worst seed of each
/// headline metric (`hnet train CONFIG --seeds 1-5`). The runs go into
///
///   DIR/seed-<k>/   one ordinary run folder per seed (continual_run.h)
///   DIR/seeds.json  per-seed values and the aggregate of each metric
///
/// Running the same command again continues: a finished seed is read back
/// from its checkpoint, a killed one resumes from it, a missing one starts.

#include <cstdint>
#include <string>
#include <vector>

#include "hnet/app/continual_run.h"
#include "hnet/io/config.h"

namespace hnet {

/// The seeds of a `--seeds` value: "1-5" (a range, both ends included),
/// "1,4,9" (a list), "3", or a list of both ("1-3,7"). Each seed is in
/// [0, 1e9], none repeats, at most 100 in all. c10::ValueError quoting the
/// text and saying what was expected otherwise.
std::vector<int64_t> parse_seed_list(const std::string& text);

/// DIR/seed-<k>: the run folder of seed k.
std::string seed_folder(const std::string& dir, int64_t seed);

/// `config` with its `seed` key replaced.
io::Config config_at_seed(const io::Config& config, int64_t seed);

/// A metric over seeds. `std` is the sample standard deviation (n - 1 in the
/// denominator; 0 for one seed). `worst` is the lowest value, or the highest
/// when lower is better (forgetting, wall time), and `worst_seed` its seed.
struct SeedStatistic {
  std::string name;
  std::vector<double> values;  ///< per seed, in the order of the seeds
  double mean = 0;
  double std = 0;
  double worst = 0;
  int64_t worst_seed = 0;
};

/// The statistic of `values` (one per seed of `seeds`, at least one).
/// requires: values.size() == seeds.size() > 0; c10::Error otherwise.
SeedStatistic seed_statistic(
    const std::string& name, const std::vector<double>& values, const std::vector<int64_t>& seeds,
    bool higher_is_better);

/// What `run_seeds` returns: the summaries in seed order and the statistics
/// of mean_acc_final, forgetting, bwt, mean_acc_universal (methods with one
/// network for all tasks) and wall_seconds.
struct SeedRuns {
  std::vector<int64_t> seeds;
  std::vector<ContinualSummary> summaries;
  std::vector<SeedStatistic> statistics;

  /// The seeds.json text (two-space indented).
  std::string to_json() const;
};

/// Runs `config` at each of `seeds` (its `seed` key replaced) into
/// DIR/seed-<k>, continuing what an earlier call left there, and writes
/// DIR/seeds.json. A seed folder that holds a run of another configuration
/// is c10::ValueError naming it, before any training. `options` apply to
/// every run (stop_after must be 0: c10::Error).
SeedRuns run_seeds(
    const io::Config& config, const std::vector<int64_t>& seeds, const std::string& dir,
    const ContinualRunOptions& options = {});

}  // namespace hnet
