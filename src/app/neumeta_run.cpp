// `hnet neumeta`: reference, reordering, independent baselines, implicit
// training and evaluation, with the file contracts of DESIGN.md.

#include "hnet/app/neumeta_run.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "hnet/app/config_keys.h"
#include "hnet/app/continual_experiment.h"
#include "hnet/app/progress.h"
#include "hnet/app/run_folder.h"
#include "hnet/count.h"
#include "hnet/errors.h"
#include "hnet/io/atomic_file.h"
#include "hnet/io/file_safety.h"
#include "hnet/io/module_state.h"
#include "hnet/io/plot.h"
#include "hnet/io/safetensors.h"
#include "hnet/learn/neumeta.h"
#include "hnet/spec.h"
#include "hnet/targets/neuron_order.h"

namespace hnet {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

// Every file a run writes in its folder.
const std::vector<std::string> kNeumetaRunFiles{"summary.json",          "config.yaml",
                                                "metrics.jsonl",         "generator.safetensors",
                                                "baselines.safetensors", "accuracy.png"};

std::string fixed(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.4f", v);
  return buf;
}

// Examples [start, start + n) of d.
data::Dataset slice(const data::Dataset& d, int64_t start, int64_t n) {
  data::Dataset out;
  out.images = d.images.narrow(0, start, n);
  out.labels = d.labels.narrow(0, start, n);
  return out;
}

data::Dataset first_n(const data::Dataset& d, int64_t n) {
  return n > 0 && n < d.size() ? slice(d, 0, n) : d;
}

// Rules spanning keys (and lists that must not be empty), checked before any
// file is touched.
void check_widths(const io::Config& c) {
  const auto train = c.get_int_list("widths.train");
  const auto eval = c.get_int_list("widths.eval");
  HNET_CHECK_INPUT(
      !train.empty(), "config key 'widths.train' must list at least one width, got []");
  HNET_CHECK_INPUT(!eval.empty(), "config key 'widths.eval' must list at least one width, got []");
  HNET_CHECK_INPUT(
      !c.get_int_list("generator.hidden").empty(),
      "config key 'generator.hidden' must list at least one width, got []");
  const int64_t lo = *std::min_element(train.begin(), train.end());
  const int64_t hi = *std::max_element(train.begin(), train.end());
  for (int64_t w : eval) {
    HNET_CHECK_INPUT(
        w >= lo && w <= hi, "config key 'widths.eval' must lie in the trained range [", lo, ", ",
        hi, "] of 'widths.train', got ", w);
  }
}

constexpr int64_t kNeumetaInputs = data::kFashionMnistSide * data::kFashionMnistSide;
constexpr int64_t kNeumetaClasses = data::kFashionMnistClasses;

// An upper bound of the generator's parameters, from its configuration
// alone: the coordinate towers (ImplicitGenerator's layout) with both fixed
// neuron embeddings.
int64_t generator_parameters(const io::Config& c) {
  const auto hidden = c.get_int_list("generator.hidden");
  const int64_t rank = c.get_int("generator.rank");
  const int64_t f2 = 2 * c.get_int("generator.octaves");
  const int64_t fw2 =
      c.get_int("generator.width_octaves") > 0 ? 2 * c.get_int("generator.width_octaves") : f2;
  auto tower = [&](int64_t in, int64_t out) {
    int64_t n = 0;
    for (int64_t h : hidden) {
      n = count_add(n, count_linear(in, h));
      in = h;
    }
    return count_add(n, count_linear(in, out));
  };
  const int64_t layers = 3;
  int64_t n = rank > 0 ? count_add(
                             count_add(tower(2 * f2 + fw2, rank), tower(2 * f2 + fw2 + 1, rank)),
                             layers * rank)
                       : tower(3 * f2 + fw2 + 1, 1);
  return count_add(n, (kNeumetaInputs + kNeumetaClasses) * hidden.front());
}

// generator_parameters plus a 784-w-w-10 MLP per trained and evaluated width.
int64_t planned_parameters(const io::Config& c) {
  int64_t n = generator_parameters(c);
  for (const auto& key : {"widths.train", "widths.eval"}) {
    for (int64_t w : c.get_int_list(key)) {
      n = count_add(n, count_linear(kNeumetaInputs, w));
      n = count_add(n, count_add(count_linear(w, w), count_linear(w, kNeumetaClasses)));
    }
  }
  return n;
}

std::vector<double> octaves(int64_t n) {
  std::vector<double> f;
  for (int64_t k = 0; k < n; ++k) f.push_back(std::ldexp(1.0, static_cast<int>(k)));
  return f;
}

MlpTrainingOptions mlp_options(const io::Config& c, uint64_t seed) {
  return MlpTrainingOptions()
      .steps(c.get_int("mlp.steps"))
      .batch_size(c.get_int("mlp.batch_size"))
      .lr(c.get_float("mlp.lr"))
      .cosine(io::get_choice(c, "optimizer.schedule", lr_schedules()) == LrSchedule::kCosine)
      .seed(seed);
}

// Trains one plain MLP as a progress phase; returns its flat weights.
torch::Tensor train_phase(
    Progress& progress, const std::string& label, const std::vector<int64_t>& sizes,
    const data::Dataset& train, const MlpTrainingOptions& options) {
  progress.start(label, options.steps());
  return train_mlp(
      sizes, train, options, [&](int64_t step, double loss) { progress.update(step, loss); });
}

void write_plot(
    const fs::path& dir, const std::vector<int64_t>& widths, const std::vector<double>& generated,
    const std::vector<double>& independent, std::ostream& log) {
  if (!io::gnuplot_available()) {
    log << "gnuplot not found: accuracy.png not written\n";
    return;
  }
  std::vector<double> x(widths.begin(), widths.end());
  io::plot_accuracy_curves(
      (dir / "accuracy.png").string(), x,
      {{"generated (implicit)", generated}, {"independent", independent}},
      "Fashion-MNIST MLP 784-w-w-10, NeuMeta", "hidden width w");
}

struct NeumetaData {
  data::Dataset train, val, test;
};

NeumetaData load_data(const io::Config& c) {
  const std::string root = data_root(c);
  NeumetaData d;
  d.train =
      first_n(data::load_fashion_mnist(root, data::Split::kTrain), c.get_int("data.train_limit"));
  const int64_t val_size = c.get_int("data.val_size");
  HNET_CHECK_INPUT(
      val_size < d.train.size(), "config key 'data.val_size' must be below the ", d.train.size(),
      " training images, got ", val_size);
  // The validation images are the last ones, out of every training phase.
  d.val = slice(d.train, d.train.size() - val_size, val_size);
  d.train = first_n(d.train, d.train.size() - val_size);
  // With eval.split val every reported accuracy is measured on the
  // validation images and the test set is not even read (hnet sweep).
  d.test = io::get_choice(c, "eval.split", eval_splits()) == EvalSplit::kVal
               ? d.val
               : load_neumeta_test_set(c);
  return d;
}

// The reference MLP (trained at full width, then reordered) and the
// independently trained MLP of every evaluated width.
struct Baselines {
  torch::Tensor ordered;
  int64_t reference_params = 0;
  double reference_acc = 0, ordered_acc = 0;
  std::vector<double> independent, independent_val;
  std::vector<EarlyStoppedMlp> independent_runs;  // the chosen run per width
  std::vector<double> independent_lr;
};

// The independent baselines' learning rates: baseline.lr x 3^k, k centred on 0.
std::vector<double> baseline_lrs(const io::Config& c) {
  const int64_t n = c.get_int("baseline.lr_grid");
  std::vector<double> lrs;
  for (int64_t k = 0; k < n; ++k) {
    lrs.push_back(
        c.get_float("baseline.lr") * std::pow(3.0, static_cast<double>(k - (n - 1) / 2.0)));
  }
  return lrs;
}

// One width's independent MLP: trained at every baseline learning rate
// until its validation accuracy stops rising; the best on validation counts.
std::pair<EarlyStoppedMlp, double> train_independent(
    const io::Config& c, const std::vector<int64_t>& sizes, const NeumetaData& d, uint64_t seed,
    Progress& progress) {
  const auto stop = EarlyStopping()
                        .max_steps(c.get_int("baseline.max_steps"))
                        .eval_every(c.get_int("baseline.eval_every"))
                        .patience(c.get_int("baseline.patience"))
                        .eval_batch_size(c.get_int("eval.batch_size"));
  std::pair<EarlyStoppedMlp, double> best;
  best.first.val_acc = -1;
  for (double lr : baseline_lrs(c)) {
    std::ostringstream label;
    label << "independent " << shape_str(sizes) << " lr " << lr;
    progress.start(label.str(), stop.max_steps());
    const auto options = MlpTrainingOptions()
                             .batch_size(c.get_int("mlp.batch_size"))
                             .lr(lr)
                             .cosine(false)
                             .seed(seed);
    auto run = train_mlp_early_stopped(
        sizes, d.train, d.val, options, stop,
        [&](int64_t step, double loss) { progress.update(step, loss); });
    progress.finish(
        "val acc " + fixed(run.val_acc) + " at step " + std::to_string(run.best_step) +
        ", stopped at " + std::to_string(run.steps_run));
    if (run.val_acc > best.first.val_acc) best = {std::move(run), lr};
  }
  return best;
}

Baselines train_baselines(
    const io::Config& c, ImplicitGenerator& generator, const NeumetaData& d, int64_t full,
    Progress& progress, std::ostream& log) {
  const uint64_t seed = static_cast<uint64_t>(c.get_int("seed"));
  const int64_t eval_batch = c.get_int("eval.batch_size");
  const auto eval_widths = c.get_int_list("widths.eval");
  Baselines b;
  const auto sizes = generator->mlp_sizes(full);
  auto reference =
      train_phase(progress, "reference " + shape_str(sizes), sizes, d.train, mlp_options(c, seed));
  b.reference_params = reference.numel();
  b.reference_acc = mlp_accuracy(sizes, reference, d.test, eval_batch);
  progress.finish("test acc " + fixed(b.reference_acc));
  b.ordered = order_mlp_neurons(
                  sizes, reference, NeuronOrderOptions().outgoing(c.get_bool("order.outgoing")))
                  .flat;
  b.ordered_acc = mlp_accuracy(sizes, b.ordered, d.test, eval_batch);
  log << "reordered reference: test acc " << fixed(b.ordered_acc) << "\n";
  for (size_t k = 0; k < eval_widths.size(); ++k) {
    const auto s = generator->mlp_sizes(eval_widths[k]);
    auto [run, lr] = train_independent(c, s, d, seed + 1 + k, progress);
    b.independent.push_back(mlp_accuracy(s, run.flat, d.test, eval_batch));
    b.independent_val.push_back(run.val_acc);
    b.independent_lr.push_back(lr);
    b.independent_runs.push_back(std::move(run));
  }
  return b;
}

// Fits the implicit generator to the reordered reference and trains it on
// the task; logs to metrics.jsonl in `dir`.
void train_generator(
    const io::Config& c, ImplicitGenerator& generator, const Baselines& b, const NeumetaData& d,
    const fs::path& dir, Progress& progress) {
  if (c.get_bool("generator.center_inputs")) {
    torch::NoGradGuard no_grad;
    generator->input_mean.copy_(d.train.images.reshape({d.train.size(), -1}).mean(0));
  }
  generator->calibrate_scales(b.ordered);
  match_layer_scales(
      generator, b.ordered, d.train.images.narrow(0, 0, std::min<int64_t>(512, d.train.size())));
  MetricsLog metrics((dir / "metrics.jsonl").string(), false);
  const int64_t steps = c.get_int("optimizer.steps");
  const int64_t log_every = c.get_int("log.every");
  progress.start("implicit generator", c.get_int("implicit.warmup_steps") + steps);
  train_implicit(
      generator, b.ordered, d.train,
      ImplicitTrainingOptions(c.get_int_list("widths.train"))
          .steps(steps)
          .warmup_steps(c.get_int("implicit.warmup_steps"))
          .batch_size(c.get_int("optimizer.batch_size"))
          .lr(c.get_float("optimizer.lr"))
          .cosine(io::get_choice(c, "optimizer.schedule", lr_schedules()) == LrSchedule::kCosine)
          .widths_per_step(c.get_int("implicit.widths_per_step"))
          .proportional_widths(
              io::get_choice(c, "implicit.width_draws", width_draws()) == WidthDraws::kProportional)
          .fit_weight(c.get_float("implicit.fit_weight"))
          .fit_rows(c.get_int("implicit.fit_rows"))
          .seed(static_cast<uint64_t>(c.get_int("seed"))),
      [&](const ImplicitStep& r) {
        progress.update(r.step, r.task + c.get_float("implicit.fit_weight") * r.fit);
        if (r.step % log_every == 0) {
          metrics.write_line(json{{"step", r.step}, {"task", r.task}, {"fit", r.fit}}.dump());
        }
      });
  progress.finish();
}

NeumetaWidthResult evaluate_width(
    ImplicitGenerator& generator, int64_t w, const NeumetaData& d, const Baselines& b, size_t k,
    const std::vector<int64_t>& train_widths, int64_t eval_batch) {
  NeumetaWidthResult r;
  r.width = w;
  r.generated_acc = implicit_accuracy(generator, w, d.test, eval_batch);
  r.trained = std::find(train_widths.begin(), train_widths.end(), w) != train_widths.end();
  r.independent_acc = b.independent[k];
  r.independent_lr = b.independent_lr[k];
  r.independent_best_step = b.independent_runs[k].best_step;
  r.independent_steps_run = b.independent_runs[k].steps_run;
  r.gap = r.independent_acc - r.generated_acc;
  if (d.val.size() > 0) {
    r.generated_val_acc = implicit_accuracy(generator, w, d.val, eval_batch);
    r.independent_val_acc = b.independent_val[k];
    r.val_gap = r.independent_val_acc - r.generated_val_acc;
  }
  return r;
}

void log_width(const NeumetaWidthResult& r, bool with_val, std::ostream& log) {
  log << "width " << r.width << (r.trained ? " (trained)" : " (unseen) ") << "  generated "
      << fixed(r.generated_acc) << "  independent " << fixed(r.independent_acc) << "  gap "
      << fixed(r.gap);
  if (with_val) log << "  (validation: gap " << fixed(r.val_gap) << ")";
  log << "\n";
}

void save_generator(const fs::path& dir, ImplicitGenerator& generator, const io::Config& c) {
  io::save_safetensors(
      (dir / "generator.safetensors").string(), io::module_state(*generator, ""),
      {{"format", kNeumetaGeneratorFormat}, {"config", c.to_yaml()}});
}

// The independent MLPs, "width_<W>" (flat weights of Mlp 784-W-W-10).
void save_baselines(
    const fs::path& dir, const std::vector<int64_t>& widths, const Baselines& b,
    const io::Config& c) {
  io::NamedTensors tensors;
  for (size_t k = 0; k < widths.size(); ++k) {
    tensors.emplace_back(neumeta_baseline_name(widths[k]), b.independent_runs[k].flat);
  }
  io::save_safetensors(
      (dir / "baselines.safetensors").string(), tensors,
      {{"format", kNeumetaBaselinesFormat}, {"config", c.to_yaml()}});
}

}  // namespace

