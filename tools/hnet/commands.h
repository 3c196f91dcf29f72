#pragma once
// The hnet subcommands: each registers its flags on the CLI11 app and runs
// through the library. Errors are thrown (c10::Error for bad input) and
// turned into exit codes by main.

#include <CLI/CLI.hpp>
#include <string>

namespace hnet::cli {

/// Registers `hnet demo`: trains a hypernetwork-generated MLP on
/// Fashion-MNIST and prints its test accuracy.
void add_demo_command(CLI::App& app);

/// Registers `hnet inspect FILE`: lists the tensors of a safetensors file.
void add_inspect_command(CLI::App& app);

/// Registers `hnet train CONFIG [key=value ...] [--out DIR]` / `--resume DIR`.
void add_train_command(CLI::App& app);

/// Registers `hnet neumeta CONFIG [key=value ...] [--out DIR]`.
void add_neumeta_command(CLI::App& app);

/// runs/<config stem>-<UTC time>: the run folder when --out is not given.
std::string default_out_dir(const std::string& config);

/// Registers `hnet eval CHECKPOINT [--json]`.
void add_eval_command(CLI::App& app);

/// Registers `hnet generate CHECKPOINT --task K --out FILE`.
void add_generate_command(CLI::App& app);

}  // namespace hnet::cli
