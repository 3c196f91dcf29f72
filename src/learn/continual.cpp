#include "hnet/learn/continual.h"

#include <torch/nn/functional/loss.h>
#include <torch/nn/utils/clip_grad.h>
#include <torch/optim/adam.h>

#include <cmath>

#include "hnet/data/epoch_sampler.h"
#include "hnet/finite.h"
#include "hnet/kernels/distance.h"
#include "hnet/testing/fault_injection.h"

namespace hnet {

ContinualMethod parse_continual_method(const std::string& name) {
  for (auto m :
       {ContinualMethod::kHypercl, ContinualMethod::kInterval, ContinualMethod::kFinetune,
        ContinualMethod::kSeparate}) {
    if (continual_method_name(m) == name) return m;
  }
  TORCH_CHECK(
      false, "method must be one of hypercl, interval, finetune, separate; got '", name, "'");
}

std::string continual_method_name(ContinualMethod m) {
  switch (m) {
    case ContinualMethod::kHypercl:
      return "hypercl";
    case ContinualMethod::kInterval:
      return "interval";
    case ContinualMethod::kFinetune:
      return "finetune";
    case ContinualMethod::kSeparate:
      return "separate";
  }
  TORCH_INTERNAL_ASSERT(false, "unknown method");
}

double scheduled_lr(const ContinualOptions& o, int64_t step) {
  if (!o.cosine_lr()) return o.lr();
  const double done = static_cast<double>(step - 1) / static_cast<double>(o.steps());
  return o.lr() * 0.5 * (1 + std::cos(M_PI * done));
}

ContinualLearner::ContinualLearner(
    Mlp target, std::shared_ptr<WeightGenerator> generator, int64_t tasks, int64_t embedding_dim,
    ContinualOptions options)
    : target_(std::move(target)),
      heads_(target_->spec(), options.heads()),
      generator_(std::move(generator)),
      tasks_(tasks),
      options_(options) {
  const auto& o = options_;
  TORCH_CHECK(tasks > 0, "continual: tasks must be > 0, got ", tasks);
  TORCH_CHECK(o.steps() > 0, "continual: steps must be > 0, got ", o.steps());
  TORCH_CHECK(o.batch_size() > 0, "continual: batch_size must be > 0, got ", o.batch_size());
  TORCH_CHECK(o.lr() > 0 && std::isfinite(o.lr()), "continual: lr must be > 0, got ", o.lr());
  TORCH_CHECK(
      o.beta() >= 0 && std::isfinite(o.beta()), "continual: beta must be >= 0, got ", o.beta());
  TORCH_CHECK(o.reg_subset() >= 0, "continual: reg_subset must be >= 0, got ", o.reg_subset());
  TORCH_CHECK(o.grad_clip() >= 0, "continual: grad_clip must be >= 0, got ", o.grad_clip());
  TORCH_CHECK(o.interval_eps() > 0, "continual: interval eps must be > 0, got ", o.interval_eps());
  TORCH_CHECK(
      o.interval_kappa() >= 0 && o.interval_kappa() <= 1,
      "continual: interval kappa must be in [0, 1], got ", o.interval_kappa());
  TORCH_CHECK(
      o.heads() == 1 || o.heads() == tasks,
      "continual: heads must be 1 (shared) or the number of tasks (", tasks, "), got ", o.heads());
  if (o.method() == ContinualMethod::kSeparate) {
    const auto& spec = *target_->spec();
    for (int64_t t = 0; t < tasks; ++t) {
      separate_.push_back(
          torch::addcmul(spec.init_mean(), spec.init_std(Fan::kIn), torch::randn({spec.numel()}))
              .requires_grad_());
    }
    return;
  }
  TORCH_CHECK(
      generator_ != nullptr, "continual: method ", continual_method_name(o.method()),
      " needs a generator");
  TORCH_CHECK(
      *generator_->spec() == *heads_.generated_spec(),
      "continual: the generator's spec does not match the target's with ", o.heads(), " head(s)");
  TORCH_CHECK(embedding_dim > 0, "continual: embedding dim must be > 0, got ", embedding_dim);
  embeddings_ = torch::randn({tasks, embedding_dim}).requires_grad_();
}

int64_t ContinualLearner::generator_params() const {
  int64_t n = 0;
  if (generator_) {
    for (const auto& p : generator_->as_module().parameters()) n += p.numel();
  }
  return n;
}

torch::Tensor ContinualLearner::embedding_radius(const torch::Tensor& e, double scale) const {
  // eps is the L1 budget of the interval, spread evenly over the coordinates
  // (HyperInterval): the radius per coordinate shrinks with the width, so the
  // same eps means the same perturbation size for any embedding dim.
  return torch::full_like(e, scale * options_.interval_eps() / static_cast<double>(e.size(-1)));
}

torch::Tensor ContinualLearner::conditions(const torch::Tensor& raw) const {
  if (options_.method() != ContinualMethod::kInterval) return raw;
  // HyperInterval's nested form: centre = (r / 2) cos(raw) with r = eps / dim
  // the radius, so |centre| <= r / 2 and every task's interval contains the
  // box [-r / 2, r / 2]; their intersection, which holds the universal
  // embedding, is never empty.
  const double r = options_.interval_eps() / static_cast<double>(raw.size(-1));
  return raw.cos() * (0.5 * r);
}

torch::Tensor ContinualLearner::embedding_rows(int64_t count) {
  return conditions(embeddings_.narrow(0, 0, count));
}

void ContinualLearner::take_snapshot(int64_t t) {
  torch::NoGradGuard no_grad;
  snapshot_center_ = snapshot_radius_ = torch::Tensor();
  if (t == 0 || !generator_) return;
  auto prev = embedding_rows(t).detach();
  if (options_.method() == ContinualMethod::kInterval) {
    auto iv = generator_->forward_interval({prev, embedding_radius(prev, 1.0)});
    snapshot_center_ = iv.center.clone();
    snapshot_radius_ = iv.radius.clone();
  } else {
    snapshot_center_ = generator_->forward(prev).clone();
  }
}

namespace {

// The snapshot's rows `rows`; the snapshot itself (no copy) when they are all
// of it in order.
torch::Tensor snapshot_rows(const torch::Tensor& snapshot, const torch::Tensor& rows) {
  if (rows.numel() == snapshot.size(0) &&
      rows.equal(torch::arange(snapshot.size(0), rows.options()))) {
    return snapshot;
  }
  return snapshot.index_select(0, rows);
}

}  // namespace

torch::Tensor ContinualLearner::penalty(
    const torch::Tensor& rows, const torch::Tensor& center, const torch::Tensor& radius) {
  // Each earlier task keeps the network it reads: its own head, not the
  // others' (which later tasks must be free to learn).
  auto own = [&](const torch::Tensor& flat) { return heads_.select(flat, rows); };
  auto p = kernels::squared_distance(own(center), own(snapshot_rows(snapshot_center_, rows)));
  if (radius.defined()) {
    p = p + kernels::squared_distance(own(radius), own(snapshot_rows(snapshot_radius_, rows)));
  }
  return p * (options_.beta() / rows.size(0));
}

torch::Tensor ContinualLearner::regularizer(int64_t t, const torch::Tensor& rows) {
  TORCH_CHECK(t > 0 && snapshot_center_.defined(), "continual: no snapshot for task ", t + 1);
  // All regularised tasks in one batched generator call.
  auto prev = embedding_rows(t).detach().index_select(0, rows);
  if (options_.method() == ContinualMethod::kInterval) {
    auto iv = generator_->forward_interval({prev, embedding_radius(prev, 1.0)});
    return penalty(rows, iv.center, iv.radius);
  }
  if (heads_.heads() > 1) return penalty(rows, generator_->forward(prev), {});
  // All regularised tasks in one generator call, fused with the distance.
  return generator_->squared_distance(prev, snapshot_rows(snapshot_center_, rows)) *
         (options_.beta() / rows.size(0));
}

torch::Tensor ContinualLearner::task_loss(
    int64_t t, const torch::Tensor& x, const torch::Tensor& y, double progress) {
  namespace F = torch::nn::functional;
  const auto& spec = target_->spec();
  if (options_.method() == ContinualMethod::kSeparate) {
    return F::cross_entropy(target_->forward(x, Weights(spec, separate_[t])), y);
  }
  auto e = conditions(embeddings_.narrow(0, t, 1));
  auto centre_loss = F::cross_entropy(
      target_->forward(x, Weights(spec, heads_.select(generator_->forward(e)[0], t))), y);
  if (options_.method() != ContinualMethod::kInterval) return centre_loss;
  // As in interval-bound-propagation training (Gowal et al. 2018), the
  // radius and the worst case's weight ramp up over the first half of the
  // task, so the centre learns before the interval has to hold.
  const double ramp = std::min(1.0, 2 * progress);
  auto flat = generator_->forward_interval({e, embedding_radius(e, ramp)});
  auto logits = target_->forward_interval(
      x, {heads_.select(flat.center[0], t), heads_.select(flat.radius[0], t)});
  const double kappa = 1 - ramp * (1 - options_.interval_kappa());
  return kappa * centre_loss + (1 - kappa) * worst_case_cross_entropy(logits, y);
}

namespace {

// Throws naming the first parameter whose gradient is not finite; costs one
// synchronisation when all are.
void check_gradients(
    int64_t t, int64_t step, const std::vector<std::string>& names,
    const std::vector<torch::Tensor>& params) {
  std::vector<torch::Tensor> finite;
  for (const auto& p : params) {
    if (p.grad().defined()) finite.push_back(torch::isfinite(p.grad()).all());
  }
  if (finite.empty() || torch::stack(finite).all().item<bool>()) return;
  for (size_t i = 0; i < params.size(); ++i) {
    const std::string bad = describe_nonfinite(params[i].grad());
    TORCH_CHECK(
        bad.empty(), "continual: task ", t + 1, " step ", step, ": the gradient of '", names[i],
        "' ", shape_str(params[i].sizes()), " has ", bad);
  }
}

}  // namespace

void ContinualLearner::train_task(
    int64_t t, const data::TaskData& data, const std::function<void(const StepReport&)>& on_step) {
  TORCH_CHECK(t >= 0 && t < tasks_, "continual: task must be in [0, ", tasks_, "), got ", t);
  TORCH_CHECK(data.size() > 0, "continual: task ", t + 1, " has no training data");
  torch::manual_seed(options_.seed() * 1000003 + static_cast<uint64_t>(t));
  data::EpochSampler batches(data.size(), options_.batch_size(), options_.seed() * 7919 + t);
  const bool regularise = t > 0 && options_.beta() > 0 &&
                          (options_.method() == ContinualMethod::kHypercl ||
                           options_.method() == ContinualMethod::kInterval);
  // Data are checked once per task, not per batch: one reduction.
  const std::string bad_data = describe_nonfinite(data.images);
  TORCH_CHECK(
      bad_data.empty(), "continual: task ", t + 1, " before step 1: the training images hold ",
      bad_data);
  const auto fault = testing::nonfinite_fault();
  const int64_t fault_step = fault && fault->task == t + 1 ? fault->step : 0;

  // Trained tensors under the names state() gives them, for messages.
  std::vector<std::string> names;
  std::vector<torch::Tensor> params;
  if (options_.method() == ContinualMethod::kSeparate) {
    names.push_back("separate." + std::to_string(t + 1));
    params.push_back(separate_[t]);
  } else {
    for (const auto& p : generator_->as_module().named_parameters()) {
      names.push_back("generator." + p.key());
      params.push_back(p.value());
    }
    names.push_back("embeddings");
    params.push_back(embeddings_);
    if (options_.method() == ContinualMethod::kInterval && t > 0) {
      // As in HyperInterval, a task starts from the previous task's embedding.
      torch::NoGradGuard no_grad;
      embeddings_[t].copy_(embeddings_[t - 1]);
    }
    if (regularise) take_snapshot(t);
  }
  torch::optim::Adam adam(params, torch::optim::AdamOptions(options_.lr()));
  target_->train();

  for (int64_t step = 1; step <= options_.steps(); ++step) {
    static_cast<torch::optim::AdamOptions&>(adam.param_groups()[0].options())
        .lr(scheduled_lr(options_, step));
    auto idx = batches.next();
    auto x = data.inputs(idx);
    auto y = data.labels.index_select(0, idx);
    torch::Tensor loss, reg;
    if (regularise) {
      const int64_t k = options_.reg_subset() > 0 ? std::min(options_.reg_subset(), t) : t;
      auto rows = k == t ? torch::arange(t)
                         : torch::randperm(t, batches.rng(), torch::kLong).narrow(0, 0, k);
      // The current task's weights in one generator call, all regularised
      // tasks in another (fused with the distance to the snapshot): no
      // [k + 1, N] output to split and concatenate again in backward.
      loss = task_loss(t, x, y, static_cast<double>(step) / options_.steps());
      reg = regularizer(t, rows);
    } else {
      loss = task_loss(t, x, y, static_cast<double>(step) / options_.steps());
    }
    if (step == fault_step && fault->kind == "loss") loss = loss * std::nan("");
    const double loss_value = loss.item<double>();
    const double reg_value = reg.defined() ? reg.item<double>() : 0.0;
    TORCH_CHECK(
        std::isfinite(loss_value) && std::isfinite(reg_value), "continual: task ", t + 1, " step ",
        step, ": the ", std::isfinite(loss_value) ? "regulariser" : "loss", " is ",
        std::isfinite(loss_value) ? reg_value : loss_value);
    adam.zero_grad();
    (reg.defined() ? loss + reg : loss).backward();
    if (step == fault_step && fault->kind == "grad") {
      torch::NoGradGuard no_grad;
      params.front().grad().view(-1)[0] = INFINITY;
    }
    check_gradients(t, step, names, params);
    // Checked before clipping, which would spread one infinity to every value.
    if (options_.grad_clip() > 0) torch::nn::utils::clip_grad_norm_(params, options_.grad_clip());
    adam.step();
    if (on_step) on_step({t, step, loss_value, reg_value});
  }
}

torch::Tensor ContinualLearner::task_weights(int64_t t) {
  TORCH_CHECK(t >= 0 && t < tasks_, "continual: task must be in [0, ", tasks_, "), got ", t);
  torch::NoGradGuard no_grad;
  if (options_.method() == ContinualMethod::kSeparate) return separate_[t].detach();
  return heads_.select(generator_->forward(conditions(embeddings_.narrow(0, t, 1)))[0], t);
}

std::vector<torch::Tensor> ContinualLearner::universal_weights(int64_t last_task) {
  TORCH_CHECK(
      last_task >= 0 && last_task < tasks_, "continual: last_task must be in [0, ", tasks_,
      "), got ", last_task);
  TORCH_CHECK(
      options_.method() == ContinualMethod::kInterval,
      "continual: a universal embedding exists only for the interval method");
  torch::NoGradGuard no_grad;
  // The centre of the intersection of the intervals [c_t - r, c_t + r].
  auto seen = embedding_rows(last_task + 1);
  auto centre = (std::get<0>(seen.max(0)) + std::get<0>(seen.min(0))) * 0.5;
  const auto flat = generator_->forward(centre.unsqueeze(0))[0];
  std::vector<torch::Tensor> out;
  for (int64_t t = 0; t <= last_task; ++t) out.push_back(heads_.select(flat, t));
  return out;
}

double ContinualLearner::accuracy(const torch::Tensor& flat, const data::TaskData& data) {
  torch::NoGradGuard no_grad;
  target_->eval();
  Weights w(target_->spec(), flat);
  int64_t correct = 0;
  for (int64_t start = 0; start < data.size(); start += options_.eval_batch_size()) {
    const int64_t len = std::min(options_.eval_batch_size(), data.size() - start);
    auto logits = target_->forward(data.inputs(start, len), w);
    correct += logits.argmax(1).eq(data.labels.narrow(0, start, len)).sum().item<int64_t>();
  }
  target_->train();
  return data.size() ? static_cast<double>(correct) / data.size() : 0.0;
}

io::NamedTensors ContinualLearner::state() {
  io::NamedTensors out;
  if (embeddings_.defined()) out.emplace_back("embeddings", embeddings_.detach());
  for (size_t t = 0; t < separate_.size(); ++t) {
    out.emplace_back("separate." + std::to_string(t + 1), separate_[t].detach());
  }
  if (generator_) {
    for (const auto& p : generator_->as_module().named_parameters()) {
      out.emplace_back("generator." + p.key(), p.value().detach());
    }
    for (const auto& b : generator_->as_module().named_buffers()) {
      out.emplace_back("generator." + b.key(), b.value());
    }
  }
  return out;
}

void ContinualLearner::load_state(const io::TensorFile& file) {
  torch::NoGradGuard no_grad;
  auto restore = [&](const std::string& name, torch::Tensor& into) {
    const auto& value = file.get(name);
    TORCH_CHECK(
        value.sizes() == into.sizes(), "checkpoint: tensor '", name, "' has shape ",
        shape_str(value.sizes()), " but the configured model needs ", shape_str(into.sizes()));
    TORCH_CHECK(
        value.scalar_type() == into.scalar_type(), "checkpoint: tensor '", name, "' has dtype ",
        value.scalar_type(), " but the configured model needs ", into.scalar_type());
    const std::string bad = describe_nonfinite(value);
    TORCH_CHECK(bad.empty(), "checkpoint: tensor '", name, "' holds ", bad);
    into.copy_(value);
  };
  if (embeddings_.defined()) restore("embeddings", embeddings_);
  for (size_t t = 0; t < separate_.size(); ++t) {
    restore("separate." + std::to_string(t + 1), separate_[t]);
  }
  if (generator_) {
    for (auto& p : generator_->as_module().named_parameters())
      restore("generator." + p.key(), p.value());
    for (auto& b : generator_->as_module().named_buffers())
      restore("generator." + b.key(), b.value());
  }
}

}  // namespace hnet
