#pragma once
// The hnet subcommands: each registers its flags on the CLI11 app and runs
// through the library's app layer (include/hnet/app/). Errors are thrown
// (c10::ValueError for bad input) and turned into exit codes by cli.cpp.

#include <CLI/CLI.hpp>
#include <memory>
#include <string>
#include <vector>

#include "hnet/app/continual_run.h"
#include "hnet/app/seed_runs.h"
#include "hnet/learn/step_hooks.h"

namespace hnet::cli {

/// Registers `hnet demo [--out DIR] [--save FILE]`: the main job, continual
/// learning on split Fashion-MNIST with configs/demo.yaml (built into the
/// binary); --save writes the last task's network as `hnet generate` does.
void add_demo_command(CLI::App& app, std::shared_ptr<StepHooks> hooks);

/// Registers `hnet inspect FILE`: lists the tensors of a safetensors file.
void add_inspect_command(CLI::App& app);

/// Registers `hnet train CONFIG [key=value ...] [--out DIR]` / `--resume DIR`.
void add_train_command(CLI::App& app, std::shared_ptr<StepHooks> hooks);

/// Registers `hnet sweep CONFIG key=v1,v2 ... [--out DIR] [--max-points N]`.
void add_sweep_command(CLI::App& app);

/// Registers `hnet neumeta CONFIG [key=value ...] [--out DIR]` and
/// `hnet neumeta export GENERATOR --width W --out FILE`.
void add_neumeta_command(CLI::App& app);

/// Registers `hnet ghn train | eval | predict | finetune` (ghn_run.h).
void add_ghn_command(CLI::App& app);

/// Registers `hnet multitask CONFIG [key=value ...] [--out DIR]` (multitask_run.h).
void add_multitask_command(CLI::App& app);
/// The seeds of a --seeds value (parse_seed_list), checked against the
/// other arguments: --out is required (running the command again continues
/// there) and no seed= override may compete with it.
std::vector<int64_t> seeds_option(
    const std::string& seeds, const std::string& out, const std::vector<std::string>& overrides);

/// Prints mean +- std (worst seed) of each statistic of a multi-seed run.
void print_statistics(const std::vector<SeedStatistic>& statistics);

/// Prints the final accuracies of a continual run (train and demo).
void print_summary(const ContinualSummary& summary);

/// runs/<config stem>-<UTC time>: the run folder when --out is not given.
std::string default_out_dir(const std::string& config);

/// Registers `hnet eval CHECKPOINT [--json]`.
void add_eval_command(CLI::App& app);

/// Registers `hnet generate CHECKPOINT --task K --out FILE`.
void add_generate_command(CLI::App& app);

}  // namespace hnet::cli
