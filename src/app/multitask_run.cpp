// `hnet multitask`: pretraining the backbone, then every adaptation method
// on the same tasks, data and budget (multitask_run.h).

#include "hnet/app/multitask_run.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <sstream>

#include "hnet/adapters/bottleneck_adapters.h"
#include "hnet/adapters/low_rank_updates.h"
#include "hnet/app/config_keys.h"
#include "hnet/app/progress.h"
#include "hnet/app/run_folder.h"
#include "hnet/errors.h"
#include "hnet/io/atomic_file.h"
#include "hnet/io/file_safety.h"
#include "hnet/io/input_file.h"
#include "hnet/io/module_state.h"
#include "hnet/io/plot.h"
#include "hnet/io/safetensors.h"
#include "hnet/learn/multitask.h"

namespace hnet {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;
using adapters::ConvLayerShape;
using multitask::TaskInfo;

const std::vector<std::string> kMultitaskRunFiles{
    "summary.json", "config.yaml", "metrics.jsonl", "backbone.safetensors", "delta_m.png"};
constexpr const char* kBackboneFormat = "hnet-multitask-backbone";
constexpr const char* kReference = "single";

// The comma-separated names of config key `key`, each one of `known`, none twice.
std::vector<std::string> name_list(
    const io::Config& c, const std::string& key, const std::vector<std::string>& known) {
  std::vector<std::string> names;
  std::stringstream in(c.get_string(key));
  std::string known_text;
  for (const auto& k : known) known_text += (known_text.empty() ? "" : "|") + k;
  for (std::string name; std::getline(in, name, ',');) {
    HNET_CHECK_INPUT(
        std::find(known.begin(), known.end(), name) != known.end(), "config key '", key,
        "': unknown name '", name, "', expected a comma-separated list of ", known_text);
    HNET_CHECK_INPUT(
        std::find(names.begin(), names.end(), name) == names.end(), "config key '", key,
        "' names '", name, "' twice");
    names.push_back(name);
  }
  HNET_CHECK_INPUT(!names.empty(), "config key '", key, "' must name at least one of ", known_text);
  return names;
}

adapters::EncoderOptions encoder_options(const io::Config& c) {
  adapters::EncoderOptions o;
  o.widths = c.get_int_list("backbone.widths");
  o.convs_per_stage = c.get_int("backbone.convs_per_stage");
  return o;
}

adapters::AdapterHypernetworkOptions hypernetwork_options(const io::Config& c, bool lite) {
  adapters::AdapterHypernetworkOptions o;
  o.rank = c.get_int("adapter.rank");
  o.embedding = c.get_int("hyper.embedding");
  o.hidden = c.get_int("hyper.hidden");
  o.factor_rank = c.get_int("polyhistor.factor_rank");
  o.lite = lite;
  return o;
}

std::vector<std::vector<int64_t>> flora_ranks(
    const io::Config& c, const std::vector<ConvLayerShape>& layers) {
  const auto given = c.get_int_list("flora.ranks");
  HNET_CHECK_INPUT(
      given.empty() || given.size() == 4,
      "config key 'flora.ranks' must hold 4 entries (out, in, h, w) or none, got ", given.size());
  std::vector<std::vector<int64_t>> ranks;
  for (const auto& l : layers) {
    if (given.empty()) {
      ranks.push_back(adapters::tucker_ranks_matching_lora(l, c.get_int("lora.rank")));
    } else {
      // One tuple for every layer, each entry at most the layer's dimension.
      ranks.push_back(
          {std::min(given[0], l.out), std::min(given[1], l.in), std::min(given[2], l.kernel),
           std::min(given[3], l.kernel)});
    }
  }
  return ranks;
}

// The adaptation of `method` (null for the methods that tune or freeze the encoder itself).
std::shared_ptr<adapters::Adaptation> make_adaptation(
    const std::string& method, const io::Config& c, const std::vector<ConvLayerShape>& layers,
    int64_t tasks) {
  if (method == "adapter") {
    return std::make_shared<adapters::BottleneckAdapters>(layers, tasks, c.get_int("adapter.rank"));
  }
  if (method == "lora") {
    return std::make_shared<adapters::LoraUpdates>(layers, tasks, c.get_int("lora.rank"));
  }
  if (method == "flora") {
    return std::make_shared<adapters::TuckerUpdates>(layers, tasks, flora_ranks(c, layers));
  }
  if (method == "maestro") {
    return std::make_shared<adapters::MaestroUpdates>(
        layers, tasks, c.get_int("maestro.max_rank"), c.get_float("maestro.lasso"));
  }
  if (method == "hyperformer") {
    return std::make_shared<adapters::HyperformerAdapters>(
        layers, tasks, hypernetwork_options(c, false));
  }
  if (method == "polyhistor" || method == "polyhistor_lite") {
    return std::make_shared<adapters::PolyhistorAdapters>(
        layers, tasks, hypernetwork_options(c, method == "polyhistor_lite"));
  }
  return nullptr;
}

// The encoder's parameter count from its layer shapes, before it is built.
int64_t planned_encoder_parameters(const std::vector<ConvLayerShape>& layers) {
  int64_t n = 0;
  for (const auto& l : layers) n += l.out * l.in * l.kernel * l.kernel + l.out;
  return n;
}

struct MultitaskData {
  multitask::TaskData train, val, test;
  data::Dataset train_images, test_images;
};

data::Dataset first_images(const data::Dataset& d, int64_t n) {
  if (n <= 0 || n >= d.size()) return d;
  return {d.images.narrow(0, 0, n), d.labels.narrow(0, 0, n)};
}

MultitaskData load_multitask_data(const io::Config& c) {
  const std::string root = data_root(c);
  MultitaskData d;
  auto train = first_images(
      data::load_fashion_mnist(root, data::Split::kTrain), c.get_int("data.train_limit"));
  const int64_t val_size = c.get_int("data.val_size");
  HNET_CHECK_INPUT(
      val_size + 2 <= train.size(), "config key 'data.val_size' must leave at least 2 of the ",
      train.size(), " training images for training, got ", val_size);
  const int64_t n = train.size() - val_size;
  d.train_images = {train.images.narrow(0, 0, n), train.labels.narrow(0, 0, n)};
  d.test_images = first_images(
      data::load_fashion_mnist(root, data::Split::kTest), c.get_int("data.test_limit"));
  d.train = multitask::derive_task_data(d.train_images);
  d.val = multitask::derive_task_data(
      {train.images.narrow(0, n, val_size), train.labels.narrow(0, n, val_size)});
  d.test = multitask::derive_task_data(d.test_images);
  return d;
}

// The encoder saved in `file`, checked tensor by tensor against the configured one.
adapters::Encoder load_backbone(const io::Config& c, const std::string& file) {
  adapters::Encoder encoder(encoder_options(c));
  const auto saved = io::load_safetensors(file);
  const auto format = saved.metadata.find("format");
  HNET_CHECK_INPUT(
      format != saved.metadata.end() && format->second == kBackboneFormat, "backbone file ",
      io::clipped(file), ": metadata 'format' must be '", kBackboneFormat, "'");
  HNET_CHECK_INPUT(
      saved.tensors.size() == encoder->parameters().size(), "backbone file ", io::clipped(file),
      " holds ", saved.tensors.size(), " tensors; an encoder of backbone.widths and ",
      "backbone.convs_per_stage has ", encoder->parameters().size());
  try {
    io::load_module_state(saved, *encoder, "");
  } catch (const c10::ValueError& e) {
    HNET_CHECK_INPUT(
        false, "backbone file ", io::clipped(file),
        " is an encoder of another architecture: ", e.what_without_backtrace());
  }
  return encoder;
}

adapters::Encoder pretrained_backbone(
    const io::Config& c, const MultitaskData& d, Progress& progress) {
  adapters::Encoder encoder(encoder_options(c));
  const int64_t steps = c.get_int("pretrain.steps");
  progress.start("pretrain backbone", steps);
  multitask::pretrain_encoder(
      encoder, d.train_images, c.get_int("pretrain.classes"), steps,
      c.get_int("optimizer.batch_size"), c.get_float("pretrain.lr"),
      static_cast<uint64_t>(c.get_int("seed")),
      [&](int64_t step, double loss) { progress.update(step, loss); });
  progress.finish();
  return encoder;
}

int64_t encoder_parameters(adapters::Encoder& e) {
  return io::parameter_count(*e);
}

adapters::Encoder copy_encoder(const io::Config& c, const io::NamedTensors& state) {
  adapters::Encoder e(encoder_options(c));
  torch::NoGradGuard no_grad;
  auto params = e->named_parameters();
  for (const auto& [name, value] : state) params[name].copy_(value);
  return e;
}

struct Context {
  const io::Config& c;
  const MultitaskData& d;
  const std::vector<TaskInfo>& tasks;
  io::NamedTensors backbone_state;
  Progress& progress;
  MetricsLog& metrics;
};

// Trains `model` for `tasks` with a progress phase and metric lines.
void train_method_phase(
    Context& x, multitask::MultitaskModel& model, const std::string& label,
    const multitask::MultitaskTrainingOptions& options) {
  const int64_t every = x.c.get_int("log.every");
  x.progress.start(label, options.steps);
  multitask::train_multitask(model, x.d.train, options, [&](int64_t step, double loss) {
    x.progress.update(step, loss);
    if (step % every == 0) {
      x.metrics.write_line(json{{"method", label}, {"step", step}, {"loss", loss}}.dump());
    }
  });
}

multitask::MultitaskModel new_model(Context& x, const std::vector<TaskInfo>& tasks) {
  multitask::MultitaskModel m;
  m.encoder = copy_encoder(x.c, x.backbone_state);
  m.tasks = tasks;
  for (const auto& t : tasks) {
    m.decoders.emplace_back(
        m.encoder->stage_widths(), t, x.c.get_int("decoder.dim"), data::kFashionMnistSide);
  }
  return m;
}

int64_t decoder_parameters(const multitask::MultitaskModel& m) {
  int64_t n = 0;
  for (const auto& d : m.decoders) n += io::parameter_count(*d);
  return n;
}

multitask::MultitaskTrainingOptions training_options(const io::Config& c, bool full) {
  multitask::MultitaskTrainingOptions o;
  o.steps = c.get_int("optimizer.steps");
  o.batch_size = c.get_int("optimizer.batch_size");
  o.lr = c.get_float(full ? "optimizer.lr_full" : "optimizer.lr");
  o.seed = static_cast<uint64_t>(c.get_int("seed"));
  o.train_encoder = full;
  return o;
}

// Single-task full fine-tuning: a copy of the encoder per task.
MultitaskMethodResult run_single(Context& x) {
  MultitaskMethodResult r;
  r.method = kReference;
  const int64_t batch = x.c.get_int("eval.batch_size");
  for (const auto& task : x.tasks) {
    auto model = new_model(x, {task});
    train_method_phase(
        x, model, std::string(kReference) + " " + task.name, training_options(x.c, true));
    r.test.push_back(multitask::evaluate_multitask(model, x.d.test, batch)[0]);
    r.val.push_back(multitask::evaluate_multitask(model, x.d.val, batch)[0]);
    x.progress.finish(task.metric + " " + std::to_string(r.test.back()));
    r.trainable_params += encoder_parameters(model.encoder);
    r.decoder_params += decoder_parameters(model);
  }
  return r;
}

// Maestro: the learned ranks, then the truncation curve (every layer at rank k).
void maestro_ranks(
    Context& x, multitask::MultitaskModel& model, const std::vector<ConvLayerShape>& layers,
    const std::vector<double>& reference, MultitaskSummary& s) {
  auto& maestro = static_cast<adapters::MaestroUpdates&>(*model.adaptation);
  const int64_t batch = x.c.get_int("eval.batch_size");
  const int64_t tasks = static_cast<int64_t>(x.tasks.size());
  auto params_at = [&](const std::vector<int64_t>& ranks) {
    int64_t n = 0;
    for (size_t l = 0; l < layers.size(); ++l)
      n += tasks * adapters::lora_parameters(layers[l], ranks[l]);
    return n;
  };
  s.maestro_curve.clear();
  for (int64_t k = 1; k <= x.c.get_int("maestro.max_rank"); ++k) {
    const std::vector<int64_t> ranks(layers.size(), k);
    maestro.set_ranks(ranks);
    const auto test = multitask::evaluate_multitask(model, x.d.test, batch);
    s.maestro_curve.push_back({k, params_at(ranks), multitask::delta_m(x.tasks, test, reference)});
  }
  s.maestro_ranks = maestro.learned_ranks(x.c.get_float("maestro.tolerance"));
  maestro.set_ranks(s.maestro_ranks);
  s.maestro_learned_params = params_at(s.maestro_ranks);
}

MultitaskMethodResult run_method(
    Context& x, const std::string& method, const std::vector<ConvLayerShape>& layers,
    const MultitaskMethodResult& reference, MultitaskSummary& s) {
  if (method == kReference) return run_single(x);
  MultitaskMethodResult r;
  r.method = method;
  auto model = new_model(x, x.tasks);
  model.adaptation = make_adaptation(method, x.c, layers, static_cast<int64_t>(x.tasks.size()));
  const bool full = method == "multi";
  train_method_phase(x, model, method, training_options(x.c, full));
  x.progress.finish();
  if (full) r.trainable_params = encoder_parameters(model.encoder);
  if (model.adaptation) r.trainable_params = io::parameter_count(*model.adaptation);
  if (method == "maestro") maestro_ranks(x, model, layers, reference.test, s);
  const int64_t batch = x.c.get_int("eval.batch_size");
  r.test = multitask::evaluate_multitask(model, x.d.test, batch);
  r.val = multitask::evaluate_multitask(model, x.d.val, batch);
  r.decoder_params = decoder_parameters(model);
  return r;
}

// Every method's Delta_m against the first (single-task fine-tuning).
void update_delta_m(const std::vector<TaskInfo>& tasks, MultitaskSummary& s) {
  for (auto& m : s.methods) {
    m.delta_m = multitask::delta_m(tasks, m.test, s.methods.front().test);
    m.val_delta_m = multitask::delta_m(tasks, m.val, s.methods.front().val);
  }
}

json method_json(const MultitaskMethodResult& r, const std::vector<std::string>& tasks) {
  json per_task, val_per_task;
  for (size_t t = 0; t < tasks.size(); ++t) {
    per_task[tasks[t]] = r.test[t];
    val_per_task[tasks[t]] = r.val[t];
  }
  return {
      {"method", r.method},
      {"trainable_params", r.trainable_params},
      {"decoder_params", r.decoder_params},
      {"delta_m", r.delta_m},
      {"val_delta_m", r.val_delta_m},
      {"per_task", per_task},
      {"val_per_task", val_per_task},
      {"wall_seconds", r.wall_seconds}};
}

// The methods an earlier, killed run of the same configuration finished
// (and Maestro's ranks and curve into `s`).
std::vector<MultitaskMethodResult> finished_methods(
    const fs::path& dir, const std::vector<std::string>& tasks, MultitaskSummary& s) {
  const auto path = (dir / "summary.json").string();
  std::vector<MultitaskMethodResult> done;
  if (!io::path_exists(path)) return done;
  constexpr size_t kMostSummaryBytes = 1 << 20;
  try {
    const auto j = json::parse(io::read_file(path, kMostSummaryBytes));
    s.maestro_ranks = j.at("maestro_learned_ranks").get<std::vector<int64_t>>();
    s.maestro_learned_params = j.at("maestro_learned_params").get<int64_t>();
    s.metrics_bytes = j.at("metrics_bytes").get<int64_t>();
    s.wall_seconds = j.at("wall_seconds").get<double>();
    for (const auto& p : j.at("maestro_curve")) {
      s.maestro_curve.push_back(
          {p.at("rank").get<int64_t>(), p.at("trainable_params").get<int64_t>(),
           p.at("delta_m").get<double>()});
    }
    for (const auto& m : j.at("methods")) {
      MultitaskMethodResult r;
      r.method = m.at("method").get<std::string>();
      r.trainable_params = m.at("trainable_params").get<int64_t>();
      r.decoder_params = m.at("decoder_params").get<int64_t>();
      r.wall_seconds = m.at("wall_seconds").get<double>();
      for (const auto& t : tasks) {
        r.test.push_back(m.at("per_task").at(t).get<double>());
        r.val.push_back(m.at("val_per_task").at(t).get<double>());
      }
      done.push_back(std::move(r));
    }
  } catch (const json::exception& e) {
    HNET_CHECK_INPUT(
        false, "run file ", io::clipped(path), " is not a multitask summary: ", e.what());
  }
  return done;
}

void write_delta_m_plot(const fs::path& dir, const MultitaskSummary& s, std::ostream& log) {
  if (!io::gnuplot_available()) {
    log << "gnuplot not found: delta_m.png not written\n";
    return;
  }
  std::vector<io::LabelledPoint> points;
  for (const auto& r : s.methods) {
    if (r.trainable_params > 0 && std::isfinite(r.delta_m)) {
      points.push_back({r.method, static_cast<double>(r.trainable_params), r.delta_m});
    }
  }
  // Maestro truncated to every rank: its accuracy-vs-rank curve.
  for (const auto& p : s.maestro_curve) {
    if (std::isfinite(p.delta_m)) {
      points.push_back(
          {"@" + std::to_string(p.rank), static_cast<double>(p.trainable_params), p.delta_m});
    }
  }
  if (points.empty()) return;
  io::plot_labelled_points(
      (dir / "delta_m.png").string(), points, "Multi-task adaptation of a frozen encoder",
      "trainable encoder parameters (log scale)", "Delta_m vs single-task fine-tuning (%)");
}

}  // namespace

