#include "hnet/learn/schedule.h"

#include <cmath>

namespace hnet {

double scheduled_lr(double lr, int64_t steps, bool cosine, int64_t step) {
  if (!cosine) return lr;
  const double done = static_cast<double>(step - 1) / static_cast<double>(steps);
  return lr * 0.5 * (1 + std::cos(M_PI * done));
}

void set_learning_rate(torch::optim::Adam& adam, double lr) {
  for (auto& group : adam.param_groups()) {
    static_cast<torch::optim::AdamOptions&>(group.options()).lr(lr);
  }
}

}  // namespace hnet
