#include "hnet/learn/continual.h"

#include <torch/nn/utils/clip_grad.h>
#include <torch/optim/adam.h>

#include <cmath>

#include "hnet/data/epoch_sampler.h"
#include "hnet/errors.h"
#include "hnet/finite.h"
#include "hnet/io/module_state.h"
#include "hnet/learn/evaluation.h"
#include "hnet/learn/schedule.h"

namespace hnet {
namespace {

// Throws naming the first parameter whose gradient is not finite; costs one
// synchronisation when all are.
void check_gradients(int64_t t, int64_t step, const std::vector<NamedParameter>& params) {
  std::vector<torch::Tensor> finite;
  for (const auto& p : params) {
    if (p.tensor.grad().defined()) finite.push_back(torch::isfinite(p.tensor.grad()).all());
  }
  if (finite.empty() || torch::stack(finite).all().item<bool>()) return;
  for (const auto& p : params) {
    const std::string bad = describe_nonfinite(p.tensor.grad());
    TORCH_CHECK(
        bad.empty(), "continual: task ", t + 1, " step ", step, ": the gradient of '", p.name, "' ",
        shape_str(p.tensor.sizes()), " has ", bad);
  }
}

void check_finite(int64_t t, int64_t step, double loss, double reg) {
  TORCH_CHECK(
      std::isfinite(loss) && std::isfinite(reg), "continual: task ", t + 1, " step ", step,
      ": the ", std::isfinite(loss) ? "regulariser" : "loss", " is ",
      std::isfinite(loss) ? reg : loss);
}

std::vector<torch::Tensor> tensors_of(const std::vector<NamedParameter>& params) {
  std::vector<torch::Tensor> out;
  for (const auto& p : params) out.push_back(p.tensor);
  return out;
}

}  // namespace

ContinualLearner::ContinualLearner(
    std::shared_ptr<Target> target, std::shared_ptr<ContinualMethod> method, int64_t tasks,
    ContinualOptions options)
    : target_(std::move(target)), method_(std::move(method)), tasks_(tasks), options_(options) {
  const auto& o = options_;
  TORCH_CHECK(
      target_ != nullptr && method_ != nullptr, "continual: target and method are required");
  TORCH_CHECK(tasks > 0, "continual: tasks must be > 0, got ", tasks);
  TORCH_CHECK(o.steps() > 0, "continual: steps must be > 0, got ", o.steps());
  TORCH_CHECK(o.batch_size() > 0, "continual: batch_size must be > 0, got ", o.batch_size());
  TORCH_CHECK(o.lr() > 0 && std::isfinite(o.lr()), "continual: lr must be > 0, got ", o.lr());
  TORCH_CHECK(o.grad_clip() >= 0, "continual: grad_clip must be >= 0, got ", o.grad_clip());
  TORCH_CHECK(
      o.eval_batch_size() > 0, "continual: eval_batch_size must be > 0, got ", o.eval_batch_size());
}

torch::Tensor ContinualLearner::as_target_input(const torch::Tensor& flat_inputs) const {
  return reshape_inputs(flat_inputs, options_.input_shape());
}

void ContinualLearner::train_task(
    int64_t t, const data::TaskData& data, const std::function<void(const StepReport&)>& on_step) {
  TORCH_CHECK(t >= 0 && t < tasks_, "continual: task must be in [0, ", tasks_, "), got ", t);
  TORCH_CHECK(data.size() > 0, "continual: task ", t + 1, " has no training data");
  torch::manual_seed(options_.seed() * 1000003 + static_cast<uint64_t>(t));
  data::EpochSampler batches(data.size(), options_.batch_size(), options_.seed() * 7919 + t);
  // Data are checked once per task, not per batch: one reduction.
  const std::string bad_data = describe_nonfinite(data.images);
  TORCH_CHECK(
      bad_data.empty(), "continual: task ", t + 1, " before step 1: the training images hold ",
      bad_data);

  const auto params = method_->begin_task(t);
  const auto tensors = tensors_of(params);
  torch::optim::Adam adam(tensors, torch::optim::AdamOptions(options_.lr()));
  target_->set_stats_slot(t);
  target_->as_module().train();
  const std::vector<int64_t> share = batch_share();  // {first, count}, or empty: the whole batch
  for (int64_t step = 1; step <= options_.steps(); ++step) {
    set_learning_rate(
        adam, scheduled_lr(options_.lr(), options_.steps(), options_.cosine_lr(), step));
    const auto batch = batches.next();
    const auto idx = share.size() == 2 ? batch.narrow(0, share[0], share[1]) : batch;
    auto x = as_target_input(data.inputs(idx));
    auto y = data.labels.index_select(0, idx);
    auto loss = method_->task_loss(*target_, t, x, y, static_cast<double>(step) / options_.steps());
    auto reg = method_->regularizer(t, batches.rng());
    if (hooks_) hooks_->on_loss(t + 1, step, loss);
    double loss_value = loss.item<double>();
    const double reg_value = reg.defined() ? reg.item<double>() : 0.0;
    check_finite(t, step, loss_value, reg_value);
    adam.zero_grad();
    if (share.size() == 2) {
      // This rank's part of the whole-batch objective; summed over ranks.
      const double weight = static_cast<double>(share[1]) / static_cast<double>(batch.size(0));
      const double ranks = static_cast<double>(comm_->world_size());
      (reg.defined() ? loss * weight + reg / ranks : loss * weight).backward();
      distributed::all_reduce_gradients(*comm_, tensors);
      auto whole = torch::tensor({loss_value * weight}, torch::kDouble);
      comm_->all_reduce_sum({whole});
      loss_value = whole.item<double>();
    } else {
      (reg.defined() ? loss + reg : loss).backward();
    }
    if (hooks_) hooks_->on_gradients(t + 1, step, tensors);
    check_gradients(t, step, params);
    // Checked before clipping, which would spread one infinity to every value.
    if (options_.grad_clip() > 0) torch::nn::utils::clip_grad_norm_(tensors, options_.grad_clip());
    adam.step();
    if (on_step) on_step({t, step, loss_value, reg_value});
    if (hooks_) hooks_->on_step_end(t + 1, step);
  }
}

void check_batch_fits_ranks(int64_t batch_size, int64_t ranks) {
  HNET_CHECK_INPUT(
      batch_size >= ranks, "config key 'optimizer.batch_size' ", batch_size,
      " is smaller than the ", ranks, " ranks that share each batch");
}

void ContinualLearner::set_communicator(const distributed::Communicator* comm) {
  if (comm) check_batch_fits_ranks(options_.batch_size(), comm->world_size());
  comm_ = comm;
}

std::vector<int64_t> ContinualLearner::batch_share() const {
  if (comm_ == nullptr || comm_->world_size() == 1) return {};
  const int64_t b = options_.batch_size(), w = comm_->world_size(), r = comm_->rank();
  const int64_t first = r * b / w;
  return {first, (r + 1) * b / w - first};
}

torch::Tensor ContinualLearner::task_weights(int64_t t) {
  TORCH_CHECK(t >= 0 && t < tasks_, "continual: task must be in [0, ", tasks_, "), got ", t);
  return method_->task_weights(t);
}

double ContinualLearner::accuracy(
    const torch::Tensor& flat, const data::TaskData& data, int64_t t) {
  target_->set_stats_slot(t);
  return hnet::accuracy(
      *target_, Weights(target_->spec(), flat), data, options_.eval_batch_size(),
      options_.input_shape());
}

torch::Tensor ContinualLearner::logits(
    const torch::Tensor& flat, const torch::Tensor& inputs, int64_t t) {
  target_->set_stats_slot(t);
  return target_->forward(as_target_input(inputs), Weights(target_->spec(), flat));
}

double ContinualLearner::task_accuracy(int64_t t, const data::TaskData& data) {
  return accuracy(task_weights(t), data, t);
}

io::NamedTensors ContinualLearner::state() {
  auto out = method_->state();
  for (const auto& b : target_->as_module().named_buffers()) {
    out.emplace_back("target." + b.key(), b.value());
  }
  return out;
}

void ContinualLearner::load_state(const io::TensorFile& file) {
  method_->load_state(file);
  for (auto& b : target_->as_module().named_buffers()) {
    io::restore_tensor(file, "target." + b.key(), b.value());
  }
}

}  // namespace hnet