std::string NeumetaSummary::to_json() const {
  json results_json = json::array(), generated = json::array(), independent = json::array(),
       gaps = json::array();
  for (const auto& r : results) {
    json row{
        {"width", r.width},
        {"trained", r.trained},
        {"generated_acc", r.generated_acc},
        {"independent_acc", r.independent_acc},
        {"independent_lr", r.independent_lr},
        {"independent_best_step", r.independent_best_step},
        {"independent_steps_run", r.independent_steps_run},
        {"gap", r.gap}};
    if (val_size > 0) {
      row["generated_val_acc"] = r.generated_val_acc;
      row["independent_val_acc"] = r.independent_val_acc;
      row["val_gap"] = r.val_gap;
    }
    results_json.push_back(row);
    generated.push_back(r.generated_acc);
    independent.push_back(r.independent_acc);
    gaps.push_back(r.gap);
  }
  json out{
      {"method", "neumeta"},
      {"split", split},
      {"widths", widths},
      {"train_widths", train_widths},
      {"results", results_json},
      {"generated_acc", generated},
      {"independent_acc", independent},
      {"gap", gaps},
      {"max_gap", max_gap},
      {"val_size", val_size},
      {"generator_params", generator_params},
      {"reference_params", reference_params},
      {"target_params", reference_params},
      {"reference_acc", reference_acc},
      {"reordered_reference_acc", reordered_reference_acc},
      {"target_met", max_gap <= 0.02 && generator_params < reference_params},
      {"train_steps", train_steps},
      {"threads", threads}};
  if (val_size > 0) out["max_val_gap"] = max_val_gap;
  out["wall_seconds"] = wall_seconds;
  return out.dump(2);
}

