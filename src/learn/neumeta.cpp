#include "hnet/learn/neumeta.h"

#include <torch/nn/functional/loss.h>
#include <torch/optim/adam.h>

#include <map>

#include "hnet/data/epoch_sampler.h"
#include "hnet/learn/classifier_training.h"
#include "hnet/learn/schedule.h"
#include "hnet/targets/mlp.h"

namespace hnet {
namespace {

namespace F = torch::nn::functional;

void check_common(
    int64_t steps, int64_t batch, double lr, const data::Dataset& train, const char* who) {
  TORCH_CHECK(steps > 0, who, ": steps must be > 0, got ", steps);
  TORCH_CHECK(batch > 0, who, ": batch_size must be > 0, got ", batch);
  TORCH_CHECK(lr > 0, who, ": lr must be > 0, got ", lr);
  TORCH_CHECK(train.size() > 0, who, ": the training set is empty");
}

// The reference's layers as targets of layer_values: [n_out, n_in + 1]
// (bias last) divided by the generator's scales.
std::vector<torch::Tensor> fit_targets(ImplicitGenerator& gen, const torch::Tensor& reference) {
  const int64_t width = gen->options.max_width();
  const auto sizes = gen->mlp_sizes(width);
  Mlp mlp{MlpOptions(sizes)};
  TORCH_CHECK(
      reference.dim() == 1 && reference.size(0) == mlp->spec()->numel(),
      "train_implicit: reference must be the [", mlp->spec()->numel(), "] flat weights of an MLP ",
      shape_str(sizes), ", got ", shape_str(reference.sizes()));
  Weights w(mlp->spec(), reference.detach());
  std::vector<torch::Tensor> out;
  for (int64_t l = 0; l < gen->layers(); ++l) {
    auto both = torch::cat({w[2 * l], w[2 * l + 1].unsqueeze(1)}, 1);
    out.push_back(both / gen->layer_scale(l, width));
  }
  return out;
}

}  // namespace

double mlp_accuracy(
    const std::vector<int64_t>& sizes, const torch::Tensor& flat, const data::Dataset& data,
    int64_t batch_size) {
  Mlp mlp{MlpOptions(sizes)};
  return accuracy(*mlp, Weights(mlp->spec(), flat), data, batch_size);
}

namespace {

// The training loop of train_mlp and train_mlp_early_stopped: after every
// step, `after_step(step, loss, flat)` says whether to go on.
using ContinueTraining = std::function<bool(int64_t step, double loss, const torch::Tensor& flat)>;

torch::Tensor mlp_training_loop(
    const std::vector<int64_t>& sizes, const data::Dataset& train,
    const MlpTrainingOptions& options, const ContinueTraining& after_step) {
  const auto& o = options;
  check_common(o.steps(), o.batch_size(), o.lr(), train, "train_mlp");
  Mlp mlp{MlpOptions(sizes)};
  const auto& spec = *mlp->spec();
  data::EpochSampler batches(train.size(), o.batch_size(), o.seed());
  const std::vector<int64_t> shape{spec.numel()};
  auto flat =
      torch::addcmul(spec.init_mean(), spec.init_std(Fan::kIn), torch::randn(shape, batches.rng()))
          .requires_grad_();
  torch::optim::Adam adam(std::vector<torch::Tensor>{flat}, torch::optim::AdamOptions(o.lr()));
  for (int64_t step = 1; step <= o.steps(); ++step) {
    set_learning_rate(adam, scheduled_lr(o.lr(), o.steps(), o.cosine(), step));
    auto idx = batches.next();
    auto loss = F::cross_entropy(
        mlp->forward(train.images.index_select(0, idx), Weights(mlp->spec(), flat)),
        train.labels.index_select(0, idx));
    adam.zero_grad();
    loss.backward();
    adam.step();
    if (!after_step(step, loss.item<double>(), flat)) break;
  }
  return flat.detach();
}

}  // namespace

torch::Tensor train_mlp(
    const std::vector<int64_t>& sizes, const data::Dataset& train,
    const MlpTrainingOptions& options, const StepCallback& on_step) {
  return mlp_training_loop(sizes, train, options, [&](int64_t step, double loss, const auto&) {
    if (on_step) on_step(step, loss);
    return true;
  });
}

EarlyStoppedMlp train_mlp_early_stopped(
    const std::vector<int64_t>& sizes, const data::Dataset& train, const data::Dataset& val,
    MlpTrainingOptions options, const EarlyStopping& stop, const StepCallback& on_step) {
  TORCH_CHECK(val.size() > 0, "train_mlp_early_stopped: the validation set is empty");
  TORCH_CHECK(
      stop.eval_every() > 0 && stop.patience() > 0,
      "train_mlp_early_stopped: eval_every and patience must be > 0, got ", stop.eval_every(),
      " and ", stop.patience());
  options.steps(stop.max_steps());
  EarlyStoppedMlp best;
  best.val_acc = -1;
  int64_t since_best = 0;
  mlp_training_loop(
      sizes, train, options, [&](int64_t step, double loss, const torch::Tensor& flat) {
        if (on_step) on_step(step, loss);
        best.steps_run = step;
        if (step % stop.eval_every() != 0 && step != stop.max_steps()) return true;
        const double acc = mlp_accuracy(sizes, flat.detach(), val, stop.eval_batch_size());
        if (acc > best.val_acc) {
          best = {flat.detach().clone(), acc, step, step};
          since_best = 0;
          return true;
        }
        return ++since_best < stop.patience();
      });
  return best;
}

// One function for the whole loop (longer than 60 lines): each step shares
// the batch sampler, the width draws, the fit rows and the optimiser with
// the next, and split up the pieces would only pass those locals around.
void train_implicit(
    ImplicitGenerator& generator, const torch::Tensor& reference, const data::Dataset& train,
    const ImplicitTrainingOptions& options,
    const std::function<void(const ImplicitStep&)>& on_step) {
  const auto& o = options;
  check_common(o.steps(), o.batch_size(), o.lr(), train, "train_implicit");
  TORCH_CHECK(!o.widths().empty(), "train_implicit: widths must list at least one width");
  for (int64_t w : o.widths()) generator->check_width(w);
  TORCH_CHECK(
      o.widths_per_step() > 0, "train_implicit: widths_per_step must be > 0, got ",
      o.widths_per_step());
  TORCH_CHECK(
      o.fit_weight() >= 0 && std::isfinite(o.fit_weight()),
      "train_implicit: fit_weight must be >= 0, got ", o.fit_weight());
  TORCH_CHECK(o.fit_rows() > 0, "train_implicit: fit_rows must be > 0, got ", o.fit_rows());
  TORCH_CHECK(
      o.warmup_steps() >= 0, "train_implicit: warmup_steps must be >= 0, got ", o.warmup_steps());

  const auto targets = fit_targets(generator, reference);
  std::map<int64_t, Mlp> mlps;
  for (int64_t w : o.widths()) mlps.emplace(w, Mlp(MlpOptions(generator->mlp_sizes(w))));
  const int64_t k = std::min<int64_t>(o.widths_per_step(), static_cast<int64_t>(o.widths().size()));
  const int64_t full = generator->options.max_width();
  const auto width_weights =
      torch::tensor(std::vector<double>(o.widths().begin(), o.widths().end()), torch::kDouble);

  generator->train();
  data::EpochSampler batches(train.size(), o.batch_size(), o.seed());
  torch::optim::Adam adam(generator->parameters(), torch::optim::AdamOptions(o.lr()));
  auto fit_loss = [&] {
    torch::Tensor fit;
    for (int64_t l = 0; l < generator->layers(); ++l) {
      const int64_t n_out = targets[l].size(0);
      auto rows = torch::randperm(n_out, batches.rng(), torch::kLong)
                      .narrow(0, 0, std::min(o.fit_rows(), n_out));
      auto diff = generator->layer_values(l, full, rows) - targets[l].index_select(0, rows);
      // Weights and biases count alike: a bias is one value in n_in + 1 of
      // a row, yet enough of them off kills the layer's ReLUs.
      const int64_t n_in = diff.size(1) - 1;
      auto mse = diff.narrow(1, 0, n_in).square().mean() + diff.select(1, n_in).square().mean();
      fit = l == 0 ? mse : fit + mse;
    }
    return fit / static_cast<double>(generator->layers());
  };
  auto task_loss = [&](std::vector<int64_t>& drawn) {
    auto idx = batches.next();
    auto x = train.images.index_select(0, idx);
    auto y = train.labels.index_select(0, idx);
    auto pick =
        o.proportional_widths()
            ? torch::multinomial(width_weights, k, /*replacement=*/false, batches.rng())
            : torch::randperm(static_cast<int64_t>(o.widths().size()), batches.rng(), torch::kLong);
    torch::Tensor task;
    for (int64_t j = 0; j < k; ++j) {
      drawn.push_back(o.widths()[pick[j].item<int64_t>()]);
      auto& mlp = mlps.at(drawn.back());
      auto flat = generator->generate(mlp->options.sizes()[1]);
      auto ce = F::cross_entropy(mlp->forward(x, Weights(mlp->spec(), flat)), y);
      task = j == 0 ? ce : task + ce;
    }
    return task / static_cast<double>(k);
  };
  const int64_t total = o.warmup_steps() + o.steps();
  for (int64_t step = 1; step <= total; ++step) {
    const bool warm = step <= o.warmup_steps();
    set_learning_rate(
        adam, warm ? o.lr() : scheduled_lr(o.lr(), o.steps(), o.cosine(), step - o.warmup_steps()));
    ImplicitStep report;
    report.step = step;
    torch::Tensor loss;
    if (warm || o.fit_weight() > 0) {
      auto fit = fit_loss();
      report.fit = fit.item<double>();
      loss = warm ? fit : o.fit_weight() * fit;
    }
    if (!warm) {
      auto task = task_loss(report.widths);
      report.task = task.item<double>();
      loss = loss.defined() ? loss + task : task;
    }
    adam.zero_grad();
    loss.backward();
    adam.step();
    if (on_step) on_step(report);
  }
}

void match_layer_scales(
    ImplicitGenerator& generator, const torch::Tensor& reference, const torch::Tensor& x) {
  torch::NoGradGuard no_grad;
  const bool was_training = generator->is_training();
  generator->eval();
  const int64_t full = generator->options.max_width();
  Mlp mlp{MlpOptions(generator->mlp_sizes(full))};
  Weights ref(mlp->spec(), reference);
  auto h_ref = x.reshape({x.size(0), -1});
  auto h_gen = h_ref;
  for (int64_t l = 0; l < generator->layers(); ++l) {
    auto v = generator->generate_layer(l, full);
    const int64_t n_in = v.size(1) - 1;
    auto pre_ref = torch::addmm(ref[2 * l + 1], h_ref, ref[2 * l].t());
    auto pre_gen = torch::addmm(v.select(1, n_in), h_gen, v.narrow(1, 0, n_in).t());
    const double ratio =
        pre_ref.std().item<double>() / std::max(pre_gen.std().item<double>(), 1e-12);
    generator->scales[l].mul_(ratio);
    pre_gen = pre_gen * ratio;
    const bool last = l + 1 == generator->layers();
    h_ref = last ? pre_ref : torch::relu(pre_ref);
    h_gen = last ? pre_gen : torch::relu(pre_gen);
  }
  generator->train(was_training);
}

torch::Tensor generated_mlp_weights(ImplicitGenerator& generator, int64_t width) {
  torch::NoGradGuard no_grad;
  const bool was_training = generator->is_training();
  generator->eval();
  auto flat = generator->generate(width);
  generator->train(was_training);
  return flat;
}

double implicit_accuracy(
    ImplicitGenerator& generator, int64_t width, const data::Dataset& data, int64_t batch_size) {
  return mlp_accuracy(
      generator->mlp_sizes(width), generated_mlp_weights(generator, width), data, batch_size);
}

}  // namespace hnet
