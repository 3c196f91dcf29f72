#include "subprocess.h"

#include <c10/util/Exception.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <utility>

#include "hnet/io/file_safety.h"

extern char** environ;

namespace hnet::io::detail {
namespace {

std::string errno_str(int err) {
  return std::strerror(err);
}

// Owns a POSIX file descriptor.
struct Fd {
  int fd = -1;
  Fd() = default;
  explicit Fd(int f) : fd(f) {}
  Fd(Fd&& other) noexcept : fd(std::exchange(other.fd, -1)) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  Fd& operator=(Fd&&) = delete;
  ~Fd() {
    reset();
  }
  void reset() {
    if (fd >= 0) ::close(fd);
    fd = -1;
  }
};

struct SpawnActions {
  posix_spawn_file_actions_t actions;
  SpawnActions() {
    posix_spawn_file_actions_init(&actions);
  }
  SpawnActions(const SpawnActions&) = delete;
  SpawnActions& operator=(const SpawnActions&) = delete;
  ~SpawnActions() {
    posix_spawn_file_actions_destroy(&actions);
  }
};

// `input` in a temporary file, unlinked at once and rewound, to become the
// child's standard input (see run_subprocess); /dev/null when empty.
Fd input_file(const std::string& input, const std::string& command) {
  if (input.empty()) {
    Fd null(::open("/dev/null", O_RDONLY | O_CLOEXEC));
    TORCH_CHECK(null.fd >= 0, "cannot open /dev/null to run ", command, ": ", errno_str(errno));
    return null;
  }
  std::string name = temp_template("hnet_stdin");
  Fd file(::mkostemp(name.data(), O_CLOEXEC));
  TORCH_CHECK(
      file.fd >= 0, "cannot create a temporary file ", name, " for the input of ", command, ": ",
      errno_str(errno));
  ::unlink(name.c_str());
  const char* data = input.data();
  size_t left = input.size();
  while (left > 0) {
    ssize_t n = ::write(file.fd, data, left);
    if (n < 0 && errno == EINTR) continue;
    TORCH_CHECK(
        n > 0, "cannot write the temporary file ", name, " for the input of ", command, ": ",
        errno_str(n < 0 ? errno : EIO));
    data += n;
    left -= static_cast<size_t>(n);
  }
  TORCH_CHECK(
      ::lseek(file.fd, 0, SEEK_SET) == 0, "cannot rewind ", name, " for the input of ", command,
      ": ", errno_str(errno));
  return file;
}

// Reads both pipes until they close or `deadline` passes (then kills `pid`).
void collect_output(
    pid_t pid, Fd& out_read, Fd& err_read, std::chrono::steady_clock::time_point deadline,
    size_t max_err_bytes, const std::string& command, SubprocessResult& result) {
  while (out_read.fd >= 0 || err_read.fd >= 0) {
    pollfd fds[2] = {{out_read.fd, POLLIN, 0}, {err_read.fd, POLLIN, 0}};
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      result.timed_out = true;
      ::kill(pid, SIGKILL);
      return;
    }
    int ready = ::poll(fds, 2, static_cast<int>(left.count()));
    if (ready < 0 && errno == EINTR) continue;
    TORCH_CHECK(ready >= 0, "cannot wait for ", command, ": ", errno_str(errno));
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) continue;
      char chunk[1 << 16];
      ssize_t n = ::read(fds[i].fd, chunk, sizeof(chunk));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        (i == 0 ? out_read : err_read).reset();
      } else if (i == 0) {
        result.out.append(chunk, static_cast<size_t>(n));
      } else {
        size_t room = max_err_bytes - std::min(max_err_bytes, result.err.size());
        result.err.append(chunk, std::min(room, static_cast<size_t>(n)));
      }
    }
  }
}

}  // namespace

std::string command_text(const std::vector<std::string>& args) {
  std::string out;
  for (const auto& a : args) out += (out.empty() ? "" : " ") + a;
  return out;
}

SubprocessResult run_subprocess(
    const std::vector<std::string>& args, const std::string& input,
    std::chrono::milliseconds timeout, size_t max_err_bytes) {
  TORCH_CHECK(!args.empty(), "run_subprocess: args must name a program, got none");
  const std::string command = command_text(args);
  Fd in = input_file(input, command);
  int out_pipe[2], err_pipe[2];
  TORCH_CHECK(
      ::pipe2(out_pipe, O_CLOEXEC) == 0, "cannot create a pipe to run ", command, ": ",
      errno_str(errno));
  Fd out_read(out_pipe[0]), out_write(out_pipe[1]);
  TORCH_CHECK(
      ::pipe2(err_pipe, O_CLOEXEC) == 0, "cannot create a pipe to run ", command, ": ",
      errno_str(errno));
  Fd err_read(err_pipe[0]), err_write(err_pipe[1]);

  // dup2 onto 0, 1 and 2 clears close-on-exec there; every other descriptor
  // of ours is close-on-exec, so the child inherits nothing else.
  SpawnActions spawn;
  posix_spawn_file_actions_adddup2(&spawn.actions, in.fd, 0);
  posix_spawn_file_actions_adddup2(&spawn.actions, out_write.fd, 1);
  posix_spawn_file_actions_adddup2(&spawn.actions, err_write.fd, 2);
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);

  SubprocessResult result;
  pid_t pid = -1;
  result.spawn_error = ::posix_spawnp(&pid, argv[0], &spawn.actions, nullptr, argv.data(), environ);
  if (result.spawn_error != 0) return result;
  out_write.reset();
  err_write.reset();

  collect_output(
      pid, out_read, err_read, std::chrono::steady_clock::now() + timeout, max_err_bytes, command,
      result);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    TORCH_CHECK(errno == EINTR, "cannot wait for ", command, ": ", errno_str(errno));
  }
  result.signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
  result.exit_status = WIFEXITED(status) ? WEXITSTATUS(status) : 0;
  return result;
}

}  // namespace hnet::io::detail
