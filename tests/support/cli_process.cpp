#include "support/cli_process.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>

#include "hnet/data/fashion_mnist.h"
#include "hnet/data/idx.h"
#include "support/test_support.h"

extern char** environ;

namespace hnet::test {

namespace {

// Starts argv_s[0] (a path) with argv_s, as spawn_hnet describes.
pid_t spawn_program(
    std::vector<std::string> argv_s, const std::vector<std::string>& env,
    const std::string& out_path, const std::string& err_path) {
  // The parent's environment, minus the names `env` sets again.
  std::vector<std::string> env_s;
  for (char** e = environ; *e; ++e) {
    const std::string entry = *e;
    const std::string name = entry.substr(0, entry.find('='));
    bool replaced = std::any_of(env.begin(), env.end(), [&](const std::string& x) {
      return x.compare(0, name.size() + 1, name + "=") == 0;
    });
    if (!replaced) env_s.push_back(entry);
  }
  env_s.insert(env_s.end(), env.begin(), env.end());
  std::vector<char*> argv, envp;
  for (auto& a : argv_s) argv.push_back(a.data());
  for (auto& e : env_s) envp.push_back(e.data());
  argv.push_back(nullptr);
  envp.push_back(nullptr);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(
      &actions, 1, out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_addopen(
      &actions, 2, err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  pid_t pid = -1;
  const int rc = posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0)
    throw std::runtime_error("posix_spawn " + argv_s[0] + " failed: " + std::to_string(rc));
  return pid;
}

CliResult run_to_end(
    std::vector<std::string> argv, const std::vector<std::string>& env,
    const std::string& log_dir) {
  const std::string dir = log_dir.empty() ? ::testing::TempDir() : log_dir;
  const std::string stem = dir + "/hnet_" + std::to_string(::getpid());
  CliResult r;
  r.status = wait_for(spawn_program(std::move(argv), env, stem + ".out", stem + ".err"));
  r.out = slurp(stem + ".out");
  r.err = slurp(stem + ".err");
  return r;
}

std::vector<std::string> hnet_argv(const std::vector<std::string>& args, Cli cli) {
  std::vector<std::string> argv{cli == Cli::kWithFaults ? HNET_FAULT_CLI_PATH : HNET_CLI_PATH};
  argv.insert(argv.end(), args.begin(), args.end());
  return argv;
}

}  // namespace

pid_t spawn_hnet(
    const std::vector<std::string>& args, const std::vector<std::string>& env,
    const std::string& out_path, const std::string& err_path, Cli cli) {
  return spawn_program(hnet_argv(args, cli), env, out_path, err_path);
}

int wait_for(pid_t pid) {
  int raw = 0;
  while (::waitpid(pid, &raw, 0) < 0) {
    if (errno != EINTR) return -1;
  }
  return WIFEXITED(raw) ? WEXITSTATUS(raw) : 128 + WTERMSIG(raw);
}

CliResult run_hnet(
    const std::vector<std::string>& args, const std::vector<std::string>& env,
    const std::string& log_dir, Cli cli) {
  return run_to_end(hnet_argv(args, cli), env, log_dir);
}

CliResult run_program(const std::vector<std::string>& argv, const std::string& log_dir) {
  return run_to_end(argv, {}, log_dir);
}

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

int line_count(const std::string& s) {
  return static_cast<int>(std::count(s.begin(), s.end(), '\n'));
}

namespace {

// The first `n` rows of a Fashion-MNIST IDX file, as an uncompressed copy.
void copy_head(const std::string& from, const std::string& to, int64_t n) {
  const torch::Tensor t = data::read_idx(from).narrow(0, 0, n).contiguous();
  std::string out = {0, 0, 8, static_cast<char>(t.dim())};
  for (int64_t d : t.sizes())
    for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<char>(d >> shift));
  out.append(static_cast<const char*>(t.data_ptr()), static_cast<size_t>(t.numel()));
  std::ofstream(to, std::ios::binary) << out;
}

}  // namespace

std::string write_tiny_config(const std::string& path, const std::string& extra) {
  // A small copy of the data: a child then needs no 30 MB of gunzip to start.
  const std::string root = std::filesystem::path(path).parent_path() / "fashion-mnist-small";
  std::filesystem::create_directories(root);
  for (const auto& [split, n] :
       have_fashion_mnist()
           ? std::vector<std::pair<std::string, int64_t>>{{"train", 1500}, {"t10k", 300}}
           : std::vector<std::pair<std::string, int64_t>>{}) {
    for (const char* kind : {"-images-idx3-ubyte", "-labels-idx1-ubyte"}) {
      copy_head(
          data::default_data_root() + "/" + split + kind + ".gz", root + "/" + split + kind, n);
    }
  }
  std::ofstream(path) << "method: hypercl\n"
                         "seed: 1\n"
                         "tasks: 3\n"
                         "threads: 1\n"
                         "data: {root: \""
                      << root
                      << "\"}\n"
                         "target: {hidden: [16]}\n"
                         "generator: {hidden: [8], chunk_size: 100, chunk_embedding_dim: 4}\n"
                         "embedding: {dim: 4}\n"
                         "optimizer: {steps: 40, batch_size: 16, lr: 0.005}\n"
                         "log: {every: 5}\n"
                      << extra;
  return path;
}

void TinyRunTest::SetUp() {
  if (!have_fashion_mnist()) GTEST_SKIP() << "Fashion-MNIST not installed";
  ScratchDirTest::SetUp();
  config_ = write_tiny_config(path("tiny.yaml"));
}

bool have_fashion_mnist() {
  return std::filesystem::exists(data::default_data_root() + "/train-images-idx3-ubyte.gz");
}

}  // namespace hnet::test
