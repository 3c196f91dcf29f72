#include "rank_flags.h"

#include "hnet/distributed/launch.h"
#include "hnet/errors.h"

namespace hnet::cli {

void add_rank_flags(CLI::App* cmd, RankFlags& f) {
  cmd->add_option("--nproc", f.nproc, "data-parallel ranks to start on this machine");
  cmd->add_option("--world-size", f.dist.world_size, "ranks in all (with --rank, --master)");
  cmd->add_option("--rank", f.dist.rank, "this process's rank, 0 .. world size - 1");
  cmd->add_option("--master", f.master, "HOST:PORT where rank 0 meets the others");
  cmd->add_option("--timeout", f.dist.timeout_s, "seconds any rank waits for the others");
}

const distributed::Rendezvous& RankFlags::checked(const std::string& command) {
  HNET_CHECK_INPUT(nproc >= 1, command, ": --nproc must be >= 1, got ", nproc);
  HNET_CHECK_INPUT(
      nproc == 1 || (dist.world_size == 1 && master.empty()), command,
      ": --nproc starts its own ranks; give it without --world-size/--rank/--master");
  if (!master.empty()) distributed::parse_master(master, dist);
  HNET_CHECK_INPUT(
      dist.world_size == 1 || !master.empty(), command,
      ": --world-size > 1 needs --master HOST:PORT");
  distributed::check_rendezvous(dist);
  return dist;
}

void run_local_ranks(std::vector<std::string> args, const RankFlags& flags) {
  args.insert(args.end(), {"--timeout", std::to_string(flags.dist.timeout_s)});
  const auto r = distributed::launch_local_ranks(args, flags.nproc);
  if (r.exit_code == 0) return;
  std::string message = r.message;
  for (const std::string prefix : {"hnet: error: ", "hnet: "}) {
    if (message.rfind(prefix, 0) == 0) {
      message = message.substr(prefix.size());
      break;
    }
  }
  const std::string where = "rank " + std::to_string(r.failed_rank) + " of " +
                            std::to_string(flags.nproc) + ": " + message;
  HNET_CHECK_INPUT(r.exit_code != 2, where);
  TORCH_CHECK(false, where);
}

}  // namespace hnet::cli
