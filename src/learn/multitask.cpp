// Multi-task dense prediction: task labels, decoders, losses, metrics,
// training and pretraining (multitask.h).

#include "hnet/learn/multitask.h"

#include <ATen/CPUGeneratorImpl.h>
#include <torch/nn/functional/conv.h>
#include <torch/nn/functional/loss.h>
#include <torch/nn/functional/padding.h>
#include <torch/nn/functional/pooling.h>
#include <torch/nn/functional/upsampling.h>
#include <torch/optim/adam.h>

#include <algorithm>
#include <cmath>

#include "hnet/data/epoch_sampler.h"
#include "hnet/errors.h"

namespace hnet::multitask {

namespace F = torch::nn::functional;

namespace {

constexpr double kForegroundThreshold = 0.1;
constexpr double kEdgeScale = 4.0;
constexpr double kDistanceScale = 8.0;

const std::vector<TaskInfo>& known_tasks() {
  static const std::vector<TaskInfo> tasks{
      {"segment", TaskKind::kSegment, "miou", false, kSegmentClasses},
      {"edges", TaskKind::kEdges, "psnr", false, 1},
      {"distance", TaskKind::kDistance, "psnr", false, 1},
      {"classify", TaskKind::kClassify, "acc", false, data::kFashionMnistClasses}};
  return tasks;
}

torch::Tensor sobel_magnitude(const torch::Tensor& images) {
  const auto gx =
      torch::tensor({-1.f, 0.f, 1.f, -2.f, 0.f, 2.f, -1.f, 0.f, 1.f}).view({1, 1, 3, 3});
  const auto gy = gx.transpose(2, 3).contiguous();
  const auto opts = F::Conv2dFuncOptions().padding(1);
  const auto x = F::conv2d(images, gx, opts), y = F::conv2d(images, gy, opts);
  return (x * x + y * y).sqrt() / kEdgeScale;
}

// Erosions of the foreground until it is gone; outside the image counts as background.
torch::Tensor chessboard_distance(const torch::Tensor& mask) {
  auto current = mask;
  auto distance = torch::zeros_like(mask);
  const int64_t most = (std::max(mask.size(2), mask.size(3)) + 1) / 2;
  for (int64_t i = 0; i < most; ++i) {
    distance += current;
    const auto padded = F::pad(current, F::PadFuncOptions({1, 1, 1, 1}).value(0));
    current = -F::max_pool2d(-padded, F::MaxPool2dFuncOptions(3).stride(1));
  }
  return distance / kDistanceScale;
}

// Sums each task's metric parts over batches.
struct MetricSums {
  torch::Tensor confusion;  // segment: [11 * 11] counts, truth-major
  double squared = 0, count = 0, correct = 0;
};

void accumulate(const TaskInfo& task, const torch::Tensor& out, const TaskData& b, MetricSums& s) {
  switch (task.kind) {
    case TaskKind::kSegment: {
      const auto pred = out.argmax(1).reshape(-1);
      const auto truth = b.segment.reshape(-1);
      const auto counts =
          torch::bincount(truth * kSegmentClasses + pred, {}, kSegmentClasses * kSegmentClasses);
      s.confusion = s.confusion.defined() ? s.confusion + counts : counts;
      break;
    }
    case TaskKind::kEdges:
    case TaskKind::kDistance: {
      const auto& target = task.kind == TaskKind::kEdges ? b.edges : b.distance;
      s.squared += (out - target).pow(2).sum().item<double>();
      s.count += static_cast<double>(target.numel());
      break;
    }
    case TaskKind::kClassify:
      s.correct += out.argmax(1).eq(b.labels).sum().item<double>();
      s.count += static_cast<double>(b.labels.numel());
      break;
  }
}

double finish(const TaskInfo& task, const MetricSums& s) {
  switch (task.kind) {
    case TaskKind::kSegment: {
      const auto m = s.confusion.view({kSegmentClasses, kSegmentClasses}).to(torch::kDouble);
      const auto tp = m.diagonal();
      const auto union_ = m.sum(0) + m.sum(1) - tp;
      const auto present = union_ > 0;
      return (tp.masked_select(present) / union_.masked_select(present)).mean().item<double>();
    }
    case TaskKind::kEdges:
    case TaskKind::kDistance:
      // PSNR at peak 1 from the mean squared error over the whole set.
      return -10.0 * std::log10(s.squared / s.count);
    case TaskKind::kClassify:
      return s.correct / s.count;
  }
  return 0;
}

}  // namespace

std::vector<std::string> task_names() {
  std::vector<std::string> names;
  for (const auto& t : known_tasks()) names.push_back(t.name);
  return names;
}

TaskInfo task_info(const std::string& name) {
  for (const auto& t : known_tasks()) {
    if (t.name == name) return t;
  }
  std::string known;
  for (const auto& n : task_names()) known += (known.empty() ? "" : "|") + n;
  HNET_CHECK_INPUT(false, "unknown task '", name, "': expected one of ", known);
  return {};
}

TaskData TaskData::rows(const torch::Tensor& index) const {
  return {
      images.index_select(0, index), labels.index_select(0, index), segment.index_select(0, index),
      edges.index_select(0, index), distance.index_select(0, index)};
}

TaskData derive_task_data(const data::Dataset& d) {
  torch::NoGradGuard no_grad;
  TaskData t;
  t.images = d.images;
  t.labels = d.labels;
  const auto mask = d.images > kForegroundThreshold;
  t.segment = torch::where(
                  mask.squeeze(1),
                  d.labels.view({-1, 1, 1}).expand({-1, d.images.size(2), d.images.size(3)}),
                  torch::full({}, data::kFashionMnistClasses, torch::kLong))
                  .contiguous();
  t.edges = sobel_magnitude(d.images);
  t.distance = chessboard_distance(mask.to(torch::kFloat));
  return t;
}

DecoderImpl::DecoderImpl(
    const std::vector<int64_t>& stage_widths, const TaskInfo& task, int64_t dim, int64_t image_size)
    : dense_(task.kind != TaskKind::kClassify), image_size_(image_size) {
  HNET_CHECK_INPUT(
      !stage_widths.empty(), "decoder of task '", task.name, "': the encoder has no stages");
  HNET_CHECK_INPUT(dim >= 1, "decoder of task '", task.name, "': dim must be >= 1, got ", dim);
  if (!dense_) {
    classifier_ =
        register_module("classifier", torch::nn::Linear(stage_widths.back(), task.outputs));
    return;
  }
  for (size_t s = 0; s < stage_widths.size(); ++s) {
    lateral_.push_back(register_module(
        "lateral" + std::to_string(s),
        torch::nn::Conv2d(torch::nn::Conv2dOptions(stage_widths[s], dim, 1))));
  }
  out_conv_ = register_module(
      "out", torch::nn::Conv2d(torch::nn::Conv2dOptions(dim, task.outputs, 3).padding(1)));
}

torch::Tensor DecoderImpl::forward(const std::vector<torch::Tensor>& stages) {
  if (!dense_) return classifier_(stages.back().mean({2, 3}));
  TORCH_CHECK(
      stages.size() == lateral_.size(), "decoder: ", lateral_.size(), " stages expected, got ",
      stages.size());
  torch::Tensor sum;
  for (size_t s = 0; s < stages.size(); ++s) {
    auto z = lateral_[s](stages[s]);
    if (z.size(2) != image_size_ || z.size(3) != image_size_) {
      z = F::interpolate(
          z, F::InterpolateFuncOptions()
                 .size(std::vector<int64_t>{image_size_, image_size_})
                 .mode(torch::kBilinear)
                 .align_corners(false));
    }
    sum = sum.defined() ? sum + z : z;
  }
  return out_conv_(torch::relu(sum));
}

torch::Tensor task_loss(const TaskInfo& task, const torch::Tensor& out, const TaskData& b) {
  switch (task.kind) {
    case TaskKind::kSegment:
      return F::cross_entropy(out, b.segment);
    case TaskKind::kEdges:
      return F::mse_loss(out, b.edges);
    case TaskKind::kDistance:
      return F::mse_loss(out, b.distance);
    case TaskKind::kClassify:
      return F::cross_entropy(out, b.labels);
  }
  return {};
}

std::vector<torch::Tensor> MultitaskModel::forward(const torch::Tensor& images) {
  std::vector<torch::Tensor> outputs;
  std::vector<torch::Tensor> shared;
  if (!adaptation) shared = encoder->forward(images);
  for (size_t t = 0; t < tasks.size(); ++t) {
    const auto stages =
        adaptation ? encoder->forward(images, adaptation.get(), static_cast<int64_t>(t)) : shared;
    outputs.push_back(decoders[t]->forward(stages));
  }
  return outputs;
}

std::vector<torch::Tensor> trainable_parameters(
    MultitaskModel& model, const MultitaskTrainingOptions& options) {
  std::vector<torch::Tensor> params;
  if (options.train_encoder) {
    for (auto& p : model.encoder->parameters()) params.push_back(p);
  }
  if (model.adaptation) {
    for (auto& p : model.adaptation->parameters()) params.push_back(p);
  }
  for (auto& d : model.decoders) {
    for (auto& p : d->parameters()) params.push_back(p);
  }
  return params;
}

void train_multitask(
    MultitaskModel& model, const TaskData& train, const MultitaskTrainingOptions& o,
    const std::function<void(int64_t, double)>& on_step) {
  const auto params = trainable_parameters(model, o);
  // Frozen means no gradient at all, not merely no update.
  for (auto& p : model.encoder->parameters()) p.set_requires_grad(o.train_encoder);
  torch::optim::Adam optimizer(params, torch::optim::AdamOptions(o.lr));
  data::EpochSampler sampler(train.size(), o.batch_size, o.seed);
  auto rank_draws = at::make_generator<at::CPUGeneratorImpl>(o.seed + 1);
  model.encoder->train();
  // Each task's loss over its value at step 1: an MSE near 1e-3 and a
  // cross-entropy near 2 pull equally on what the tasks share.
  std::vector<double> first_loss;
  for (int64_t step = 1; step <= o.steps; ++step) {
    const auto batch = train.rows(sampler.next());
    if (model.adaptation) model.adaptation->begin_step(rank_draws);
    const auto outputs = model.forward(batch.images);
    torch::Tensor loss;
    double task_sum = 0;
    for (size_t t = 0; t < model.tasks.size(); ++t) {
      const auto l = task_loss(model.tasks[t], outputs[t], batch);
      const double value = l.item<double>();
      if (step == 1) first_loss.push_back(std::max(value, 1e-12));
      task_sum += value / first_loss[t];
      const auto scaled = l / first_loss[t];
      loss = loss.defined() ? loss + scaled : scaled;
    }
    if (model.adaptation) {
      const auto penalty = model.adaptation->penalty();
      if (penalty.defined()) loss = loss + penalty;
    }
    TORCH_CHECK(
        std::isfinite(task_sum), "multitask training: the loss at step ", step, " is not finite (",
        task_sum, "); lower optimizer.lr or optimizer.lr_full");
    optimizer.zero_grad();
    loss.backward();
    optimizer.step();
    if (on_step) on_step(step, task_sum);
  }
  if (model.adaptation) model.adaptation->finish_training();
}

std::vector<double> evaluate_multitask(MultitaskModel& model, const TaskData& d, int64_t batch) {
  torch::NoGradGuard no_grad;
  std::vector<MetricSums> sums(model.tasks.size());
  for (int64_t start = 0; start < d.size(); start += batch) {
    const int64_t n = std::min(batch, d.size() - start);
    const auto b = d.rows(torch::arange(start, start + n));
    const auto outputs = model.forward(b.images);
    for (size_t t = 0; t < model.tasks.size(); ++t)
      accumulate(model.tasks[t], outputs[t], b, sums[t]);
  }
  std::vector<double> metrics;
  for (size_t t = 0; t < model.tasks.size(); ++t)
    metrics.push_back(finish(model.tasks[t], sums[t]));
  return metrics;
}

double delta_m(
    const std::vector<TaskInfo>& tasks, const std::vector<double>& metrics,
    const std::vector<double>& reference) {
  HNET_CHECK_INPUT(
      metrics.size() == tasks.size() && reference.size() == tasks.size(), "delta_m: ", tasks.size(),
      " tasks but ", metrics.size(), " metrics and ", reference.size(), " reference values");
  double sum = 0;
  for (size_t t = 0; t < tasks.size(); ++t) {
    HNET_CHECK_INPUT(
        reference[t] != 0, "delta_m: the reference metric of task '", tasks[t].name, "' is 0");
    const double relative = (metrics[t] - reference[t]) / std::abs(reference[t]);
    sum += tasks[t].lower_is_better ? -relative : relative;
  }
  return 100.0 * sum / static_cast<double>(tasks.size());
}

void pretrain_encoder(
    adapters::Encoder& encoder, const data::Dataset& train, int64_t classes, int64_t steps,
    int64_t batch_size, double lr, uint64_t seed,
    const std::function<void(int64_t, double)>& on_step) {
  HNET_CHECK_INPUT(
      classes >= 2 && classes <= data::kFashionMnistClasses,
      "pretraining classes must lie in [2, 10], got ", classes);
  const auto keep = train.labels.lt(classes).nonzero().squeeze(1);
  HNET_CHECK_INPUT(
      keep.numel() >= 2, "pretraining: fewer than 2 training images of classes 0..", classes - 1);
  const auto images = train.images.index_select(0, keep);
  const auto labels = train.labels.index_select(0, keep);
  torch::nn::Linear head(encoder->stage_widths().back(), classes);
  auto params = encoder->parameters();
  for (auto& p : params) p.set_requires_grad(true);
  for (auto& p : head->parameters()) params.push_back(p);
  torch::optim::Adam optimizer(params, torch::optim::AdamOptions(lr));
  data::EpochSampler sampler(images.size(0), batch_size, seed);
  for (int64_t step = 1; step <= steps; ++step) {
    const auto index = sampler.next();
    const auto stages = encoder->forward(images.index_select(0, index));
    const auto loss =
        F::cross_entropy(head(stages.back().mean({2, 3})), labels.index_select(0, index));
    optimizer.zero_grad();
    loss.backward();
    optimizer.step();
    if (on_step) on_step(step, loss.item<double>());
  }
}

}  // namespace hnet::multitask