std::vector<std::string> multitask_methods() {
  return {"single", "multi",       "decoders",   "adapter",         "lora",
          "flora",  "hyperformer", "polyhistor", "polyhistor_lite", "maestro"};
}

std::string MultitaskSummary::to_json() const {
  json methods_json = json::array();
  for (const auto& r : methods) methods_json.push_back(method_json(r, tasks));
  json curve = json::array();
  for (const auto& p : maestro_curve) {
    curve.push_back(
        {{"rank", p.rank}, {"trainable_params", p.trainable_params}, {"delta_m", p.delta_m}});
  }
  return json{
      {"method", "multitask"},
      {"tasks", tasks},
      {"metrics", metrics},
      {"reference", kReference},
      {"methods", methods_json},
      {"maestro_learned_ranks", maestro_ranks},
      {"maestro_curve", curve},
      {"maestro_learned_params", maestro_learned_params},
      {"metrics_bytes", metrics_bytes},
      {"seed", seed},
      {"threads", threads},
      {"wall_seconds", wall_seconds}}
      .dump(2);
}

MultitaskSummary run_multitask(
    const io::Config& c, const std::string& out_dir, const MultitaskRunOptions& options) {
  const auto start = std::chrono::steady_clock::now();
  std::ostringstream discard;
  std::ostream& log = options.log ? *options.log : discard;
  const fs::path dir = out_dir;
  // Everything the config says is checked before a file is touched.
  const auto task_list = name_list(c, "multitask.tasks", multitask::task_names());
  const auto method_list = name_list(c, "multitask.methods", multitask_methods());
  HNET_CHECK_INPUT(
      method_list.front() == kReference, "config key 'multitask.methods' must start with '",
      kReference, "' (the Delta_m reference), got '", method_list.front(), "'");
  std::vector<TaskInfo> tasks;
  for (const auto& t : task_list) tasks.push_back(multitask::task_info(t));
  const auto layers = adapters::encoder_layers(encoder_options(c));
  check_parameter_budget(c, planned_encoder_parameters(layers), "the backbone encoder");
  for (const auto& m : method_list) {
    // Builds each adaptation once: its rank checks, then its size.
    const auto a = make_adaptation(m, c, layers, static_cast<int64_t>(tasks.size()));
    if (a) check_parameter_budget(c, io::parameter_count(*a), "method " + m);
  }
  check_run_keeps_inputs(out_dir, kMultitaskRunFiles, options.inputs);
  const bool continuing = folder_holds_config(out_dir, c, multitask_config_schema());
  const auto d = load_multitask_data(c);
  const std::string given = c.get_string("backbone.file");
  adapters::Encoder encoder{nullptr};
  if (!given.empty()) encoder = load_backbone(c, given);

  MultitaskSummary s;
  s.tasks = task_list;
  for (const auto& t : tasks) s.metrics.push_back(t.metric);
  s.seed = c.get_int("seed");
  s.threads = c.get_int("threads");
  auto done =
      continuing ? finished_methods(dir, task_list, s) : std::vector<MultitaskMethodResult>{};
  // Wall time adds up over the invocations of one run.
  const double earlier_seconds = s.wall_seconds;
  const auto elapsed = [&] {
    return earlier_seconds +
           std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  };
  create_run_folder(out_dir);
  io::remove_stale_temporaries(out_dir, kMultitaskRunFiles);
  io::write_file_atomic((dir / "config.yaml").string(), c.to_yaml());
  set_thread_count(c.get_int("threads"));
  torch::manual_seed(static_cast<uint64_t>(c.get_int("seed")));

  Progress progress(log, ProgressOptions().terminal(options.terminal));
  const auto saved_backbone = (dir / "backbone.safetensors").string();
  if (!encoder) {
    encoder = continuing && io::path_exists(saved_backbone) ? load_backbone(c, saved_backbone)
                                                            : pretrained_backbone(c, d, progress);
  }
  const auto state = io::module_state(*encoder, "");
  if (given.empty()) {
    io::save_safetensors(
        saved_backbone, state, {{"format", kBackboneFormat}, {"config", c.to_yaml()}});
  }
  // A killed method logged lines that its rerun logs again: cut them.
  if (continuing) cut_file((dir / "metrics.jsonl").string(), s.metrics_bytes);
  MetricsLog metrics((dir / "metrics.jsonl").string(), continuing);
  Context x{c, d, tasks, state, progress, metrics};
  for (const auto& method : method_list) {
    auto it =
        std::find_if(done.begin(), done.end(), [&](const auto& r) { return r.method == method; });
    if (it != done.end()) {
      log << method << ": finished in an earlier run\n";
      s.methods.push_back(*it);
      continue;
    }
    const auto method_start = std::chrono::steady_clock::now();
    torch::manual_seed(static_cast<uint64_t>(c.get_int("seed")));
    auto r = run_method(
        x, method, layers, s.methods.empty() ? MultitaskMethodResult{} : s.methods.front(), s);
    r.wall_seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - method_start).count();
    s.methods.push_back(std::move(r));
    update_delta_m(tasks, s);
    s.metrics_bytes = metrics.size();
    s.wall_seconds = elapsed();
    log << method << ": Delta_m " << s.methods.back().delta_m << " %, "
        << s.methods.back().trainable_params << " trainable encoder parameters\n";
    io::write_file_atomic((dir / "summary.json").string(), s.to_json() + "\n");
  }
  update_delta_m(tasks, s);
  write_delta_m_plot(dir, s, log);
  s.wall_seconds = elapsed();
  io::write_file_atomic((dir / "summary.json").string(), s.to_json() + "\n");
  return s;
}

}  // namespace hnet
