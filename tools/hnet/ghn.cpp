// `hnet ghn train | eval | predict | finetune`: graph hypernetworks
// (include/hnet/app/ghn_run.h).

#include <filesystem>
#include <fstream>
#include <iostream>

#include "commands.h"
#include "hnet/app/ghn_run.h"
#include "hnet/app/progress.h"
#include "hnet/errors.h"
#include "hnet/io/atomic_file.h"
#include "hnet/io/plot.h"
#include "rank_flags.h"

namespace hnet::cli {
namespace {

namespace fs = std::filesystem;

void print_summary(const GhnSummary& s) {
  for (const auto& r : s.sets) {
    std::printf(
        "zero-shot %-4s mean accuracy %.4f over %zu architectures\n", r.set.c_str(), r.mean_acc,
        r.acc.size());
  }
  std::printf(
      "GHN %lld parameters (weight decoder %lld); %.1f s\n", static_cast<long long>(s.ghn_params),
      static_cast<long long>(s.decoder_params), s.wall_seconds);
}

// The command line each rank of a `--nproc` launch runs (launch.h appends
// its place in the group).
std::vector<std::string> rank_arguments(
    const std::string& config, const std::vector<std::string>& overrides, const std::string& out,
    const std::string& resume) {
  std::vector<std::string> a{"ghn", "train"};
  if (!resume.empty()) {
    a.insert(a.end(), {"--resume", resume});
  } else {
    a.push_back(config);
    a.insert(a.end(), overrides.begin(), overrides.end());
    a.insert(a.end(), {"--out", out});
  }
  return a;
}

void add_train(CLI::App& ghn) {
  struct Args {
    std::string config, out, resume;
    std::vector<std::string> overrides;
    bool list_keys = false;
    RankFlags ranks;
  };
  auto args = std::make_shared<Args>();
  auto* cmd = ghn.add_subcommand("train", "Train a graph hypernetwork on sampled architectures");
  cmd->add_option("config", args->config, "YAML config (see configs/ghn_fmnist.yaml)");
  cmd->add_option("overrides", args->overrides, "key=value overrides, e.g. optimizer.steps=500");
  cmd->add_option("--out", args->out, "output folder (default runs/<config>-<time>)");
  cmd->add_option("--resume", args->resume, "continue the run in this folder from its checkpoint");
  cmd->add_flag("--list-keys", args->list_keys, "print every config key and its rule, then exit");
  add_rank_flags(cmd, args->ranks);
  cmd->callback([args] {
    if (args->list_keys) {
      std::cout << ghn_config_schema().describe();
      return;
    }
    GhnRunOptions options;
    options.log = &std::cout;
    options.terminal = Progress::stdout_is_terminal();
    options.dist = args->ranks.checked("ghn train");
    if (!args->resume.empty()) {
      HNET_CHECK_INPUT(
          args->config.empty() && args->overrides.empty() && args->out.empty(),
          "ghn train: --resume takes the configuration from the run folder; give no CONFIG, "
          "overrides or --out");
      if (args->ranks.launches()) {
        run_local_ranks(rank_arguments("", {}, "", args->resume), args->ranks);
        return;
      }
      const auto summary = resume_ghn_training(args->resume, options);
      if (options.dist.rank == 0) print_summary(summary);
      return;
    }
    HNET_CHECK_INPUT(
        !args->config.empty(), "ghn train: a CONFIG file (or --resume DIR) is required");
    const auto config = io::Config::resolve(ghn_config_schema(), args->config, args->overrides);
    options.inputs = {args->config};
    const std::string out = args->out.empty() ? default_out_dir(args->config) : args->out;
    if (args->ranks.launches()) {
      distributed::Rendezvous all;
      all.world_size = args->ranks.nproc;
      check_ghn_ranks(config, all);
      std::cout << "run folder: " << out << " (" << all.world_size << " ranks)" << std::endl;
      run_local_ranks(rank_arguments(args->config, args->overrides, out, ""), args->ranks);
      return;
    }
    if (options.dist.rank == 0) std::cout << "run folder: " << out << "\n";
    const auto summary = run_ghn_training(config, out, options);
    if (options.dist.rank == 0) print_summary(summary);
  });
}

// eval.png: accuracy of each architecture, sorted.
void write_eval_plot(const std::string& dir, const GhnSetResult& r) {
  if (!io::gnuplot_available()) return;
  std::vector<double> sorted = r.acc, x;
  std::sort(sorted.begin(), sorted.end());
  for (size_t i = 0; i < sorted.size(); ++i) x.push_back(static_cast<double>(i + 1));
  io::plot_accuracy_curves(
      (fs::path(dir) / ("eval_" + r.set + ".png")).string(), x, {{"zero-shot", sorted}},
      "GHN zero-shot accuracy, " + r.set + " architectures (sorted)", "architecture");
}

void add_eval(CLI::App& ghn) {
  struct Args {
    std::string dir, set = "test";
    bool json = false;
  };
  auto args = std::make_shared<Args>();
  auto* cmd = ghn.add_subcommand("eval", "Zero-shot accuracy of a run's GHN per architecture");
  cmd->add_option("dir", args->dir, "folder of a finished `hnet ghn train` run")->required();
  cmd->add_option("--set", args->set, "test (in distribution) or ood");
  cmd->add_flag("--json", args->json, "print {set, mean_acc, acc, archs} as JSON on stdout");
  cmd->callback([args] {
    HNET_CHECK_INPUT(
        args->set == "test" || args->set == "ood", "ghn eval: --set must be test or ood, got '",
        args->set, "'");
    auto run = load_trained_ghn(args->dir);
    const auto r = evaluate_ghn_set(run, args->set);
    if (args->json) {
      std::cout << ghn_eval_json(run, r) << "\n";
      return;
    }
    const auto& kinds = run.sets.ood_kinds;
    std::printf("arch  accuracy%s\n", args->set == "ood" ? "  kind" : "");
    for (size_t i = 0; i < r.acc.size(); ++i) {
      std::printf(
          "%4zu  %8.4f%s%s\n", i, r.acc[i], args->set == "ood" ? "  " : "",
          args->set == "ood" ? kinds[i].c_str() : "");
    }
    std::printf("mean  %8.4f\n", r.mean_acc);
    write_eval_plot(args->dir, r);
  });
}

void add_predict(CLI::App& ghn) {
  struct Args {
    std::string dir, arch, out;
  };
  auto args = std::make_shared<Args>();
  auto* cmd = ghn.add_subcommand(
      "predict", "Write the network of an architecture file with predicted parameters");
  cmd->add_option("dir", args->dir, "folder of a finished `hnet ghn train` run")->required();
  cmd->add_option("--arch", args->arch, "architecture JSON (see docs/reference.md)")->required();
  cmd->add_option("--out", args->out, "output .safetensors file")->required();
  cmd->callback([args] {
    auto run = load_trained_ghn(args->dir);
    const double acc = export_predicted_network(run, args->arch, args->out);
    std::printf("written to %s; zero-shot test accuracy %.4f\n", args->out.c_str(), acc);
  });
}

void add_finetune(CLI::App& ghn) {
  struct Args {
    std::string dir, set = "test", out;
    int64_t steps = 0, archs = 0;
    double lr = 0;
  };
  auto args = std::make_shared<Args>();
  auto* cmd =
      ghn.add_subcommand("finetune", "Fine-tune predicted parameters against He initialisation");
  cmd->add_option("dir", args->dir, "folder of a finished `hnet ghn train` run")->required();
  cmd->add_option("--set", args->set, "test or ood");
  cmd->add_option("--steps", args->steps, "steps per architecture (default finetune.steps)");
  cmd->add_option("--archs", args->archs, "first n architectures (default finetune.archs)");
  cmd->add_option("--lr", args->lr, "SGD learning rate (default finetune.lr)");
  cmd->add_option("--out", args->out, "JSON file of the result (default DIR/finetune_<set>.json)");
  cmd->callback([args] {
    HNET_CHECK_INPUT(
        args->set == "test" || args->set == "ood", "ghn finetune: --set must be test or ood, got '",
        args->set, "'");
    auto run = load_trained_ghn(args->dir);
    const int64_t steps = args->steps > 0 ? args->steps : run.config.get_int("finetune.steps");
    const int64_t archs = args->archs > 0 ? args->archs : run.config.get_int("finetune.archs");
    const double lr = args->lr > 0 ? args->lr : run.config.get_float("finetune.lr");
    std::vector<int64_t> points{0};
    for (int64_t p : {int64_t{100}, steps}) {
      if (p > points.back() && p <= steps) points.push_back(p);
    }
    const auto r = finetune_ghn(run, args->set, archs, steps, lr, points, &std::cout);
    std::printf("steps  predicted  He\n");
    for (size_t k = 0; k < points.size(); ++k) {
      std::printf(
          "%5lld  %9.4f  %6.4f\n", static_cast<long long>(points[k]), r.predicted_acc[k],
          r.he_acc[k]);
    }
    const std::string out =
        args->out.empty() ? (fs::path(args->dir) / ("finetune_" + args->set + ".json")).string()
                          : args->out;
    io::write_file_atomic(out, r.to_json() + "\n");
    std::cout << "written to " << out << "\n";
  });
}

}  // namespace

void add_ghn_command(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "ghn", "Graph hypernetworks: parameters for architectures never seen in training");
  cmd->require_subcommand(1);
  add_train(*cmd);
  add_eval(*cmd);
  add_predict(*cmd);
  add_finetune(*cmd);
}

}  // namespace hnet::cli
