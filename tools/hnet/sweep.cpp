// `hnet sweep CONFIG key=v1,v2 ... [--out DIR] [--max-points N]`: a grid
// chosen on validation data, the chosen point tested once (hnet/app/sweep.h).

#include "hnet/app/sweep.h"

#include <iostream>

#include "commands.h"
#include "hnet/app/continual_experiment.h"
#include "hnet/app/neumeta_run.h"
#include "hnet/app/progress.h"
#include "hnet/errors.h"

namespace hnet::cli {

void add_sweep_command(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "sweep", "Run a grid of config values, choose on validation, test the chosen point once");
  struct Args {
    std::string config;
    std::vector<std::string> axes;
    std::string out;
    int64_t max_points = kDefaultMaxSweepPoints;
  };
  auto args = std::make_shared<Args>();
  cmd->add_option("config", args->config, "YAML config of hnet train or hnet neumeta")->required();
  cmd->add_option("axes", args->axes, "key=v1,v2,... (one or more), e.g. optimizer.lr=1e-4,1e-3")
      ->required();
  cmd->add_option(
         "--out", args->out, "output folder; the same command again continues the sweep in it")
      ->required();
  cmd->add_option("--max-points", args->max_points, "largest grid accepted (default 1000)");
  cmd->callback([args] {
    HNET_CHECK_INPUT(args->max_points >= 1, "--max-points must be >= 1, got ", args->max_points);
    const auto axes = parse_sweep_axes(args->axes);
    // `method: neumeta` marks an hnet neumeta config; any other, hnet train's.
    const bool neumeta = io::peek_config_text(args->config, "method") == "neumeta";
    const auto config = io::Config::resolve(
        neumeta ? neumeta_config_schema() : continual_config_schema(), args->config, {});
    const std::string& out = args->out;
    std::cout << "sweep folder: " << out << "\n";
    SweepOptions options;
    options.max_points = args->max_points;
    options.run.log = &std::cout;
    options.run.terminal = Progress::stdout_is_terminal();
    options.run.inputs = {args->config};
    if (neumeta) {
      run_neumeta_sweep(config, axes, out, options).print_table(std::cout);
    } else {
      run_sweep(config, axes, out, options).print_table(std::cout);
    }
    std::cout << "points and the chosen one: " << out << "/sweep.json\n";
  });
}

}  // namespace hnet::cli
