// The plain export file: its metadata, exactly, and its tensors.

#include "hnet/app/plain_export.h"

#include <nlohmann/json.hpp>

#include "hnet/io/safetensors.h"
#include "hnet/targets/conv_net.h"
#include "support/test_support.h"

namespace hnet {
namespace {

TEST(PlainExport, ArchitectureIsTheOperationListAsJson) {
  PlainNetwork net;
  net.add("flatten");
  net.add("linear")
      .tensor("weight", "fc1.weight", torch::ones({2, 3}))
      .value("composed_from_phm", 2);
  net.activation(Activation::kLeakyRelu);
  net.add("batch_norm").value("eps", 1e-5);
  EXPECT_EQ(
      plain_architecture_json(net),
      R"([{"op":"flatten"},{"composed_from_phm":2,"op":"linear","weight":"fc1.weight"},)"
      R"({"negative_slope":0.01,"op":"leaky_relu"},{"eps":1e-05,"op":"batch_norm"}])");
}

TEST(PlainExport, FileHoldsTensorsPermutationAndMetadata) {
  test::seed_torch();
  const std::string path = test::scratch_dir() + "/plain.safetensors";
  ConvNet target(ConvNetOptions().image_size(16).channels({2, 2}).hidden(3).classes(2));
  Weights w(target->spec(), torch::randn({target->spec()->numel()}));
  const auto net = target->plain_network(w);
  const auto perm = torch::randperm(256, torch::kLong);
  save_plain_export(path, net, {{1, 16, 16}, perm, {1, 16, 16}, {6, 7}}, {{"task", "4"}});

  const auto file = io::load_safetensors(path);
  ASSERT_EQ(file.tensors.size(), net.tensors().size() + 1);
  EXPECT_TRUE(torch::equal(file.get("conv2.weight"), w["conv2.weight"]));
  EXPECT_TRUE(torch::equal(file.get("input_permutation"), perm));
  EXPECT_EQ(file.metadata.at("format"), "hnet-target");
  EXPECT_EQ(file.metadata.at("output"), "logits");
  EXPECT_EQ(file.metadata.at("task"), "4");
  EXPECT_EQ(file.metadata.at("architecture"), plain_architecture_json(net));
  const auto input = nlohmann::json::parse(file.metadata.at("input"));
  EXPECT_EQ(input.at("image_shape"), nlohmann::json({1, 16, 16}));
  EXPECT_EQ(input.at("divide_by"), 255.0);
  EXPECT_EQ(input.at("permutation"), "input_permutation");
  EXPECT_EQ(input.at("shape"), nlohmann::json({1, 16, 16}));
  const auto labels = nlohmann::json::parse(file.metadata.at("labels"));
  EXPECT_EQ(labels.at("classes"), nlohmann::json({6, 7}));

  // No permutation: null, and a flat network's input shape is [D].
  save_plain_export(path, net, {{1, 16, 16}, {}, {}, {0, 1}}, {});
  const auto plain = io::load_safetensors(path);
  const auto flat_input = nlohmann::json::parse(plain.metadata.at("input"));
  EXPECT_TRUE(flat_input.at("permutation").is_null());
  EXPECT_EQ(flat_input.at("shape"), nlohmann::json({256}));
  EXPECT_EQ(plain.tensors.size(), net.tensors().size());
}

}  // namespace
}  // namespace hnet
