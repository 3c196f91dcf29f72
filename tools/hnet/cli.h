#pragma once
// The hnet command line as a function, so that the production executable
// (main.cpp) and the fault-injection executable of the tests share it.
//
// Exit status: 0 success; 2 bad input or usage (one line on stderr: a
// c10::ValueError, std::invalid_argument or a command-line parse error);
// 1 any other failure (one line on stderr).

#include <memory>

#include "hnet/learn/step_hooks.h"

namespace hnet::cli {

/// Runs `hnet argv[1..]`; returns the exit status. `hooks` (may be null)
/// observe every training step of the commands that train.
int run(int argc, char** argv, std::shared_ptr<StepHooks> hooks = nullptr);

}  // namespace hnet::cli
