// `hnet neumeta`: reference, reordering, independent baselines, implicit
// training and evaluation, with the file contracts of DESIGN.md.

#include "hnet/learn/neumeta_experiment.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "hnet/io/atomic_file.h"
#include "hnet/io/plot.h"
#include "hnet/io/safetensors.h"
#include "hnet/learn/neumeta.h"
#include "hnet/learn/progress.h"
#include "hnet/spec.h"
#include "hnet/targets/neuron_order.h"

namespace hnet {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

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

// Rules spanning keys, checked before any file is touched.
void check_widths(const io::Config& c) {
  const auto train = c.get_int_list("widths.train");
  const auto eval = c.get_int_list("widths.eval");
  TORCH_CHECK(!train.empty(), "config key 'widths.train' must list at least one width, got []");
  TORCH_CHECK(!eval.empty(), "config key 'widths.eval' must list at least one width, got []");
  const int64_t lo = *std::min_element(train.begin(), train.end());
  const int64_t hi = *std::max_element(train.begin(), train.end());
  for (int64_t w : eval) {
    TORCH_CHECK(
        w >= lo && w <= hi, "config key 'widths.eval' must lie in the trained range [", lo, ", ",
        hi, "] of 'widths.train', got ", w);
  }
}

std::vector<double> octaves(int64_t n) {
  std::vector<double> f;
  for (int64_t k = 0; k < n; ++k) f.push_back(std::ldexp(1.0, static_cast<int>(k)));
  return f;
}

int64_t parameter_count(torch::nn::Module& m) {
  int64_t n = 0;
  for (const auto& p : m.parameters()) n += p.numel();
  return n;
}

MlpTrainingOptions mlp_options(const io::Config& c, uint64_t seed) {
  return MlpTrainingOptions()
      .steps(c.get_int("mlp.steps"))
      .batch_size(c.get_int("mlp.batch_size"))
      .lr(c.get_float("mlp.lr"))
      .cosine(c.get_string("optimizer.schedule") == "cosine")
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
    const fs::path& dir, const std::vector<int64_t>& widths, const json& generated,
    const json& independent, std::ostream& log) {
  if (!io::gnuplot_available()) {
    log << "gnuplot not found: accuracy.png not written\n";
    return;
  }
  std::vector<double> x(widths.begin(), widths.end());
  io::plot_accuracy_curves(
      (dir / "accuracy.png").string(), x,
      {{"generated (implicit)", generated.get<std::vector<double>>()},
       {"independent", independent.get<std::vector<double>>()}},
      "Fashion-MNIST MLP 784-w-w-10, NeuMeta", "hidden width w");
}

}  // namespace

