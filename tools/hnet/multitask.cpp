// `hnet multitask CONFIG [key=value ...] [--out DIR]` (multitask_run.h).

#include <cstdio>
#include <iostream>

#include "commands.h"
#include "hnet/app/multitask_run.h"
#include "hnet/app/progress.h"
#include "hnet/errors.h"

namespace hnet::cli {
namespace {

struct MultitaskArgs {
  std::string config;
  std::vector<std::string> overrides;
  std::string out;
  bool list_keys = false;
};

void print_table(const MultitaskSummary& s) {
  std::printf("%-16s %12s %9s", "method", "trainable", "Delta_m");
  for (size_t t = 0; t < s.tasks.size(); ++t) {
    std::printf(" %14s", (s.tasks[t] + " " + s.metrics[t]).c_str());
  }
  std::printf("\n");
  for (const auto& r : s.methods) {
    std::printf(
        "%-16s %12lld %+8.2f%%", r.method.c_str(), static_cast<long long>(r.trainable_params),
        r.delta_m);
    for (double v : r.test) std::printf(" %14.4f", v);
    std::printf("\n");
  }
  if (!s.maestro_ranks.empty()) {
    std::printf("maestro learned ranks per conv layer:");
    for (int64_t r : s.maestro_ranks) std::printf(" %lld", static_cast<long long>(r));
    std::printf("\n");
  }
}

void run_multitask_command(const MultitaskArgs& args) {
  if (args.list_keys) {
    std::cout << multitask_config_schema().describe();
    return;
  }
  HNET_CHECK_INPUT(!args.config.empty(), "multitask: a CONFIG file is required");
  const auto config = io::Config::resolve(multitask_config_schema(), args.config, args.overrides);
  MultitaskRunOptions options;
  options.log = &std::cout;
  options.terminal = Progress::stdout_is_terminal();
  options.inputs = {args.config};
  const std::string out = args.out.empty() ? default_out_dir(args.config) : args.out;
  std::cout << "run folder: " << out << "\n";
  const auto summary = run_multitask(config, out, options);
  print_table(summary);
  std::printf("%.1f s; summary.json and delta_m.png in %s\n", summary.wall_seconds, out.c_str());
}

}  // namespace

void add_multitask_command(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "multitask",
      "Adapt one frozen encoder to several tasks: fine-tuning, adapters, LoRA, FLoRA, "
      "Hyperformer, Polyhistor, Maestro side by side");
  auto args = std::make_shared<MultitaskArgs>();
  cmd->add_option("config", args->config, "YAML config (see configs/multitask_fmnist.yaml)");
  cmd->add_option("overrides", args->overrides, "key=value overrides, e.g. optimizer.steps=500");
  cmd->add_option(
      "--out", args->out, "output folder (default runs/<config>-<time>); run again to continue");
  cmd->add_flag("--list-keys", args->list_keys, "print every config key and its rule, then exit");
  cmd->callback([args] { run_multitask_command(*args); });
}

}  // namespace hnet::cli
