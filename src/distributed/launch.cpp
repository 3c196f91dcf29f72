#include "hnet/distributed/launch.h"

#include <c10/util/Exception.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>

#include "hnet/distributed/communicator.h"
#include "hnet/errors.h"
#include "hnet/io/file_safety.h"

extern char** environ;

namespace hnet::distributed {
namespace {

// A rank's process and the file its standard error goes to.
struct RankProcess {
  pid_t pid = -1;
  std::string stderr_path;
  bool running = false;
};

std::string stderr_file(int64_t rank) {
  std::string name = io::temp_template("hnet_rank" + std::to_string(rank));
  const int fd = ::mkstemp(name.data());
  TORCH_CHECK(
      fd >= 0, "cannot create ", name, " for the standard error of rank ", rank, ": ",
      std::strerror(errno));
  ::close(fd);
  return name;
}

RankProcess spawn_rank(std::vector<std::string> argv, int64_t rank) {
  RankProcess p;
  p.stderr_path = stderr_file(rank);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 2, p.stderr_path.c_str(), O_WRONLY | O_TRUNC, 0600);
  if (rank > 0) posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  std::vector<char*> raw;
  for (auto& a : argv) raw.push_back(a.data());
  raw.push_back(nullptr);
  const int err = ::posix_spawn(&p.pid, "/proc/self/exe", &actions, nullptr, raw.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  TORCH_CHECK(err == 0, "cannot start rank ", rank, " (/proc/self/exe): ", std::strerror(err));
  p.running = true;
  return p;
}

std::string last_line(const std::string& path) {
  std::ifstream in(path);
  std::string line, last;
  while (std::getline(in, line)) {
    if (!line.empty()) last = line;
  }
  return last;
}

int exit_code_of(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  return 1;
}

// Stops every running rank: SIGTERM, then SIGKILL after `grace_s`.
void stop_all(std::vector<RankProcess>& ranks, double grace_s) {
  for (auto& r : ranks) {
    if (r.running) ::kill(r.pid, SIGTERM);
  }
  const auto deadline = std::chrono::steady_clock::now() +
                        std::chrono::milliseconds(static_cast<int64_t>(grace_s * 1000));
  for (auto& r : ranks) {
    while (r.running) {
      int status = 0;
      const pid_t got = ::waitpid(r.pid, &status, WNOHANG);
      if (got == r.pid || (got < 0 && errno != EINTR)) {
        r.running = false;
      } else if (std::chrono::steady_clock::now() > deadline) {
        ::kill(r.pid, SIGKILL);
        ::waitpid(r.pid, &status, 0);
        r.running = false;
      } else {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      }
    }
  }
}

}  // namespace

LaunchResult launch_local_ranks(
    const std::vector<std::string>& args, int64_t nproc, double grace_s) {
  HNET_CHECK_INPUT(nproc >= 1, "--nproc must be >= 1, got ", nproc);
  const std::string master = "127.0.0.1:" + std::to_string(free_loopback_port());
  std::vector<RankProcess> ranks;
  for (int64_t r = 0; r < nproc; ++r) {
    std::vector<std::string> argv{"hnet"};
    argv.insert(argv.end(), args.begin(), args.end());
    for (const std::string& a :
         {std::string("--world-size"), std::to_string(nproc), std::string("--rank"),
          std::to_string(r), std::string("--master"), master}) {
      argv.push_back(a);
    }
    ranks.push_back(spawn_rank(argv, r));
  }
  LaunchResult result;
  int64_t left = nproc;
  while (left > 0) {
    int status = 0;
    const pid_t pid = ::waitpid(-1, &status, 0);
    if (pid < 0) {
      if (errno == EINTR) continue;
      break;
    }
    for (int64_t r = 0; r < nproc; ++r) {
      auto& p = ranks[static_cast<size_t>(r)];
      if (!p.running || p.pid != pid) continue;
      p.running = false;
      --left;
      const int code = exit_code_of(status);
      if (code != 0 && result.exit_code == 0) {
        result = {code, r, last_line(p.stderr_path)};
        if (result.message.empty() && WIFSIGNALED(status)) {
          result.message = "rank " + std::to_string(r) + " was killed by signal " +
                           std::to_string(WTERMSIG(status));
        }
        stop_all(ranks, grace_s);
        left = 0;
      }
    }
  }
  for (const auto& p : ranks) std::remove(p.stderr_path.c_str());
  return result;
}

}  // namespace hnet::distributed
