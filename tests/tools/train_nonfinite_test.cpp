// Non-finite numbers in a real `hnet train`: a NaN loss or an infinite
// gradient (injected with HNET_FAULT_NONFINITE, see
// hnet/testing/fault_injection.h) stops the run with one line naming the
// task, the step and the tensor, leaves the last good checkpoint as it was,
// and the run can then be resumed.

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
        dir_.string());
    EXPECT_EQ(r.status, 2);
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

TEST_F(TrainNonFiniteTest, MalformedFaultVariableIsNamed) {
  auto r = test::run_hnet(
      {"train", config_, "--out", path("run")}, {"HNET_FAULT_NONFINITE=nan:1"}, dir_.string());
  EXPECT_EQ(r.status, 2);
  EXPECT_THAT(r.err, ::testing::HasSubstr("HNET_FAULT_NONFINITE must look like loss:TASK:STEP"));
}

}  // namespace
}  // namespace hnet
