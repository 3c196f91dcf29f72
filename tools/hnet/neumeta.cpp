#include <chrono>
#include <ctime>
#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>

#include "commands.h"
#include "hnet/errors.h"
#include "hnet/learn/neumeta_experiment.h"
#include "hnet/learn/progress.h"

namespace hnet::cli {
namespace {

struct NeumetaArgs {
  std::string config;
  std::vector<std::string> overrides;
  std::string out;
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
  options.out_dir = args.out.empty() ? default_out_dir(args.config) : args.out;
  std::cout << "run folder: " << options.out_dir << "\n";
  const auto s = nlohmann::json::parse(run_neumeta_experiment(config, options));
  std::printf("width  generated  independent  gap\n");
  for (const auto& r : s["results"]) {
    std::printf(
        "%5lld  %9.4f  %11.4f  %+.4f%s\n", static_cast<long long>(r["width"].get<int64_t>()),
        r["generated_acc"].get<double>(), r["independent_acc"].get<double>(),
        r["gap"].get<double>(), r["trained"].get<bool>() ? "" : "  (never trained)");
  }
  std::printf(
      "generator %lld parameters, reference %lld; %.1f s\n",
      static_cast<long long>(s["generator_params"].get<int64_t>()),
      static_cast<long long>(s["reference_params"].get<int64_t>()),
      s["wall_seconds"].get<double>());
}

}  // namespace

void add_neumeta_command(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "neumeta", "Neural Metamorphosis: one implicit generator for MLPs of every width");
  auto args = std::make_shared<NeumetaArgs>();
  cmd->add_option("config", args->config, "YAML config (see configs/neumeta_fmnist.yaml)");
  cmd->add_option("overrides", args->overrides, "key=value overrides, e.g. optimizer.steps=500");
  cmd->add_option("--out", args->out, "output folder (default runs/<config>-<time>)");
  cmd->add_flag("--list-keys", args->list_keys, "print every config key and its rule, then exit");
  cmd->callback([args] { run_neumeta(*args); });
}

}  // namespace hnet::cli
