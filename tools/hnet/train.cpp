#include <chrono>
#include <ctime>
#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>

#include "commands.h"
#include "hnet/app/continual_experiment.h"
#include "hnet/app/continual_run.h"
#include "hnet/app/progress.h"
#include "hnet/app/seed_runs.h"
#include "hnet/errors.h"
#include "hnet/learn/continual.h"
#include "rank_flags.h"

namespace hnet::cli {
namespace {

struct TrainArgs {
  std::string config;
  std::vector<std::string> overrides;
  std::string out;
  std::string resume;
  std::string seeds;
  bool list_keys = false;
  RankFlags ranks;
};

}  // namespace

void print_summary(const ContinualSummary& s) {
  std::printf("final %s accuracy per task:", s.split.c_str());
  for (double a : s.acc_final) std::printf(" %.4f", a);
  std::printf(
      "\nmean final accuracy %.4f, forgetting %.4f, bwt %+.4f, %.1f s\n", s.mean_acc_final,
      s.forgetting, s.bwt, s.wall_seconds);
  if (!s.acc_universal.empty()) {
    std::printf("universal embedding: mean accuracy %.4f\n", s.mean_acc_universal);
  }
  std::printf(
      "scenarios (final): task id given %.4f; task inferred by entropy (right %.4f of the time): "
      "domain %.4f, class %.4f\n",
      s.scenarios.task.mean, s.scenarios.task_inference.mean, s.scenarios.domain.mean,
      s.scenarios.cls.mean);
}

std::vector<int64_t> seeds_option(
    const std::string& seeds, const std::string& out, const std::vector<std::string>& overrides) {
  HNET_CHECK_INPUT(
      !out.empty(),
      "--seeds needs --out DIR: running the same command again continues the runs in DIR");
  for (const auto& o : overrides) {
    HNET_CHECK_INPUT(
        o.rfind("seed=", 0) != 0, "override '", o, "' conflicts with --seeds ", seeds,
        ": give the seeds with --seeds only");
  }
  return parse_seed_list(seeds);
}

void print_statistics(const std::vector<SeedStatistic>& statistics) {
  std::printf(
      "over %zu seeds: mean +- standard deviation (worst seed)\n",
      statistics.empty() ? size_t{0} : statistics[0].values.size());
  for (const auto& s : statistics) {
    std::printf(
        "  %-22s %.4f +- %.4f (worst %.4f, seed %lld)\n", s.name.c_str(), s.mean, s.std, s.worst,
        static_cast<long long>(s.worst_seed));
  }
}

namespace {

void print_seed_statistics(const SeedRuns& runs) {
  for (size_t i = 0; i < runs.seeds.size(); ++i) {
    const auto& s = runs.summaries[i];
    std::printf(
        "seed %lld: mean final accuracy %.4f, forgetting %.4f, bwt %+.4f, %.1f s\n",
        static_cast<long long>(runs.seeds[i]), s.mean_acc_final, s.forgetting, s.bwt,
        s.wall_seconds);
  }
  print_statistics(runs.statistics);
}

// The command line each rank of a `--nproc` launch runs.
std::vector<std::string> rank_arguments(const TrainArgs& args, const std::string& out) {
  std::vector<std::string> a{"train"};
  if (!args.resume.empty()) return {"train", "--resume", args.resume};
  a.push_back(args.config);
  a.insert(a.end(), args.overrides.begin(), args.overrides.end());
  a.insert(a.end(), {"--out", out});
  if (!args.seeds.empty()) a.insert(a.end(), {"--seeds", args.seeds});
  return a;
}

void run_train(TrainArgs& args, const std::shared_ptr<StepHooks>& hooks) {
  if (args.list_keys) {
    std::cout << continual_config_schema().describe();
    return;
  }
  ContinualRunOptions options;
  options.dist = args.ranks.checked("train");
  // Rank 0 reports; the others train in silence.
  options.log = options.dist.rank == 0 ? &std::cout : nullptr;
  options.terminal = Progress::stdout_is_terminal();
  options.hooks = hooks;
  std::optional<ContinualSummary> summary;
  if (!args.resume.empty()) {
    HNET_CHECK_INPUT(
        args.config.empty() && args.overrides.empty() && args.out.empty() && args.seeds.empty(),
        "--resume takes the configuration from the run folder; give no CONFIG, "
        "overrides, --out or --seeds with it (a multi-seed run continues when its command is "
        "run again)");
    if (args.ranks.launches()) {
      run_local_ranks(rank_arguments(args, ""), args.ranks);
      return;
    }
    summary = resume_continual_experiment(args.resume, options);
  } else {
    HNET_CHECK_INPUT(!args.config.empty(), "train: a CONFIG file (or --resume DIR) is required");
    auto config = io::Config::resolve(continual_config_schema(), args.config, args.overrides);
    const std::string out = args.out.empty() ? default_out_dir(args.config) : args.out;
    if (args.ranks.launches()) {
      check_batch_fits_ranks(config.get_int("optimizer.batch_size"), args.ranks.nproc);
      std::cout << "run folder: " << out << " (" << args.ranks.nproc << " ranks)" << std::endl;
      run_local_ranks(rank_arguments(args, out), args.ranks);
      return;
    }
    if (options.dist.rank == 0) std::cout << "run folder: " << out << "\n";
    options.inputs = {args.config};
    if (!args.seeds.empty()) {
      const auto seeds = seeds_option(args.seeds, args.out, args.overrides);
      const auto runs = run_seeds(config, seeds, out, options);
      if (options.dist.rank > 0) return;
      print_seed_statistics(runs);
      std::cout << "per-seed values and statistics: " << out << "/seeds.json\n";
      return;
    }
    summary = run_continual_experiment(config, out, options);
  }
  if (summary && options.dist.rank == 0) print_summary(*summary);
}

}  // namespace

std::string default_out_dir(const std::string& config) {
  char stamp[32];
  const std::time_t now = std::time(nullptr);
  std::strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", std::gmtime(&now));
  return "runs/" + std::filesystem::path(config).stem().string() + "-" + stamp;
}

void add_train_command(CLI::App& app, std::shared_ptr<StepHooks> hooks) {
  auto* cmd = app.add_subcommand("train", "Continual learning on Fashion-MNIST from a YAML config");
  auto args = std::make_shared<TrainArgs>();
  cmd->add_option("config", args->config, "YAML config (see configs/)");
  cmd->add_option("overrides", args->overrides, "key=value overrides, e.g. optimizer.lr=1e-3");
  cmd->add_option("--out", args->out, "output folder (default runs/<config>-<time>)");
  cmd->add_option("--resume", args->resume, "continue the run in this folder from its checkpoint");
  cmd->add_option(
      "--seeds", args->seeds,
      "run at each seed (1-5, 1,2,3) into OUT/seed-<k> and write OUT/seeds.json; run the same "
      "command again to continue");
  cmd->add_flag("--list-keys", args->list_keys, "print every config key and its rule, then exit");
  add_rank_flags(cmd, args->ranks);
  cmd->callback([args, hooks] { run_train(*args, hooks); });
}

void add_eval_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("eval", "Test accuracy of each task of a training checkpoint");
  auto path = std::make_shared<std::string>();
  auto as_json = std::make_shared<bool>(false);
  cmd->add_option("checkpoint", *path, "checkpoint.safetensors of a run")->required();
  cmd->add_flag("--json", *as_json, "print {\"acc\": [...]} on stdout");
  cmd->callback([path, as_json] {
    const auto acc = evaluate_checkpoint(*path);
    if (*as_json) {
      std::cout << nlohmann::json{{"acc", acc}}.dump() << "\n";
      return;
    }
    for (size_t t = 0; t < acc.size(); ++t) std::printf("task %zu: %.4f\n", t + 1, acc[t]);
  });
}

void add_generate_command(CLI::App& app) {
  auto* cmd =
      app.add_subcommand("generate", "Write one task's generated target weights (safetensors)");
  auto path = std::make_shared<std::string>();
  auto task = std::make_shared<int64_t>(0);
  auto out = std::make_shared<std::string>();
  cmd->add_option("checkpoint", *path, "checkpoint.safetensors of a run")->required();
  cmd->add_option("--task", *task, "task number, from 1")->required();
  cmd->add_option("--out", *out, "output .safetensors file")->required();
  cmd->callback([path, task, out] {
    generate_from_checkpoint(*path, *task, *out);
    std::cout << "task " << *task << " weights written to " << *out << "\n";
  });
}

}  // namespace hnet::cli
