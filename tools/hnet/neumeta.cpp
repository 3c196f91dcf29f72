#include <chrono>
#include <ctime>
#include <filesystem>
#include <iostream>

#include "commands.h"
#include "hnet/app/neumeta_run.h"
#include "hnet/app/neumeta_seeds.h"
#include "hnet/app/progress.h"
#include "hnet/errors.h"

namespace hnet::cli {
namespace {

struct NeumetaArgs {
  std::string config;
  std::vector<std::string> overrides;
  std::string out;
  std::string seeds;
  bool list_keys = false;
};

void run_neumeta(const NeumetaArgs& args) {
  if (args.list_keys) {
    std::cout << neumeta_config_schema().describe();
    return;
  }
  HNET_CHECK_INPUT(!args.config.empty(), "neumeta: a CONFIG file is required");
  auto config = io::Config::resolve(neumeta_config_schema(), args.config, args.overrides);
  NeumetaRunOptions options;
  options.log = &std::cout;
  options.terminal = Progress::stdout_is_terminal();
  options.inputs = {args.config};
  const std::string out = args.out.empty() ? default_out_dir(args.config) : args.out;
  std::cout << "run folder: " << out << "\n";
  if (!args.seeds.empty()) {
    const auto seeds = seeds_option(args.seeds, args.out, args.overrides);
    print_statistics(run_neumeta_seeds(config, seeds, out, options));
    std::cout << "per-seed values and statistics: " << out << "/seeds.json\n";
    return;
  }
  const auto s = run_neumeta_experiment(config, out, options);
  std::printf("width  generated  independent  gap\n");
  for (const auto& r : s.results) {
    std::printf(
        "%5lld  %9.4f  %11.4f  %+.4f%s\n", static_cast<long long>(r.width), r.generated_acc,
        r.independent_acc, r.gap, r.trained ? "" : "  (never trained)");
  }
  std::printf(
      "generator %lld parameters, reference %lld; %.1f s\n",
      static_cast<long long>(s.generator_params), static_cast<long long>(s.reference_params),
      s.wall_seconds);
}

// `hnet neumeta export GENERATOR --width W --out FILE`.
CLI::App* add_export_command(CLI::App& neumeta) {
  auto* cmd = neumeta.add_subcommand(
      "export", "Write the MLP of one width that a run's generator yields (plain safetensors)");
  auto path = std::make_shared<std::string>();
  auto width = std::make_shared<int64_t>(0);
  auto out = std::make_shared<std::string>();
  cmd->add_option("generator", *path, "generator.safetensors of a neumeta run")->required();
  cmd->add_option("--width", *width, "hidden width, within the run's widths.train range")
      ->required();
  cmd->add_option("--out", *out, "output .safetensors file")->required();
  cmd->callback([path, width, out] {
    export_neumeta_width(*path, *width, *out);
    std::cout << "width " << *width << " MLP written to " << *out << "\n";
  });
  return cmd;
}

}  // namespace

void add_neumeta_command(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "neumeta", "Neural Metamorphosis: one implicit generator for MLPs of every width");
  auto args = std::make_shared<NeumetaArgs>();
  cmd->add_option("config", args->config, "YAML config (see configs/neumeta_fmnist.yaml)");
  cmd->add_option("overrides", args->overrides, "key=value overrides, e.g. optimizer.steps=500");
  cmd->add_option("--out", args->out, "output folder (default runs/<config>-<time>)");
  cmd->add_option(
      "--seeds", args->seeds,
      "run at each seed (1-4, 1,2,3) into OUT/seed-<k> and write OUT/seeds.json; run the same "
      "command again to continue");
  cmd->add_flag("--list-keys", args->list_keys, "print every config key and its rule, then exit");
  auto* export_cmd = add_export_command(*cmd);
  // CLI11 runs this callback after the export subcommand's too.
  cmd->callback([args, export_cmd] {
    if (!export_cmd->parsed()) run_neumeta(*args);
  });
}

}  // namespace hnet::cli
