// Non-finite numbers in a real `hnet train`: a NaN loss or an infinite
// gradient (injected by hnet_faulty with HNET_FAULT_NONFINITE, see
// tests/support/fault_main.cpp) stops the run with exit status 1 (a failure
// of the run, not bad input) and one line naming the task, the step and the
// tensor, leaves the last good checkpoint as it was, and the run can then be
// resumed with the real hnet.

#include <signal.h>
#include <sys/resource.h>

#include <filesystem>

#include "hnet/io/safetensors.h"
#include "support/cli_process.h"
#include "support/test_support.h"

namespace hnet {
namespace {

namespace fs = std::filesystem;

using TrainNonFiniteTest = test::TinyRunTest;

TEST_F(TrainNonFiniteTest, StopsNamingTaskStepAndTensorAndKeepsTheLastCheckpoint) {
  const struct {
    const char* fault;
    const char* message;
  } cases[] = {
      {"loss:2:3", "continual: task 2 step 3: the loss is nan"},
      {"grad:2:3", "continual: task 2 step 3: the gradient of 'generator."},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.fault);
    const std::string run = path(std::string("run-") + c.fault[0]);
    auto r = test::run_hnet(
        {"train", config_, "--out", run}, {std::string("HNET_FAULT_NONFINITE=") + c.fault},
        dir_.string(), test::Cli::kWithFaults);
    EXPECT_EQ(r.status, 1);
    EXPECT_THAT(r.err, ::testing::HasSubstr(c.message));
    EXPECT_EQ(test::line_count(r.err), 1) << r.err;

    // The checkpoint of task 1 is intact; nothing of task 2 was saved.
    const auto file = io::load_safetensors(run + "/checkpoint.safetensors");
    EXPECT_EQ(file.metadata.at("tasks_done"), "1");
    EXPECT_FALSE(fs::exists(run + "/summary.json"));

    r = test::run_hnet({"train", "--resume", run}, {}, dir_.string());
    EXPECT_EQ(r.status, 0) << r.err;
    EXPECT_TRUE(fs::exists(run + "/summary.json"));
  }
}

// Runs hnet with a 4 KiB file-size limit (SIGXFSZ ignored, so a longer
// write fails with EFBIG, as on a full disk); config.yaml and the metrics fit
// in it, a checkpoint or exported weights do not.
test::CliResult run_with_full_disk(const std::vector<std::string>& args, const std::string& dir) {
  struct rlimit before;
  EXPECT_EQ(::getrlimit(RLIMIT_FSIZE, &before), 0);
  auto* handler = ::signal(SIGXFSZ, SIG_IGN);
  struct rlimit small = before;
  small.rlim_cur = 4096;
  EXPECT_EQ(::setrlimit(RLIMIT_FSIZE, &small), 0);
  auto r = test::run_hnet(args, {}, dir);
  ::setrlimit(RLIMIT_FSIZE, &before);
  ::signal(SIGXFSZ, handler);
  return r;
}

// A disk that fills up is a failure of the run (exit 1), not bad input.
TEST_F(TrainNonFiniteTest, AFullDiskIsARunFailure) {
  auto r = run_with_full_disk({"train", config_, "--out", path("run")}, dir_.string());
  EXPECT_EQ(r.status, 1) << r.err;
  EXPECT_THAT(r.err, ::testing::HasSubstr("checkpoint.safetensors"));
  EXPECT_EQ(test::line_count(r.err), 1) << r.err;
  EXPECT_FALSE(fs::exists(path("run/checkpoint.safetensors")));

  r = test::run_hnet({"train", config_, "--out", path("ok")}, {}, dir_.string());
  ASSERT_EQ(r.status, 0) << r.err;
  r = run_with_full_disk(
      {"generate", path("ok/checkpoint.safetensors"), "--task", "1", "--out",
       path("w.safetensors")},
      dir_.string());
  EXPECT_EQ(r.status, 1) << r.err;
  EXPECT_EQ(test::line_count(r.err), 1) << r.err;
  EXPECT_FALSE(fs::exists(path("w.safetensors")));
}

TEST_F(TrainNonFiniteTest, TheRealCliIgnoresFaultVariables) {
  auto r = test::run_hnet(
      {"train", config_, "--out", path("run")}, {"HNET_FAULT_NONFINITE=loss:1:1"}, dir_.string());
  EXPECT_EQ(r.status, 0) << r.err;
}

TEST_F(TrainNonFiniteTest, MalformedFaultVariableIsNamed) {
  auto r = test::run_hnet(
      {"train", config_, "--out", path("run")}, {"HNET_FAULT_NONFINITE=nan:1"}, dir_.string(),
      test::Cli::kWithFaults);
  EXPECT_EQ(r.status, 2);
  EXPECT_THAT(r.err, ::testing::HasSubstr("HNET_FAULT_NONFINITE must look like loss:TASK:STEP"));
}

}  // namespace
}  // namespace hnet
