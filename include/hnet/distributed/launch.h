#pragma once
/// \file
/// Starting the ranks of a data-parallel run on this machine (the
/// `--nproc N` of `hnet ghn train`, as torchrun's --nproc_per_node).

#include <cstdint>
#include <string>
#include <vector>

namespace hnet::distributed {

/// What the ranks of a local launch ended with.
struct LaunchResult {
  int exit_code = 0;  ///< 0, or the exit code of the first rank that failed
  int64_t failed_rank = -1;
  std::string message;  ///< that rank's standard error (last line), if any
};

/// Runs `nproc` copies of this program (/proc/self/exe) with `args` followed
/// by `--world-size nproc --rank r --master 127.0.0.1:PORT` on a free port,
/// and waits for them. Rank 0 writes to this process's standard output; each
/// rank's standard error goes to a temporary file. When a rank fails, the
/// others are stopped (SIGTERM, then SIGKILL after `grace_s`) and its exit code and
/// message are returned; a rank killed by a signal counts as exit code 1.
LaunchResult launch_local_ranks(
    const std::vector<std::string>& args, int64_t nproc, double grace_s = 10);

}  // namespace hnet::distributed
