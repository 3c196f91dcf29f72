#pragma once
/// \file
/// One NeuMeta config run at several seeds (`hnet neumeta CONFIG --seeds 1-4
/// --out DIR`), and its aggregate: mean, standard deviation and worst seed
/// of the largest gap, of each width's gap and accuracies, and of the wall
/// time. The runs go into
///
///   DIR/seed-<k>/   one ordinary NeuMeta run folder per seed (neumeta_run.h)
///   DIR/seeds.json  every seed's summary and the statistics
///
/// Running the same command again continues: a seed whose folder holds its
/// summary.json is read back; a seed killed before it wrote one starts again
/// (a NeuMeta run has no checkpoint to resume from).

#include <cstdint>
#include <string>
#include <vector>

#include "hnet/app/neumeta_run.h"
#include "hnet/app/seed_runs.h"
#include "hnet/io/config.h"

namespace hnet {

/// Runs `config` at each of `seeds` into DIR/seed-<k> and writes
/// DIR/seeds.json; returns the statistics (max_gap, max_val_gap, gap_w<W>,
/// generated_acc_w<W>, independent_acc_w<W>, wall_seconds). A seed folder
/// holding a run of another configuration is c10::ValueError naming it and
/// the first differing key, before any training.
std::vector<SeedStatistic> run_neumeta_seeds(
    const io::Config& config, const std::vector<int64_t>& seeds, const std::string& dir,
    const NeumetaRunOptions& options = {});

}  // namespace hnet
