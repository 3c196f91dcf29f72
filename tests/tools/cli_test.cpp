// The hnet executable end to end: exit statuses and one-line errors.

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "hnet/app/continual_experiment.h"
#include "hnet/app/neumeta_run.h"
#include "hnet/data/fashion_mnist.h"
#include "hnet/io/safetensors.h"
#include "support/test_support.h"

namespace hnet {
namespace {

struct Run {
  int status;
  std::string out;
  std::string err;
};

Run run_cli(const std::string& args) {
  const std::string err_path =
      ::testing::TempDir() + "/hnet_cli_stderr_" + std::to_string(getpid()) + ".txt";
  const std::string cmd = std::string(HNET_CLI_PATH) + " " + args + " 2>" + err_path;
  Run r{};
  FILE* pipe = popen(cmd.c_str(), "r");
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, pipe)) > 0) r.out.append(buf, n);
  const int raw = pclose(pipe);
  r.status = WIFEXITED(raw) ? WEXITSTATUS(raw) : 128 + WTERMSIG(raw);
  {
    std::ifstream err(err_path);
    r.err.assign(std::istreambuf_iterator<char>(err), {});
  }
  std::remove(err_path.c_str());
  return r;
}

int lines(const std::string& s) {
  return static_cast<int>(std::count(s.begin(), s.end(), '\n'));
}

TEST(Cli, UsageErrorsExitWithTwoAndOneLine) {
  for (const char* args : {"", "frobnicate", "demo --bogus", "train --out", "inspect"}) {
    SCOPED_TRACE(args);
    auto r = run_cli(args);
    EXPECT_EQ(r.status, 2);
    EXPECT_EQ(lines(r.err), 1) << r.err;
  }
}

TEST(Cli, MissingFilesAreNamed) {
  auto r = run_cli("inspect /nonexistent/w.safetensors");
  EXPECT_EQ(r.status, 2);
  EXPECT_THAT(r.err, ::testing::HasSubstr("/nonexistent/w.safetensors"));
  EXPECT_EQ(lines(r.err), 1);
  r = run_cli("demo data.root=/nonexistent/fmnist --out " + test::scratch_dir() + "/demo");
  EXPECT_EQ(r.status, 2);
  EXPECT_THAT(r.err, ::testing::HasSubstr("/nonexistent/fmnist"));
  EXPECT_EQ(lines(r.err), 1);
}

TEST(Cli, ListKeysPrintsTheSchemaWithoutAConfig) {
  auto r = run_cli("train --list-keys");
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, continual_config_schema().describe());
  EXPECT_THAT(
      r.out, ::testing::ContainsRegex("\ndata\\.val_fraction +float +0\\.1 +in \\[0, 0\\.5\\]"));
  EXPECT_EQ(lines(r.out), static_cast<int>(continual_config_schema().keys().size()));
  r = run_cli("neumeta --list-keys");
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, neumeta_config_schema().describe());
  r = run_cli("neumeta");
  EXPECT_EQ(r.status, 2);
  EXPECT_THAT(r.err, ::testing::HasSubstr("neumeta: a CONFIG file is required"));
}

TEST(Cli, InspectListsTensors) {
  const std::string path = test::scratch_dir() + "/w.safetensors";
  io::save_safetensors(
      path, {{"fc1.weight", torch::zeros({3, 4})}, {"ids", torch::zeros({2}, torch::kLong)}},
      {{"target", "mlp"}});
  auto r = run_cli("inspect " + path);
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_THAT(r.out, ::testing::HasSubstr("fc1.weight\tFloat\t[3, 4]"));
  EXPECT_THAT(r.out, ::testing::HasSubstr("ids\tLong\t[2]"));
  EXPECT_THAT(r.out, ::testing::HasSubstr("# target: mlp"));
}

// `hnet demo` is the job `make demo` runs (configs/demo.yaml, built in), here
// on a slice of the data and a short schedule.
TEST(Cli, DemoRunsTheDemoConfig) {
  if (!std::filesystem::exists(data::default_data_root() + "/t10k-images-idx3-ubyte.gz")) {
    GTEST_SKIP() << "Fashion-MNIST not installed";
  }
  const std::string dir = test::scratch_dir() + "/demo";
  auto r = run_cli(
      "demo tasks=2 threads=1 data.train_limit=2000 data.test_limit=400 optimizer.steps=10 "
      "target.hidden=[16] --out " +
      dir);
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_THAT(r.out, ::testing::HasSubstr("mean final accuracy 0."));
  std::ifstream config(dir + "/config.yaml");
  const std::string text(std::istreambuf_iterator<char>(config), {});
  EXPECT_THAT(text, ::testing::HasSubstr("subset: 2"));  // from configs/demo.yaml
  EXPECT_TRUE(std::filesystem::exists(dir + "/summary.json"));
}

}  // namespace
}  // namespace hnet
