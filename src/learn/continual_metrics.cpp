#include "hnet/learn/continual_metrics.h"

#include <c10/util/Exception.h>

#include <algorithm>

namespace hnet {

ForgettingMetrics forgetting_metrics(const std::vector<std::vector<double>>& acc, int64_t rows) {
  TORCH_CHECK(rows >= -1, "forgetting_metrics: rows must be -1 (all) or >= 0, got ", rows);
  const int64_t t = rows < 0 ? static_cast<int64_t>(acc.size()) : rows;
  TORCH_CHECK(
      t <= static_cast<int64_t>(acc.size()), "forgetting_metrics: ", t,
      " rows asked of a matrix of ", acc.size());
  for (int64_t i = 0; i < t; ++i) {
    TORCH_CHECK(
        static_cast<int64_t>(acc[i].size()) > i, "forgetting_metrics: row ", i, " holds ",
        acc[i].size(), " entries, expected at least ", i + 1);
  }
  ForgettingMetrics out;
  if (t < 2) return out;
  const auto& final_row = acc[t - 1];
  for (int64_t j = 0; j + 1 < t; ++j) {
    double best = acc[j][j];
    for (int64_t i = j + 1; i + 1 < t; ++i) best = std::max(best, acc[i][j]);
    out.forgetting += best - final_row[j];
    out.bwt += final_row[j] - acc[j][j];
  }
  out.forgetting /= static_cast<double>(t - 1);
  out.bwt /= static_cast<double>(t - 1);
  return out;
}

}  // namespace hnet
