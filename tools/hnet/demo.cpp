#include <filesystem>
#include <iostream>

#include "commands.h"
#include "demo_config.h"
#include "hnet/app/continual_experiment.h"
#include "hnet/app/continual_run.h"
#include "hnet/app/progress.h"
#include "hnet/errors.h"

namespace hnet::cli {
namespace {

struct DemoArgs {
  std::vector<std::string> overrides;
  std::string out = "runs/demo";
  std::string save;
};

// Checked before the run, which takes minutes, rather than after it.
void check_save_path(const std::string& save, const std::string& checkpoint) {
  namespace fs = std::filesystem;
  const fs::path folder = fs::path(save).parent_path();
  std::error_code ec;
  HNET_CHECK_INPUT(
      folder.empty() || fs::is_directory(folder, ec), "--save ", save, ": the folder ",
      folder.string(), " does not exist");
  HNET_CHECK_INPUT(
      fs::weakly_canonical(save, ec) != fs::weakly_canonical(checkpoint, ec), "--save ", save,
      " is the run's checkpoint");
}

void run_demo(const DemoArgs& args, const std::shared_ptr<StepHooks>& hooks) {
  auto config = io::Config::resolve_text(
      continual_config_schema(), kDemoConfig, "configs/demo.yaml (built in)", args.overrides);
  const std::string checkpoint = args.out + "/checkpoint.safetensors";
  if (!args.save.empty()) check_save_path(args.save, checkpoint);
  std::cout << "hnet demo: continual learning of 5 split Fashion-MNIST tasks with one "
               "hypernetwork (configs/demo.yaml)\nrun folder: "
            << args.out << "\n";
  ContinualRunOptions options;
  options.log = &std::cout;
  options.terminal = Progress::stdout_is_terminal();
  options.hooks = hooks;
  print_summary(*run_continual_experiment(config, args.out, options));
  if (args.save.empty()) return;
  const int64_t last = config.get_int("tasks");
  generate_from_checkpoint(checkpoint, last, args.save);
  std::cout << "task " << last << " (the last) written to " << args.save << "\n";
}

}  // namespace

void add_demo_command(CLI::App& app, std::shared_ptr<StepHooks> hooks) {
  auto* cmd = app.add_subcommand(
      "demo", "The main job: continual learning on split Fashion-MNIST (configs/demo.yaml)");
  auto args = std::make_shared<DemoArgs>();
  cmd->add_option("overrides", args->overrides, "key=value overrides, e.g. data.root=DIR");
  cmd->add_option("--out", args->out, "output folder (default runs/demo)");
  cmd->add_option(
      "--save", args->save,
      "after the run, write the last task's network here (as hnet generate: plain safetensors)");
  cmd->callback([args, hooks] { run_demo(*args, hooks); });
}

}  // namespace hnet::cli
