#include "hnet/ghn/architecture_sets.h"

#include <fstream>
#include <nlohmann/json.hpp>

#include "hnet/ghn/graph.h"
#include "hnet/targets/conv_net.h"
#include "hnet/targets/module_adapter.h"
#include "hnet/targets/res_net.h"
#include "support/cli_process.h"

namespace hnet {
namespace {

using json = nlohmann::json;

class ArchitectureSetsTest : public test::ScratchDirTest {};

// The reference architectures are the networks of hnet's own targets:
// same parameter count and the same output size on a 28x28 image.
TEST(ReferenceArchitectures, MatchHnetsTargets) {
  ConvNet lenet{ConvNetOptions{}};
  EXPECT_EQ(architecture_params(lenet_architecture()), lenet->spec()->numel());
  ResNet resnet(ResNetOptions().depth(20).in_channels(1).width(16));
  EXPECT_EQ(architecture_params(resnet20_architecture()), resnet->spec()->numel());
  ArchNet net(resnet20_architecture());
  EXPECT_EQ(net->forward(torch::zeros({2, 1, 28, 28})).sizes(), (std::vector<int64_t>{2, 10}));
  // 19 convolutions and 2 projections, all with a batch norm.
  int convs = 0, norms = 0;
  for (const auto& l : resnet20_architecture().layers) {
    convs += l.op == "conv";
    norms += l.op == "batch_norm";
  }
  EXPECT_EQ(convs, 21);
  EXPECT_EQ(norms, 21);
}

TEST(ArchitectureSets, SizesKindsAndDistinctness) {
  const ArchSpaceOptions space;
  const auto sets = make_architecture_sets(space, 7, 30, 12);
  ASSERT_EQ(sets.test.size(), 30u);
  ASSERT_EQ(sets.ood.size(), 12u);
  EXPECT_EQ(
      sets.ood_kinds, (std::vector<std::string>{
                          "wide", "wide", "wide", "wide", "wide", "deep", "deep", "deep", "deep",
                          "deep", "lenet", "resnet20"}));
  EXPECT_EQ(sets.keys().size(), 42u);
  // Wide ones are wider than anything in the space, deep ones have 4 stages.
  for (size_t i = 0; i < 5; ++i) {
    int64_t widest = 0;
    for (const auto& l : sets.ood[i].layers) {
      if (l.op == "conv") widest = std::max(widest, l.out);
    }
    EXPECT_GE(widest, 64) << i;
  }
  for (size_t i = 5; i < 10; ++i) {
    int pools = 0, convs = 0;
    for (const auto& l : sets.ood[i].layers) {
      pools += l.op == "max_pool" || l.op == "avg_pool";
      convs += l.op == "conv";
    }
    EXPECT_GE(convs, 4) << i;
  }
  // Same seed, same sets; another seed, other test architectures.
  EXPECT_EQ(make_architecture_sets(space, 7, 30, 12).keys(), sets.keys());
  EXPECT_NE(make_architecture_sets(space, 8, 30, 12).keys(), sets.keys());
}

TEST_F(ArchitectureSetsTest, FileRoundTripAndDamageNamed) {
  const auto sets = make_architecture_sets(ArchSpaceOptions(), 3, 5, 4);
  const auto file = path("archs.json");
  save_architecture_sets(file, sets);
  const auto back = load_architecture_sets(file);
  EXPECT_EQ(back.keys(), sets.keys());
  EXPECT_EQ(back.ood_kinds, sets.ood_kinds);
  auto damaged = [&](const std::function<void(json&)>& edit) {
    json j = json::parse(test::slurp(file));
    edit(j);
    std::ofstream(path("bad.json")) << j.dump();
    return test::error_message([&] { load_architecture_sets(path("bad.json")); });
  };
  EXPECT_THAT(
      damaged([](json& j) { j["format"] = "other"; }),
      ::testing::HasSubstr("not an architecture-set file"));
  EXPECT_THAT(
      damaged([](json& j) { j["ood_kinds"][0] = "huge"; }),
      ::testing::HasSubstr("unknown ood kind \"huge\""));
  EXPECT_THAT(
      damaged([](json& j) { j["test"][2]["layers"][0]["out"] = -3; }),
      ::testing::HasSubstr("test[2]: layer 0"));
  EXPECT_THAT(
      damaged([](json& j) { j["ood"][0]["layers"][0]["inputs"] = {"fc_missing"}; }),
      ::testing::HasSubstr("ood[0]"));
  std::ofstream(path("junk.json")) << "{not json";
  EXPECT_THAT(
      test::error_message([&] { load_architecture_sets(path("junk.json")); }),
      ::testing::HasSubstr("junk.json: not JSON"));
}

}  // namespace
}  // namespace hnet
