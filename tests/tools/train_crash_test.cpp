// Crash consistency of `hnet train`: the process is killed with SIGKILL at
// chosen points (before the first checkpoint, right after a checkpoint,
// inside a checkpoint write, mid-task), and every time the run folder must
// hold a loadable checkpoint (or none yet) and `--resume` must end with
// exactly the results and metrics.jsonl of an uninterrupted run.

#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <thread>

#include "hnet/io/safetensors.h"
#include "support/cli_process.h"
#include "support/test_support.h"

namespace hnet {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

// Where a run is killed: through a fault-injection variable (writes count
// from 1: config.yaml, checkpoints after tasks 1-3, summary.json), or from
// outside once metrics.jsonl shows a step line of `task`.
struct KillPoint {
  std::string label;
  std::string env;       // "" for a kill from outside
  int task = 0;          // for a kill from outside
  int tasks_saved = -1;  // tasks_done of the checkpoint left (-1: none; -2: any)
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
    return test::run_hnet({"train", config_, "--out", run}, env, dir_.string());
  }
  test::CliResult resume(const std::string& run) {
    return test::run_hnet({"train", "--resume", run}, {}, dir_.string());
  }

  // Starts a run and kills it once metrics.jsonl holds a step line of `task`.
  int kill_during_task(const std::string& run, int task) {
    const pid_t pid = test::spawn_hnet(
        {"train", config_, "--out", run}, {}, path("killed.out"), path("killed.err"));
    const std::string marker = "\"task\":" + std::to_string(task) + "}";
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (test::slurp(run + "/metrics.jsonl").find(marker) == std::string::npos &&
           std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    ::kill(pid, SIGKILL);
    return test::wait_for(pid);
  }
};

TEST_F(TrainCrashTest, EveryKillPointLeavesALoadableCheckpointAndResumesToTheSameResult) {
  const std::string reference = path("reference");
  auto r = train(reference);
  ASSERT_EQ(r.status, 0) << r.err;
  const json expected = json::parse(test::slurp(reference + "/summary.json"));
  const std::string expected_metrics = test::slurp(reference + "/metrics.jsonl");

  const std::vector<KillPoint> points = {
      {"while writing config.yaml", "HNET_FAULT_KILL_IN_WRITE=1", 0, -1},
      {"mid task 1", "", 1, -1},
      {"right after checkpoint 1", "HNET_FAULT_KILL_AFTER_WRITE=2", 0, 1},
      {"while writing checkpoint 2", "HNET_FAULT_KILL_IN_WRITE=3", 0, 1},
      {"mid task 2", "", 2, -2},
      {"right after the last checkpoint", "HNET_FAULT_KILL_AFTER_WRITE=4", 0, 3},
      {"while writing summary.json", "HNET_FAULT_KILL_IN_WRITE=5", 0, 3},
  };
  for (size_t i = 0; i < points.size(); ++i) {
    const KillPoint& p = points[i];
    SCOPED_TRACE(p.label);
    const std::string run = path("run" + std::to_string(i));
    const int status = p.env.empty() ? kill_during_task(run, p.task) : train(run, {p.env}).status;
    ASSERT_EQ(status, 128 + SIGKILL) << "the run was not killed";

    const std::string ckpt = run + "/checkpoint.safetensors";
    const bool saved = fs::exists(ckpt);
    if (p.tasks_saved == -1) {
      EXPECT_FALSE(saved);
    } else if (p.tasks_saved >= 0) {
      ASSERT_TRUE(saved);
    }
    if (saved) {
      const auto file = io::load_safetensors(ckpt);  // throws if damaged
      const int done = std::stoi(file.metadata.at("tasks_done"));
      if (p.tasks_saved >= 0) {
        EXPECT_EQ(done, p.tasks_saved);
      }
      std::printf("[ killed    ] %s: checkpoint holds %d of 3 tasks\n", p.label.c_str(), done);
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
