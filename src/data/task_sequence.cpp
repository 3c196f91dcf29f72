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

namespace {

// The base data every task is cut from: flattened images, one shuffled
// train / validation split of the training rows, and what a task needs to know.
struct Base {
  torch::Tensor train_x, train_y, test_x, test_y;
  torch::Tensor train_rows, val_rows;
  int64_t classes = 0;
  std::vector<int64_t> image_shape;
};

Base base_of(const Dataset& train, const Dataset& test, double val_fraction, at::Generator& gen) {
  Base b;
  b.train_x = train.images.reshape({train.size(), -1});
  b.test_x = test.images.reshape({test.size(), -1});
  b.train_y = train.labels;
  b.test_y = test.labels;
  b.classes = train.labels.max().item<int64_t>() + 1;
  b.image_shape = train.images.sizes().slice(1).vec();
  auto order = torch::randperm(train.size(), gen, torch::kLong);
  const int64_t val_count = static_cast<int64_t>(val_fraction * train.size());
  b.val_rows = std::get<0>(order.narrow(0, 0, val_count).sort());
  b.train_rows = std::get<0>(order.narrow(0, val_count, train.size() - val_count).sort());
  return b;
}

std::vector<Task> split_tasks(const Base& b, int64_t count) {
  HNET_CHECK_INPUT(
      count <= b.classes / 2, "split: tasks must be <= ", b.classes / 2, " (", b.classes,
      " classes, 2 per task), got ", count);
  std::vector<Task> tasks;
  for (int64_t k = 0; k < count; ++k) {
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
    t.source_classes = {2 * k, 2 * k + 1};
    t.image_shape = b.image_shape;
    t.train = pick(b.train_x, b.train_y, b.train_rows);
    t.val = pick(b.train_x, b.train_y, b.val_rows);
    t.test = pick(b.test_x, b.test_y, torch::arange(b.test_x.size(0)));
    HNET_CHECK_INPUT(t.train.size() > 0, "split: task ", k + 1, " has no training examples");
    tasks.push_back(std::move(t));
  }
  return tasks;
}

std::vector<Task> permuted_tasks(const Base& b, int64_t count, at::Generator& gen) {
  const TaskData base_train = subset(b.train_x, b.train_y, b.train_rows);
  const TaskData base_val = subset(b.train_x, b.train_y, b.val_rows);
  const TaskData base_test{b.test_x, b.test_y, {}};
  std::vector<Task> tasks;
  for (int64_t k = 0; k < count; ++k) {
    Task t;
    t.name = "permutation " + std::to_string(k + 1);
    t.classes = b.classes;
    for (int64_t c = 0; c < b.classes; ++c) t.source_classes.push_back(c);
    t.image_shape = b.image_shape;
    auto perm = k == 0 ? torch::Tensor() : torch::randperm(b.train_x.size(1), gen, torch::kLong);
    t.train = base_train;
    t.val = base_val;
    t.test = base_test;
    t.train.permutation = t.val.permutation = t.test.permutation = perm;
    tasks.push_back(std::move(t));
  }
  return tasks;
}

}  // namespace

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
  const Base base = base_of(train, test, o.val_fraction(), gen);
  return o.kind() == SequenceKind::kSplit ? split_tasks(base, o.tasks())
                                          : permuted_tasks(base, o.tasks(), gen);
}

}  // namespace hnet::data
