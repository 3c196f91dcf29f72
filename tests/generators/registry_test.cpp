// The generator registry: every kind builds, unknown kinds are bad input
// naming the known ones, and the recorded interval support is what
// forward_interval does.

#include "hnet/generators/registry.h"

#include "hnet/count.h"
#include "hnet/generators/chunked_generator.h"
#include "hnet/generators/low_rank_generator.h"
#include "hnet/io/module_state.h"
#include "hnet/targets/mlp.h"
#include "support/test_support.h"

namespace hnet {
namespace {

std::shared_ptr<const Spec> registry_spec() {
  return Mlp(MlpOptions({6, 5, 3}))->spec();  // 53 values
}

GeneratorOptions small_options() {
  return GeneratorOptions(4).hidden({8}).chunk_size(7).embedding_dim(3);
}

TEST(GeneratorRegistry, ListsTheKindsTheConfigNames) {
  EXPECT_EQ(
      generator_kinds(),
      (std::vector<std::string>{"chunked", "full", "layerwise", "lowrank", "recurrent"}));
  EXPECT_EQ(interval_generator_kinds(), (std::vector<std::string>{"chunked", "full"}));
}

TEST(GeneratorRegistry, EveryKindBuildsAndEmitsTheSpecsNumel) {
  for (const auto& kind : generator_kinds()) {
    SCOPED_TRACE(kind);
    test::seed_torch();
    auto gen = make_generator(kind, registry_spec(), small_options(), LowRankOptions(1));
    ASSERT_NE(gen, nullptr);
    EXPECT_EQ(gen->spec()->numel(), 53);
    EXPECT_EQ(gen->forward(torch::randn({2, 4})).sizes(), torch::IntArrayRef({2, 53}));
  }
}

TEST(GeneratorRegistry, CountsEveryKindsParametersWithoutBuilding) {
  // Two layers of the same shape exercise layerwise's shared head; two
  // LSTM layers, recurrent's stack; MIP, the theta0 of every kind.
  const auto spec = Mlp(MlpOptions({6, 5, 5, 3}))->spec();
  const std::vector<GeneratorOptions> settings{
      small_options(), GeneratorOptions(4).hidden({9, 9}).chunk_size(11).embedding_dim(2).output(
                           OutputOptions().mode(OutputMode::kMip))};
  for (const auto& options : settings) {
    for (const auto& kind : generator_kinds()) {
      SCOPED_TRACE(kind);
      test::seed_torch();
      const LowRankOptions rank(2);
      auto gen = make_generator(kind, spec, options, rank);
      EXPECT_EQ(
          generator_parameter_count(kind, *spec, options, rank),
          io::parameter_count(gen->as_module()));
    }
  }
  EXPECT_THROW(generator_parameter_count("dense", *spec, small_options()), c10::ValueError);
}

TEST(GeneratorRegistry, CountsSaturateInsteadOfOverflowing) {
  // 2^62 values times a 65536-wide head would wrap int64 to a negative count
  // that passes any budget.
  Spec huge;
  huge.add_weight("w", {int64_t{1} << 31, int64_t{1} << 31}, 1.0);
  const auto options = GeneratorOptions(4).hidden({65536}).chunk_size(1).embedding_dim(65536);
  for (const auto& kind : {"full", "chunked", "layerwise", "recurrent"}) {
    SCOPED_TRACE(kind);
    EXPECT_EQ(generator_parameter_count(kind, huge, options), kCountMax);
  }
}

TEST(GeneratorRegistry, PassesTheLowRankOptionsOn) {
  auto gen = make_generator(
      "lowrank", registry_spec(), small_options(), LowRankOptions(2).dense({"fc2.weight"}));
  auto* low_rank = dynamic_cast<LowRankGeneratorImpl*>(gen.get());
  ASSERT_NE(low_rank, nullptr);
  EXPECT_EQ(low_rank->low_rank.rank(), 2);
  EXPECT_EQ(low_rank->layout().matrices(), 1u);  // fc1 only
  // The default rank is the configuration's, 4: too high for fc2 [3, 5].
  EXPECT_THROW_WITH(
      make_generator("lowrank", registry_spec(), small_options()),
      "rank must be in [1, min(out, in)] = [1, 3] for fc2.weight [3, 5], got 4");
  EXPECT_NE(
      dynamic_cast<ChunkedGeneratorImpl*>(
          make_generator("chunked", registry_spec(), small_options()).get()),
      nullptr);
}

TEST(GeneratorRegistry, UnknownKindIsBadInputListingTheKinds) {
  const std::string message =
      "generator kind must be one of [chunked, full, layerwise, lowrank, recurrent], got 'dense'";
  EXPECT_THAT(
      [] { make_generator("dense", registry_spec(), small_options()); },
      ::testing::ThrowsMessage<c10::ValueError>(::testing::HasSubstr(message)));
  EXPECT_THAT(
      [] { generator_supports_interval("dense"); },
      ::testing::ThrowsMessage<c10::ValueError>(::testing::HasSubstr(message)));
}

TEST(GeneratorRegistry, IntervalSupportIsWhatForwardIntervalDoes) {
  for (const auto& kind : generator_kinds()) {
    SCOPED_TRACE(kind);
    test::seed_torch();
    auto gen = make_generator(kind, registry_spec(), small_options(), LowRankOptions(1));
    const auto cond = Interval{torch::randn({2, 4}), torch::full({2, 4}, 0.1)};
    const std::string error = test::error_message([&] { gen->forward_interval(cond); });
    if (generator_supports_interval(kind)) {
      EXPECT_EQ(error, "");
    } else {
      EXPECT_THAT(error, ::testing::HasSubstr("interval propagation"));
      EXPECT_THAT(
          error, ::testing::HasSubstr("the generator kinds that support it: chunked, full"));
    }
  }
}

}  // namespace
}  // namespace hnet
