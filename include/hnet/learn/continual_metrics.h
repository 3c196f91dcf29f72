#pragma once
/// \file
/// What a continual run's accuracy matrix says about forgetting.
///
/// `acc[i][j]` is the test accuracy of task j after learning task i (tasks
/// 0-based, j <= i; entries with j > i, if a row holds them, are ignored).
/// With T rows, the first T - 1 tasks are the ones that could be forgotten:
/// the last task is measured only right after it was learned, so counting it
/// would add a 0 to every mean.

#include <cstdint>
#include <vector>

namespace hnet {

struct ForgettingMetrics {
  /// Average forgetting (Chaudhry et al. 2018, "Riemannian Walk for
  /// Incremental Learning"): over tasks j < T - 1, the best accuracy task j
  /// had before the last task, max over i in [j, T - 2] of acc[i][j], minus
  /// its final accuracy acc[T - 1][j]. >= 0 unless a task got better after
  /// its best earlier point.
  double forgetting = 0;
  /// Backward transfer (Lopez-Paz & Ranzato 2017, "Gradient Episodic Memory
  /// for Continual Learning"): over tasks j < T - 1, the final accuracy
  /// minus the accuracy right after learning task j, acc[j][j]. Negative
  /// when later tasks hurt earlier ones.
  double bwt = 0;
};

/// Both metrics of the first `rows` rows of `acc` (all when `rows` is -1);
/// 0 and 0 with fewer than two rows (no task was learned before another).
/// requires: 0 <= rows <= acc.size() (or -1) and row i holds at least i + 1
///           entries; otherwise throws c10::Error (the matrix comes from the
///           run or from a checked checkpoint, so this is a programming error).
ForgettingMetrics forgetting_metrics(
    const std::vector<std::vector<double>>& acc, int64_t rows = -1);

}  // namespace hnet
