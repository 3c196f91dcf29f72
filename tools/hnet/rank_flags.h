#pragma once
// The data-parallel options shared by `hnet train` and `hnet ghn train`
// (include/hnet/distributed/): --nproc N starts N local ranks of the same
// command; --world-size/--rank/--master join ranks across machines.

#include <CLI/CLI.hpp>
#include <cstdint>
#include <string>
#include <vector>

#include "hnet/distributed/communicator.h"

namespace hnet::cli {

struct RankFlags {
  int64_t nproc = 1;
  std::string master;
  distributed::Rendezvous dist;

  /// The rendezvous of this process, checked (c10::ValueError naming the
  /// flag on bad or conflicting values).
  const distributed::Rendezvous& checked(const std::string& command);

  /// True when this process starts local ranks instead of training.
  bool launches() const {
    return nproc > 1;
  }
};

void add_rank_flags(CLI::App* cmd, RankFlags& flags);

/// Runs `args` (a command line without the program name) as `nproc` local
/// ranks; a failing rank's error becomes this process's (exit 2 stays a
/// bad-input error, naming the rank).
void run_local_ranks(std::vector<std::string> args, const RankFlags& flags);

}  // namespace hnet::cli
