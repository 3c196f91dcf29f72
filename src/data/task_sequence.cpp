#include "hnet/data/task_sequence.h"

#include <ATen/ATen.h>

#include "hnet/errors.h"
#include "hnet/finite.h"

namespace hnet::data {
namespace {

TaskData subset(
    const torch::Tensor& images, const torch::Tensor& labels, const torch::Tensor& rows) {
  return {images.index_select(0, rows), labels.index_select(0, rows), {}};
}

Dataset limited(const Dataset& d, int64_t limit) {
  if (limit <= 0 || limit >= d.size()) return d;
  return {d.images.narrow(0, 0, limit), d.labels.narrow(0, 0, limit)};
}

}  // namespace

torch::Tensor TaskData::inputs(const torch::Tensor& index) const {
  auto x = images.index_select(0, index);
  return permutation.defined() ? x.index_select(1, permutation) : x;
}

torch::Tensor TaskData::inputs(int64_t start, int64_t length) const {
  auto x = images.narrow(0, start, length);
  return permutation.defined() ? x.index_select(1, permutation) : x;
}

SequenceKind parse_sequence_kind(const std::string& name) {
  if (name == "split") return SequenceKind::kSplit;
  if (name == "permuted") return SequenceKind::kPermuted;
  HNET_CHECK_INPUT(false, "task sequence must be one of split, permuted; got '", name, "'");
}

std::vector<Task> make_task_sequence(
    const Dataset& train_set, const Dataset& test_set, const TaskSequenceOptions& o) {
  HNET_CHECK_INPUT(o.tasks() >= 1, "tasks must be >= 1, got ", o.tasks());
  HNET_CHECK_INPUT(
      o.val_fraction() >= 0 && o.val_fraction() <= 0.5, "val_fraction must be in [0, 0.5], got ",
      o.val_fraction());
  const Dataset train = limited(train_set, o.train_limit());
  const Dataset test = limited(test_set, o.test_limit());
  HNET_CHECK_INPUT(
      train.size() > 0 && test.size() > 0, "task sequence: empty training or test set");
  // Checked once here, so no training step has to look for NaN in its batch.
  for (const auto* d : {&train, &test}) {
    const std::string bad = describe_nonfinite(d->images);
    HNET_CHECK_INPUT(
        bad.empty(), "task sequence: the ", d == &train ? "training" : "test", " images hold ",
        bad);
  }
  auto gen = at::make_generator<at::CPUGeneratorImpl>(o.seed());
  auto train_x = train.images.reshape({train.size(), -1});
  auto test_x = test.images.reshape({test.size(), -1});
  const int64_t dim = train_x.size(1);
  const int64_t classes = train.labels.max().item<int64_t>() + 1;
  const auto image_shape = train.images.sizes().slice(1).vec();

  // One shuffled train/validation split of the base training set.
  auto order = torch::randperm(train.size(), gen, torch::kLong);
  const int64_t val_count = static_cast<int64_t>(o.val_fraction() * train.size());
  auto val_rows = std::get<0>(order.narrow(0, 0, val_count).sort());
  auto train_rows = std::get<0>(order.narrow(0, val_count, train.size() - val_count).sort());

  std::vector<Task> tasks;
  if (o.kind() == SequenceKind::kSplit) {
    HNET_CHECK_INPUT(
        o.tasks() <= classes / 2, "split: tasks must be <= ", classes / 2, " (", classes,
        " classes, 2 per task), got ", o.tasks());
    for (int64_t k = 0; k < o.tasks(); ++k) {
      auto pick = [&](const torch::Tensor& x, const torch::Tensor& y, const torch::Tensor& rows) {
        auto ys = y.index_select(0, rows);
        auto mine = rows.masked_select((ys == 2 * k) | (ys == 2 * k + 1));
        TaskData d = subset(x, y, mine);
        d.labels = d.labels - 2 * k;
        return d;
      };
      Task t;
      t.name = "classes " + std::to_string(2 * k) + "/" + std::to_string(2 * k + 1);
      t.classes = 2;
      t.image_shape = image_shape;
      t.train = pick(train_x, train.labels, train_rows);
      t.val = pick(train_x, train.labels, val_rows);
      t.test = pick(test_x, test.labels, torch::arange(test.size()));
      HNET_CHECK_INPUT(t.train.size() > 0, "split: task ", k + 1, " has no training examples");
      tasks.push_back(std::move(t));
    }
    return tasks;
  }
  const TaskData base_train = subset(train_x, train.labels, train_rows);
  const TaskData base_val = subset(train_x, train.labels, val_rows);
  const TaskData base_test{test_x, test.labels, {}};
  for (int64_t k = 0; k < o.tasks(); ++k) {
    Task t;
    t.name = "permutation " + std::to_string(k + 1);
    t.classes = classes;
    t.image_shape = image_shape;
    auto perm = k == 0 ? torch::Tensor() : torch::randperm(dim, gen, torch::kLong);
    t.train = base_train;
    t.val = base_val;
    t.test = base_test;
    t.train.permutation = t.val.permutation = t.test.permutation = perm;
    tasks.push_back(std::move(t));
  }
  return tasks;
}

}  // namespace hnet::data