// One entry per key, so as long as the list of keys.
io::ConfigSchema neumeta_config_schema() {
  using io::ConfigKey;
  io::ConfigSchema s;
  s.add(ConfigKey::text("method", "neumeta").choices({"neumeta"}).help("experiment"));
  s.add(ConfigKey::integer("seed", 1).min(0).help("random seed"));
  s.add(ConfigKey::integer("threads", 2).min(0).help("LibTorch threads (0: all cores)"));
  s.add(ConfigKey::text("data.root", "").help("folder of the Fashion-MNIST .gz files"));
  s.add(ConfigKey::integer("data.train_limit", 0)
            .min(0)
            .help("first n training images only (0: all)"));
  s.add(ConfigKey::integer("data.test_limit", 0).min(0).help("first n test images only (0: all)"));
  s.add(ConfigKey::integer("data.val_size", 0)
            .min(0)
            .help("last n training images held out of all training, for validation (0: none)"));
  s.add(ConfigKey::int_list("widths.train", {32, 64, 128, 256})
            .min(1)
            .help("hidden widths the task loss samples; the largest is the reference's"));
  s.add(ConfigKey::int_list("widths.eval", {32, 48, 64, 96, 128, 192, 256})
            .min(1)
            .help("hidden widths evaluated (within the trained range)"));
  s.add(ConfigKey::integer("mlp.steps", 2000)
            .min(1)
            .help("steps of the reference and each baseline"));
  s.add(ConfigKey::integer("mlp.batch_size", 128).min(1).help("batch size of the plain MLPs"));
  s.add(ConfigKey::real("mlp.lr", 0.001)
            .greater_than(0)
            .help("Adam learning rate of the plain MLPs"));
  s.add(ConfigKey::boolean("order.outgoing", true).help("reorder by outgoing weights too"));
  s.add(ConfigKey::int_list("generator.hidden", {64, 64})
            .min(1)
            .help("widths of the coordinate MLP"));
  s.add(ConfigKey::integer("generator.octaves", 8)
            .min(1)
            .help("Fourier frequencies 1, 2, 4, ... (count)"));
  s.add(ConfigKey::integer("generator.width_octaves", 0)
            .min(0)
            .help("Fourier frequencies 1, 2, 4, ... of the width coordinate (0: "
                  "generator.octaves)"));
  s.add(ConfigKey::integer("generator.rank", 0)
            .min(0)
            .help("0: one coordinate MLP per weight (additive); K: two towers, weight = "
                  "<u(out), v(in)>"));
  s.add(ConfigKey::real("generator.noise", 0.0005).min(0).help("std of the coordinate noise"));
  s.add(ConfigKey::boolean("generator.center_inputs", false)
            .help("generate the first layer for mean-free inputs, the training images' mean "
                  "folded into its bias"));
  s.add(ConfigKey::real("optimizer.lr", 0.001)
            .greater_than(0)
            .help("Adam learning rate (generator)"));
  s.add(ConfigKey::integer("optimizer.batch_size", 128).min(1).help("batch size (generator)"));
  s.add(ConfigKey::integer("optimizer.steps", 800).min(1).help("generator training steps"));
  s.add(ConfigKey::text("optimizer.schedule", "cosine")
            .choices({"constant", "cosine"})
            .help("learning rate over training"));
  s.add(ConfigKey::integer("implicit.warmup_steps", 0)
            .min(0)
            .help("fit-only steps before the joint ones"));
  s.add(ConfigKey::integer("implicit.widths_per_step", 1)
            .min(1)
            .help("widths in each step's task loss"));
  s.add(ConfigKey::text("implicit.width_draws", "uniform")
            .choices({"uniform", "proportional"})
            .help("how a step's widths are drawn: uniform, or proportional to the width"));
  s.add(ConfigKey::real("implicit.fit_weight", 0.1)
            .min(0)
            .help("weight of the fit to the reference"));
  s.add(ConfigKey::integer("implicit.fit_rows", 32)
            .min(1)
            .help("neurons per layer in each step's fit"));
  s.add(ConfigKey::integer("log.every", 100).min(1).help("steps between metric lines"));
  s.add(ConfigKey::integer("eval.batch_size", 1000).min(1).help("evaluation batch size"));
  return s;
}

