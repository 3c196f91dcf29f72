// Data-parallel `hnet train`: two ranks on loopback, each running half of
// every batch, train as one rank with the whole batch (float tolerance).

#include <gmock/gmock.h>

#include <nlohmann/json.hpp>
#include <sstream>

#include "support/cli_process.h"
#include "support/test_support.h"

namespace hnet {
namespace {

using json = nlohmann::json;

std::vector<json> metric_lines(const std::string& path) {
  std::vector<json> lines;
  std::istringstream in(test::slurp(path));
  for (std::string line; std::getline(in, line);) lines.push_back(json::parse(line));
  return lines;
}

class TrainRanksTest : public test::TinyRunTest {
 protected:
  std::string checkpoint(const std::string& run) {
    return path(run) + "/checkpoint.safetensors";
  }

  void train(const std::string& name, const std::vector<std::string>& extra) {
    std::vector<std::string> args{"train", config_, "--out", path(name)};
    args.insert(args.end(), extra.begin(), extra.end());
    const auto r = test::run_hnet(args, {}, dir_.string());
    ASSERT_EQ(r.status, 0) << r.err;
  }
};

TEST_F(TrainRanksTest, TwoRanksTrainAsOneRankWithTheWholeBatch) {
  train("one", {});
  train("two", {"--nproc", "2", "--timeout", "60"});
  const auto one = metric_lines(path("one") + "/metrics.jsonl");
  const auto two = metric_lines(path("two") + "/metrics.jsonl");
  ASSERT_EQ(one.size(), two.size());
  for (size_t i = 0; i < one.size(); ++i) {
    if (one[i].contains("loss")) {
      EXPECT_NEAR(one[i]["loss"].get<double>(), two[i]["loss"].get<double>(), 1e-4) << i;
      EXPECT_NEAR(one[i]["reg"].get<double>(), two[i]["reg"].get<double>(), 1e-4) << i;
    } else {
      EXPECT_EQ(one[i]["test_acc"].size(), two[i]["test_acc"].size()) << i;
      for (size_t k = 0; k < one[i]["test_acc"].size(); ++k) {
        EXPECT_NEAR(one[i]["test_acc"][k].get<double>(), two[i]["test_acc"][k].get<double>(), 0.01)
            << "line " << i << ", task " << k + 1;
      }
    }
  }
  EXPECT_EQ(test::safetensors_difference(checkpoint("one"), checkpoint("two")), "");
  // A different batch split would change the result: the comparison can fail.
  train("half", {"optimizer.batch_size=8"});
  EXPECT_NE(test::safetensors_difference(checkpoint("one"), checkpoint("half")), "");
}

}  // namespace
}  // namespace hnet
