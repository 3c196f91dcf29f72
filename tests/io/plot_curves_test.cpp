// Accuracy-against-width line plots: a PNG is written, bad values are named.

#include "hnet/io/plot.h"
#include "support/cli_process.h"

namespace hnet {
namespace {

using ::testing::HasSubstr;

class ImplicitPlotCurves : public test::ScratchDirTest {};

TEST_F(ImplicitPlotCurves, WritesPng) {
  if (!io::gnuplot_available()) GTEST_SKIP() << "gnuplot not installed";
  io::plot_accuracy_curves(
      path("acc.png"), {32, 48, 64},
      {{"generated", {0.8, 0.82, 0.85}}, {"independent", {0.84, 0.85, 0.86}}}, "it's a \"title\"",
      "width");
  const auto bytes = test::slurp(path("acc.png"));
  EXPECT_EQ(bytes.substr(0, 4), "\x89PNG");
  EXPECT_EQ(listing(), std::vector<std::string>{"acc.png"});
}

TEST_F(ImplicitPlotCurves, RejectsBadInput) {
  auto msg = [&](std::vector<double> x, std::vector<io::Curve> c) {
    return test::error_message([&] { io::plot_accuracy_curves(path("a.png"), x, c, "t", "w"); });
  };
  EXPECT_THAT(
      msg({1, 2}, {{"gen", {0.5, 1.5}}}),
      HasSubstr("curve 'gen' value [1] must be in [0, 1], got 1.5"));
  EXPECT_THAT(msg({1, 2}, {{"gen", {0.5}}}), HasSubstr("curve 'gen' has 1 values but x has 2"));
  EXPECT_THAT(msg({}, {{"gen", {}}}), HasSubstr("x must not be empty"));
  EXPECT_THAT(msg({1}, {}), HasSubstr("curves must hold at least one curve"));
  EXPECT_THAT(
      test::error_message([&] {
        io::plot_accuracy_curves(path("missing/a.png"), {1}, {{"g", {0.5}}}, "t", "w");
      }),
      HasSubstr("plot_accuracy_curves: folder"));
  EXPECT_TRUE(listing().empty());
}

}  // namespace
}  // namespace hnet
