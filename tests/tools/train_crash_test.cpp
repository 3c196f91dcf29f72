// Crash consistency of `hnet train`: the process (hnet_faulty) kills itself
// with SIGKILL at exact points (inside a write, right after a checkpoint,
// after a given training step), and every time the run folder must
// hold a loadable checkpoint (or none yet) and `--resume` must end with
// exactly the results and metrics.jsonl of an uninterrupted run.

#include <signal.h>
#include <unistd.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "hnet/io/safetensors.h"
#include "support/cli_process.h"
#include "support/test_support.h"

namespace hnet {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

// Where a run is killed, through a fault-injection variable of hnet_faulty:
// at a write (writes count from 1: config.yaml, checkpoints after tasks 1-3,
// summary.json) or after an exact training step.
struct KillPoint {
  std::string label;
  std::string env;
  int tasks_saved = -1;  // tasks_done of the checkpoint left (-1: none)
};

std::vector<std::string> temporaries(const std::string& dir) {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(dir)) {
    if (e.path().filename().string().find(".tmp.") != std::string::npos) out.push_back(e.path());
  }
  return out;
}

class TrainCrashTest : public test::TinyRunTest {
 protected:
  test::CliResult train(const std::string& run, const std::vector<std::string>& env = {}) {
    return test::run_hnet(
        {"train", config_, "--out", run}, env, dir_.string(), test::Cli::kWithFaults);
  }
  test::CliResult resume(const std::string& run) {
    return test::run_hnet({"train", "--resume", run}, {}, dir_.string());
  }
};

TEST_F(TrainCrashTest, EveryKillPointLeavesALoadableCheckpointAndResumesToTheSameResult) {
  const std::string reference = path("reference");
  auto r = train(reference);
  ASSERT_EQ(r.status, 0) << r.err;
  const json expected = json::parse(test::slurp(reference + "/summary.json"));
  const std::string expected_metrics = test::slurp(reference + "/metrics.jsonl");

  const std::vector<KillPoint> points = {
      {"while writing config.yaml", "HNET_FAULT_KILL_IN_WRITE=1", -1},
      {"mid task 1 (after step 7)", "HNET_FAULT_KILL_AT_STEP=1:7", -1},
      {"right after checkpoint 1", "HNET_FAULT_KILL_AFTER_WRITE=2", 1},
      {"while writing checkpoint 2", "HNET_FAULT_KILL_IN_WRITE=3", 1},
      {"mid task 2 (after step 13)", "HNET_FAULT_KILL_AT_STEP=2:13", 1},
      {"right after the last checkpoint", "HNET_FAULT_KILL_AFTER_WRITE=4", 3},
      {"while writing summary.json", "HNET_FAULT_KILL_IN_WRITE=5", 3},
  };
  for (size_t i = 0; i < points.size(); ++i) {
    const KillPoint& p = points[i];
    SCOPED_TRACE(p.label);
    const std::string run = path("run" + std::to_string(i));
    ASSERT_EQ(train(run, {p.env}).status, 128 + SIGKILL) << "the run was not killed";

    const std::string ckpt = run + "/checkpoint.safetensors";
    const bool saved = fs::exists(ckpt);
    ASSERT_EQ(saved, p.tasks_saved >= 0);
    if (saved) {
      const auto file = io::load_safetensors(ckpt);  // throws if damaged
      EXPECT_EQ(std::stoi(file.metadata.at("tasks_done")), p.tasks_saved);
    }
    EXPECT_FALSE(fs::exists(run + "/summary.json"));

    // No config.yaml: the run never started; the same command starts it over.
    const bool started = fs::exists(run + "/config.yaml");
    r = started ? resume(run) : train(run);
    ASSERT_EQ(r.status, 0) << r.err;
    const json summary = json::parse(test::slurp(run + "/summary.json"));
    EXPECT_EQ(summary["acc_final"], expected["acc_final"]);
    EXPECT_EQ(summary["acc_during"], expected["acc_during"]);
    EXPECT_EQ(summary["train_steps"], expected["train_steps"]);
    EXPECT_EQ(test::slurp(run + "/metrics.jsonl"), expected_metrics);
    EXPECT_TRUE(temporaries(run).empty()) << temporaries(run).front();
  }
}

TEST_F(TrainCrashTest, ResumeWithoutAnythingToResumeIsABadInput) {
  auto r = resume(path("never-ran"));
  EXPECT_EQ(r.status, 2);
  EXPECT_THAT(r.err, ::testing::HasSubstr("nothing to resume"));
  EXPECT_EQ(test::line_count(r.err), 1) << r.err;
  EXPECT_FALSE(fs::exists(path("never-ran")));
}

}  // namespace
}  // namespace hnet
