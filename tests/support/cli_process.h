#pragma once
// Running the hnet executable from tests without a shell: exact arguments,
// extra environment variables (the fault injection of hnet_faulty), and the pid, so a
// test can kill it.

#include <sys/types.h>

#include <string>
#include <vector>

#include "support/test_support.h"

namespace hnet::test {

/// How a child ended and what it printed.
struct CliResult {
  int status = -1;  ///< exit code, or 128 + signal number when killed
  std::string out;
  std::string err;
};

/// Which executable a test runs: the real `hnet`, or `hnet_faulty`, the same
/// command line with the fault injection of tests/support/fault_main.cpp.
enum class Cli { kReal, kWithFaults };

/// Starts `hnet args...` with this process's environment plus `env`
/// ("NAME=value", overriding), stdout and stderr going to `out_path` and
/// `err_path`. Returns the child's pid.
pid_t spawn_hnet(
    const std::vector<std::string>& args, const std::vector<std::string>& env,
    const std::string& out_path, const std::string& err_path, Cli cli = Cli::kReal);

/// Waits for `pid`; its exit code, or 128 + signal number.
int wait_for(pid_t pid);

/// Runs the CLI to its end; output is captured through files in `log_dir`.
CliResult run_hnet(
    const std::vector<std::string>& args, const std::vector<std::string>& env = {},
    const std::string& log_dir = "", Cli cli = Cli::kReal);

/// Runs another program to its end, as run_hnet: argv[0] is its path.
CliResult run_program(const std::vector<std::string>& argv, const std::string& log_dir = "");

/// Whole contents of a file ("" when missing).
std::string slurp(const std::string& path);

/// Lines in `s` (newline characters).
int line_count(const std::string& s);

/// Writes a small continual-learning config (3 split tasks, a tiny target and
/// generator, 1 thread) to `path`, with `extra` YAML lines appended, and the
/// first 1500 training and 300 test images of Fashion-MNIST, uncompressed,
/// next to it (data.root); returns `path`. Runs of it take about a second.
/// requires: have_fashion_mnist().
std::string write_tiny_config(const std::string& path, const std::string& extra = "");

/// True when Debian's Fashion-MNIST files (or HNET_DATA's) are present.
bool have_fashion_mnist();

/// Fixture for tests that run `hnet train`: skips when Fashion-MNIST is
/// missing, else gives a fresh folder holding `config_`, the tiny config.
class TinyRunTest : public ScratchDirTest {
 protected:
  void SetUp() override;
  std::string config_;
};

}  // namespace hnet::test
