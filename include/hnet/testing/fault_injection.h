#pragma once
/// \file
/// Test-only fault injection through environment variables.
///
/// The reliability tests crash and poison the `hnet` executable at exact
/// points, which a test cannot reach from outside a child process. Each hook
/// costs one `getenv` where it is consulted (once per file write, once per
/// training task), and does nothing while its variable is unset or empty.
/// Never set these outside tests.
///
///   HNET_FAULT_KILL_IN_WRITE=N     the N-th `io::write_file_atomic` call of
///                                  the process (1-based) writes half of its
///                                  bytes to the temporary file, then the
///                                  process kills itself with SIGKILL: a crash
///                                  in the middle of, say, a checkpoint write.
///   HNET_FAULT_KILL_AFTER_WRITE=N  the N-th call completes (renamed, synced),
///                                  then the process kills itself.
///   HNET_FAULT_NONFINITE=K:T:S     `ContinualLearner::train_task` makes K
///                                  ("loss" or "grad") non-finite at step S of
///                                  task T (both 1-based), as a diverging run
///                                  would; the run's own checks must stop it.
///
/// Example (shell):
///   HNET_FAULT_KILL_IN_WRITE=3 hnet train run.yaml --out /tmp/r  # dies writing checkpoint 2

#include <c10/util/Optional.h>

#include <cstdint>
#include <string>

namespace hnet::testing {

/// The positive integer in environment variable `name`, or 0 when it is unset
/// or empty.
/// ensures: throws a `c10::Error` naming `name` and its value when it is not a
///          positive decimal integer.
int64_t fault_counter(const char* name);

/// A non-finite value to inject into training (see HNET_FAULT_NONFINITE).
struct NonFiniteFault {
  std::string kind;  ///< "loss" or "grad"
  int64_t task = 0;  ///< 1-based
  int64_t step = 0;  ///< 1-based within the task
};

/// HNET_FAULT_NONFINITE parsed, or nullopt when unset or empty.
/// ensures: throws a `c10::Error` naming the variable and its value when it
///          is not "loss:T:S" or "grad:T:S" with positive T and S.
c10::optional<NonFiniteFault> nonfinite_fault();

/// Ends this process at once with SIGKILL, as `kill -9` would: no
/// destructors, no flushing of stdio buffers.
[[noreturn]] void kill_self();

}  // namespace hnet::testing
