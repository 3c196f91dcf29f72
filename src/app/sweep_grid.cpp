#include "sweep_grid.h"

#include <filesystem>

#include "hnet/count.h"
#include "hnet/errors.h"

namespace hnet {

std::string sweep_point_folder(const std::string& dir, size_t index) {
  return (std::filesystem::path(dir) / ("point-" + std::to_string(index))).string();
}

// The overrides of every grid point, the last axis varying fastest.
std::vector<std::vector<std::string>> sweep_points(const std::vector<SweepAxis>& axes) {
  std::vector<std::vector<std::string>> points{{}};
  for (const auto& axis : axes) {
    std::vector<std::vector<std::string>> next;
    for (const auto& point : points) {
      for (const auto& value : axis.values) {
        next.push_back(point);
        next.back().push_back(axis.key + "=" + value);
      }
    }
    points = std::move(next);
  }
  return points;
}

std::string joined_overrides(const std::vector<std::string>& parts) {
  std::string out;
  for (const auto& p : parts) out += (out.empty() ? "" : " ") + p;
  return out;
}

void check_sweep_grid(
    const std::vector<SweepAxis>& axes, const std::string& dir, int64_t max_points) {
  HNET_CHECK_INPUT(!axes.empty(), "sweep: no axis given (key=v1,v2,...)");
  HNET_CHECK_INPUT(!dir.empty(), "sweep: the output folder must not be empty");
  int64_t size = 1;
  for (const auto& axis : axes) {
    HNET_CHECK_INPUT(
        axis.key != "eval.split",
        "sweep: 'eval.split' cannot be an axis (every point is "
        "measured on validation data)");
    HNET_CHECK_INPUT(
        axis.key != "eval.scenario",
        "sweep: 'eval.scenario' cannot be an axis (points are compared in one scenario: "
        "the config's)");
    size = count_mul(size, static_cast<int64_t>(axis.values.size()));
  }
  HNET_CHECK_INPUT(
      size <= max_points, "sweep: the grid has ", size, " points, more than the ", max_points,
      " allowed (--max-points)");
}

}  // namespace hnet
