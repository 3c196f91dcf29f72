#include <iostream>

#include "commands.h"
#include "demo_config.h"
#include "hnet/app/continual_experiment.h"
#include "hnet/app/continual_run.h"
#include "hnet/app/progress.h"

namespace hnet::cli {
namespace {

struct DemoArgs {
  std::vector<std::string> overrides;
  std::string out = "runs/demo";
};

void run_demo(const DemoArgs& args, const std::shared_ptr<StepHooks>& hooks) {
  auto config = io::Config::resolve_text(
      continual_config_schema(), kDemoConfig, "configs/demo.yaml (built in)", args.overrides);
  std::cout << "hnet demo: continual learning of 5 split Fashion-MNIST tasks with one "
               "hypernetwork (configs/demo.yaml)\nrun folder: "
            << args.out << "\n";
  ContinualRunOptions options;
  options.log = &std::cout;
  options.terminal = Progress::stdout_is_terminal();
  options.hooks = hooks;
  print_summary(*run_continual_experiment(config, args.out, options));
}

}  // namespace

void add_demo_command(CLI::App& app, std::shared_ptr<StepHooks> hooks) {
  auto* cmd = app.add_subcommand(
      "demo", "The main job: continual learning on split Fashion-MNIST (configs/demo.yaml)");
  auto args = std::make_shared<DemoArgs>();
  cmd->add_option("overrides", args->overrides, "key=value overrides, e.g. data.root=DIR");
  cmd->add_option("--out", args->out, "output folder (default runs/demo)");
  cmd->callback([args, hooks] { run_demo(*args, hooks); });
}

}  // namespace hnet::cli