ImplicitGenerator neumeta_generator(const io::Config& c) {
  check_widths(c);
  check_parameter_budget(c, generator_parameters(c), "implicit generator");
  const auto train = c.get_int_list("widths.train");
  const int64_t lo = *std::min_element(train.begin(), train.end());
  const int64_t hi = *std::max_element(train.begin(), train.end());
  return ImplicitGenerator(ImplicitGeneratorOptions(kNeumetaInputs, kNeumetaClasses, lo, hi)
                               .frequencies(octaves(c.get_int("generator.octaves")))
                               .width_frequencies(octaves(c.get_int("generator.width_octaves")))
                               .hidden(c.get_int_list("generator.hidden"))
                               .coordinate_noise(c.get_float("generator.noise"))
                               .rank(c.get_int("generator.rank")));
}

data::Dataset load_neumeta_test_set(const io::Config& c) {
  return first_n(
      data::load_fashion_mnist(data_root(c), data::Split::kTest), c.get_int("data.test_limit"));
}

std::string neumeta_baseline_name(int64_t width) {
  return "width_" + std::to_string(width);
}

NeumetaSummary run_neumeta_experiment(
    const io::Config& c, const std::string& out_dir, const NeumetaRunOptions& options) {
  const auto start = std::chrono::steady_clock::now();
  std::ostringstream discard;
  std::ostream& log = options.log ? *options.log : discard;
  const fs::path dir = out_dir;
  check_new_run_folder(out_dir, "summary.json");
  check_run_keeps_inputs(out_dir, kNeumetaRunFiles, options.inputs);
  io::check_run_file((dir / "metrics.jsonl").string());
  check_widths(c);
  check_parameter_budget(c, planned_parameters(c), "coordinate networks and MLPs");
  NeumetaSummary s;
  s.train_widths = c.get_int_list("widths.train");
  s.widths = c.get_int_list("widths.eval");
  const int64_t full = *std::max_element(s.train_widths.begin(), s.train_widths.end());
  const auto d = load_data(c);

  torch::manual_seed(static_cast<uint64_t>(c.get_int("seed")));
  ImplicitGenerator generator = neumeta_generator(c);
  create_run_folder(out_dir);
  io::remove_stale_temporaries(out_dir, kNeumetaRunFiles);
  io::write_file_atomic((dir / "config.yaml").string(), c.to_yaml());
  set_thread_count(c.get_int("threads"));

  Progress progress(log, ProgressOptions().terminal(options.terminal));
  const auto baselines = train_baselines(c, generator, d, full, progress, log);
  train_generator(c, generator, baselines, d, dir, progress);
  s.val_size = d.val.size();
  s.max_gap = s.max_val_gap = -1;
  for (size_t k = 0; k < s.widths.size(); ++k) {
    s.results.push_back(evaluate_width(
        generator, s.widths[k], d, baselines, k, s.train_widths, c.get_int("eval.batch_size")));
    s.max_gap = std::max(s.max_gap, s.results.back().gap);
    if (s.val_size > 0) s.max_val_gap = std::max(s.max_val_gap, s.results.back().val_gap);
    log_width(s.results.back(), s.val_size > 0, log);
  }
  save_generator(dir, generator, c);
  save_baselines(dir, s.widths, baselines, c);
  s.split = c.get_string("eval.split");

  s.generator_params = io::parameter_count(*generator);
  s.reference_params = baselines.reference_params;
  s.reference_acc = baselines.reference_acc;
  s.reordered_reference_acc = baselines.ordered_acc;
  s.train_steps = c.get_int("implicit.warmup_steps") + c.get_int("optimizer.steps");
  s.threads = torch::get_num_threads();
  s.wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  io::write_file_atomic((dir / "summary.json").string(), s.to_json() + "\n");
  std::vector<double> generated;
  for (const auto& r : s.results) generated.push_back(r.generated_acc);
  write_plot(dir, s.widths, generated, baselines.independent, log);
  return s;
}

}  // namespace hnet
