#pragma once
// Private to src/io: running a program without a shell, with text on its
// standard input, a time limit, and what it prints collected.

#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

namespace hnet::io::detail {

/// How a `run_subprocess` child ended, and what it printed.
struct SubprocessResult {
  /// errno-style code when the program could not be started; when non-zero,
  /// nothing below is set.
  int spawn_error = 0;
  /// True when the child ran past the timeout and was killed (SIGKILL).
  bool timed_out = false;
  /// The signal that ended the child, or 0 when it exited.
  int signal = 0;
  /// The child's exit status, when it exited (signal == 0).
  int exit_status = 0;
  /// All of standard output.
  std::string out;
  /// The first `max_err_bytes` of standard error; the rest is read and dropped.
  std::string err;
};

/// `args` joined by spaces ("gnuplot --default-settings"), for messages.
std::string command_text(const std::vector<std::string>& args);

/// Runs `args` (args[0] looked up on PATH; no shell, so nothing in them is
/// interpreted) with `input` as its standard input and no other descriptor of
/// ours, until it exits or `timeout` has passed.
///
/// `input` goes through a temporary file in $TMPDIR (or /tmp), unlinked at
/// once, so nothing is left behind and no SIGPIPE can arise should the child
/// exit without reading it; empty input is /dev/null.
///
/// requires: `args` is not empty.
/// ensures:  a failure to start the program is reported in `spawn_error`;
///           throws `c10::Error` naming the command only when the temporary
///           file, the pipes or the waiting fail.
SubprocessResult run_subprocess(
    const std::vector<std::string>& args, const std::string& input,
    std::chrono::milliseconds timeout, size_t max_err_bytes);

}  // namespace hnet::io::detail