std::string run_neumeta_experiment(const io::Config& c, const NeumetaRunOptions& options) {
  const auto start = std::chrono::steady_clock::now();
  std::ostringstream discard;
  std::ostream& log = options.log ? *options.log : discard;
  const fs::path dir = options.out_dir;
  TORCH_CHECK(!options.out_dir.empty(), "neumeta: the output folder must not be empty");
  TORCH_CHECK(
      !fs::exists(dir / "summary.json"), "--out ", options.out_dir,
      ": the folder already holds a run (summary.json); choose another --out");
  check_widths(c);
  const auto train_widths = c.get_int_list("widths.train");
  const auto eval_widths = c.get_int_list("widths.eval");
  const int64_t full = *std::max_element(train_widths.begin(), train_widths.end());
  const int64_t lo = *std::min_element(train_widths.begin(), train_widths.end());
  const uint64_t seed = static_cast<uint64_t>(c.get_int("seed"));
  const int64_t eval_batch = c.get_int("eval.batch_size");

  const std::string root =
      c.get_string("data.root").empty() ? data::default_data_root() : c.get_string("data.root");
  auto train =
      first_n(data::load_fashion_mnist(root, data::Split::kTrain), c.get_int("data.train_limit"));
  const int64_t val_size = c.get_int("data.val_size");
  TORCH_CHECK(
      val_size < train.size(), "config key 'data.val_size' must be below the ", train.size(),
      " training images, got ", val_size);
  // The validation images are the last ones, out of every training phase.
  const auto val = slice(train, train.size() - val_size, val_size);
  train = first_n(train, train.size() - val_size);
  const auto test =
      first_n(data::load_fashion_mnist(root, data::Split::kTest), c.get_int("data.test_limit"));

  torch::manual_seed(seed);
  ImplicitGenerator generator(ImplicitGeneratorOptions(train.images[0].numel(), 10, lo, full)
                                  .frequencies(octaves(c.get_int("generator.octaves")))
                                  .width_frequencies(octaves(c.get_int("generator.width_octaves")))
                                  .hidden(c.get_int_list("generator.hidden"))
                                  .coordinate_noise(c.get_float("generator.noise"))
                                  .rank(c.get_int("generator.rank")));

  std::error_code ec;
  fs::create_directories(dir, ec);
  TORCH_CHECK(!ec, "--out ", options.out_dir, ": cannot create the folder: ", ec.message());
  io::remove_stale_temporaries(dir.string());
  io::write_file_atomic((dir / "config.yaml").string(), c.to_yaml());
  const int64_t threads = c.get_int("threads");
  torch::set_num_threads(
      threads > 0 ? static_cast<int>(threads)
                  : static_cast<int>(std::thread::hardware_concurrency()));

  Progress progress(log, ProgressOptions().terminal(options.terminal));
  const auto sizes = generator->mlp_sizes(full);
  auto reference =
      train_phase(progress, "reference " + shape_str(sizes), sizes, train, mlp_options(c, seed));
  const double reference_acc = mlp_accuracy(sizes, reference, test, eval_batch);
  progress.finish("test acc " + fixed(reference_acc));
  auto ordered = order_mlp_neurons(
                     sizes, reference, NeuronOrderOptions().outgoing(c.get_bool("order.outgoing")))
                     .flat;
  const double ordered_acc = mlp_accuracy(sizes, ordered, test, eval_batch);
  log << "reordered reference: test acc " << fixed(ordered_acc) << "\n";

  std::vector<double> independent, independent_val;
  for (size_t k = 0; k < eval_widths.size(); ++k) {
    const auto s = generator->mlp_sizes(eval_widths[k]);
    auto flat = train_phase(
        progress, "independent " + shape_str(s), s, train, mlp_options(c, seed + 1 + k));
    independent.push_back(mlp_accuracy(s, flat, test, eval_batch));
    if (val_size > 0) independent_val.push_back(mlp_accuracy(s, flat, val, eval_batch));
    progress.finish("test acc " + fixed(independent.back()));
  }

  if (c.get_bool("generator.center_inputs")) {
    torch::NoGradGuard no_grad;
    generator->input_mean.copy_(train.images.reshape({train.size(), -1}).mean(0));
  }
  generator->calibrate_scales(ordered);
  match_layer_scales(
      generator, ordered, train.images.narrow(0, 0, std::min<int64_t>(512, train.size())));
  std::ofstream metrics(dir / "metrics.jsonl", std::ios::trunc);
  TORCH_CHECK(metrics, "neumeta: cannot open ", (dir / "metrics.jsonl").string());
  const int64_t steps = c.get_int("optimizer.steps");
  const int64_t log_every = c.get_int("log.every");
  progress.start("implicit generator", c.get_int("implicit.warmup_steps") + steps);
  train_implicit(
      generator, ordered, train,
      ImplicitTrainingOptions(train_widths)
          .steps(steps)
          .warmup_steps(c.get_int("implicit.warmup_steps"))
          .batch_size(c.get_int("optimizer.batch_size"))
          .lr(c.get_float("optimizer.lr"))
          .cosine(c.get_string("optimizer.schedule") == "cosine")
          .widths_per_step(c.get_int("implicit.widths_per_step"))
          .proportional_widths(c.get_string("implicit.width_draws") == "proportional")
          .fit_weight(c.get_float("implicit.fit_weight"))
          .fit_rows(c.get_int("implicit.fit_rows"))
          .seed(seed),
      [&](const ImplicitStep& r) {
        progress.update(r.step, r.task + c.get_float("implicit.fit_weight") * r.fit);
        if (r.step % log_every == 0) {
          metrics << json{{"step", r.step}, {"task", r.task}, {"fit", r.fit}}.dump() << std::endl;
        }
      });
  progress.finish();

  json results = json::array(), generated_acc = json::array(), gaps = json::array();
  double max_gap = -1, max_val_gap = -1;
  for (size_t k = 0; k < eval_widths.size(); ++k) {
    const int64_t w = eval_widths[k];
    const double acc = implicit_accuracy(generator, w, test, eval_batch);
    const bool trained =
        std::find(train_widths.begin(), train_widths.end(), w) != train_widths.end();
    const double gap = independent[k] - acc;
    max_gap = std::max(max_gap, gap);
    generated_acc.push_back(acc);
    gaps.push_back(gap);
    results.push_back(
        {{"width", w},
         {"trained", trained},
         {"generated_acc", acc},
         {"independent_acc", independent[k]},
         {"gap", gap}});
    log << "width " << w << (trained ? " (trained)" : " (unseen) ") << "  generated " << fixed(acc)
        << "  independent " << fixed(independent[k]) << "  gap " << fixed(gap);
    if (val_size > 0) {
      const double val_acc = implicit_accuracy(generator, w, val, eval_batch);
      const double val_gap = independent_val[k] - val_acc;
      results.back()["generated_val_acc"] = val_acc;
      results.back()["independent_val_acc"] = independent_val[k];
      results.back()["val_gap"] = val_gap;
      max_val_gap = std::max(max_val_gap, val_gap);
      log << "  (validation: gap " << fixed(val_gap) << ")";
    }
    log << "\n";
  }

  io::NamedTensors tensors;
  for (const auto& p : generator->named_parameters()) tensors.emplace_back(p.key(), p.value());
  for (const auto& b : generator->named_buffers()) tensors.emplace_back(b.key(), b.value());
  io::save_safetensors(
      (dir / "generator.safetensors").string(), tensors,
      {{"format", "hnet-implicit-generator"}, {"config", c.to_yaml()}});

  const int64_t generator_params = parameter_count(*generator);
  const int64_t reference_params = reference.numel();
  json summary{
      {"method", "neumeta"},
      {"widths", eval_widths},
      {"train_widths", train_widths},
      {"results", results},
      {"generated_acc", generated_acc},
      {"independent_acc", independent},
      {"gap", gaps},
      {"max_gap", max_gap},
      {"val_size", val_size},
      {"generator_params", generator_params},
      {"reference_params", reference_params},
      {"target_params", reference_params},
      {"reference_acc", reference_acc},
      {"reordered_reference_acc", ordered_acc},
      {"target_met", max_gap <= 0.02 && generator_params < reference_params},
      {"train_steps", c.get_int("implicit.warmup_steps") + steps},
      {"threads", torch::get_num_threads()}};
  if (val_size > 0) summary["max_val_gap"] = max_val_gap;
  summary["wall_seconds"] =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  io::write_file_atomic((dir / "summary.json").string(), summary.dump(2) + "\n");
  write_plot(dir, eval_widths, generated_acc, json(independent), log);
  return summary.dump(2);
}

}  // namespace hnet
