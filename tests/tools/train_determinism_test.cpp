// Determinism of `hnet train`: with the same seed and thread count two runs
// write byte-identical metrics.jsonl (it holds no wall-clock fields: timing
// goes only to summary.json's wall_seconds), and another seed changes it.

#include <filesystem>

#include "support/cli_process.h"
#include "support/test_support.h"

namespace hnet {
namespace {

class TrainDeterminismTest : public test::TinyRunTest {
 protected:
  // metrics.jsonl of a fresh run with `overrides`.
  std::string metrics_of(const std::string& name, const std::vector<std::string>& overrides) {
    std::vector<std::string> args{"train", config_, "--out", path(name)};
    args.insert(args.end(), overrides.begin(), overrides.end());
    auto r = test::run_hnet(args, {}, dir_.string());
    EXPECT_EQ(r.status, 0) << r.err;
    return test::slurp(path(name) + "/metrics.jsonl");
  }
};

TEST_F(TrainDeterminismTest, SameSeedGivesIdenticalMetricsAndAnotherSeedDoes) {
  const std::string a = metrics_of("a", {"seed=7"});
  const std::string b = metrics_of("b", {"seed=7"});
  const std::string c = metrics_of("c", {"seed=8"});
  // 3 tasks x (40 steps / 5 + 1 evaluation).
  EXPECT_EQ(test::line_count(a), 27);
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
  EXPECT_EQ(a.find("seconds"), std::string::npos) << "metrics.jsonl must hold no timings";
}

}  // namespace
}  // namespace hnet
