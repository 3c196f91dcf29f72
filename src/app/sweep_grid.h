#pragma once
// What hnet sweep's two kinds of grid (hnet train and hnet neumeta configs)
// share: the grid's points, their folders, and the checks made before any
// point runs. Internal to the app layer.

#include <cstdint>
#include <string>
#include <vector>

#include "hnet/app/sweep.h"

namespace hnet {

/// DIR/point-<index>.
std::string sweep_point_folder(const std::string& dir, size_t index);

/// The overrides of every grid point, the last axis varying fastest.
std::vector<std::vector<std::string>> sweep_points(const std::vector<SweepAxis>& axes);

/// The overrides joined by spaces.
std::string joined_overrides(const std::vector<std::string>& parts);

/// c10::ValueError for an empty grid or folder name, an axis over
/// `eval.split` or `eval.scenario`, or a grid of more than max_points.
void check_sweep_grid(
    const std::vector<SweepAxis>& axes, const std::string& dir, int64_t max_points);

}  // namespace hnet
