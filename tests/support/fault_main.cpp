// hnet_faulty: the hnet command line with fault injection, for the
// reliability tests only (never installed). Faults come from environment
// variables, each inert when unset or empty:
//
//   HNET_FAULT_KILL_IN_WRITE=N     the N-th atomic file write of the process
//                                  (1-based) is killed (SIGKILL) with half of
//                                  its bytes in the temporary file;
//   HNET_FAULT_KILL_AFTER_WRITE=N  the process is killed right after the N-th
//                                  write is committed (renamed, synced);
//   HNET_FAULT_KILL_AT_STEP=T:S    the process is killed after step S of task
//                                  T (both 1-based) of `hnet train`;
//   HNET_FAULT_NONFINITE=K:T:S     K ("loss" or "grad") is made non-finite at
//                                  step S of task T, as a diverging run would.
//
// A malformed value is a usage error (exit 2).

#include <signal.h>
#include <unistd.h>

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

#include "cli.h"
#include "hnet/io/atomic_file.h"

namespace {

[[noreturn]] void kill_self() {
  ::kill(::getpid(), SIGKILL);
  std::abort();  // only if kill() failed: SIGKILL cannot be caught
}

[[noreturn]] void usage(const char* name, const std::string& value, const char* form) {
  std::cerr << "hnet: " << name << " must look like " << form << ", got '" << value << "'\n";
  std::exit(2);
}

// The positive integers of `text` separated by ':' (after a `skip`-field
// prefix), or {} when malformed.
std::vector<int64_t> fields(const std::string& text, size_t count) {
  std::vector<int64_t> out;
  size_t start = 0;
  for (size_t i = 0; i < count; ++i) {
    const size_t end = i + 1 < count ? text.find(':', start) : text.size();
    if (end == std::string::npos) return {};
    int64_t v = 0;
    auto [p, ec] = std::from_chars(text.data() + start, text.data() + end, v);
    if (ec != std::errc() || p != text.data() + end || v <= 0) return {};
    out.push_back(v);
    start = end + 1;
  }
  return out;
}

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

class FaultHooks : public hnet::StepHooks {
 public:
  int64_t kill_task = 0, kill_step = 0;
  std::string nonfinite;  // "loss" or "grad"
  int64_t bad_task = 0, bad_step = 0;

  void on_loss(int64_t task, int64_t step, torch::Tensor& loss) override {
    if (nonfinite == "loss" && task == bad_task && step == bad_step) loss = loss * std::nan("");
  }
  void on_gradients(int64_t task, int64_t step, const std::vector<torch::Tensor>& params) override {
    if (nonfinite != "grad" || task != bad_task || step != bad_step) return;
    torch::NoGradGuard no_grad;
    params.front().grad().view(-1)[0] = INFINITY;
  }
  void on_step_end(int64_t task, int64_t step) override {
    if (task == kill_task && step == kill_step) kill_self();
  }
};

void install_write_faults() {
  int64_t in_write = 0, after_write = 0;
  if (!env("HNET_FAULT_KILL_IN_WRITE").empty()) {
    auto f = fields(env("HNET_FAULT_KILL_IN_WRITE"), 1);
    if (f.empty()) usage("HNET_FAULT_KILL_IN_WRITE", env("HNET_FAULT_KILL_IN_WRITE"), "N");
    in_write = f[0];
  }
  if (!env("HNET_FAULT_KILL_AFTER_WRITE").empty()) {
    auto f = fields(env("HNET_FAULT_KILL_AFTER_WRITE"), 1);
    if (f.empty()) usage("HNET_FAULT_KILL_AFTER_WRITE", env("HNET_FAULT_KILL_AFTER_WRITE"), "N");
    after_write = f[0];
  }
  if (in_write == 0 && after_write == 0) return;
  hnet::io::set_write_observer([in_write, after_write, calls = int64_t{0}](
                                   hnet::io::WriteStage stage, const std::string&) mutable {
    if (stage == hnet::io::WriteStage::kHalfWritten) ++calls;
    if (stage == hnet::io::WriteStage::kHalfWritten && calls == in_write) kill_self();
    if (stage == hnet::io::WriteStage::kCommitted && calls == after_write) kill_self();
  });
}

std::shared_ptr<FaultHooks> step_faults() {
  auto hooks = std::make_shared<FaultHooks>();
  const std::string kill = env("HNET_FAULT_KILL_AT_STEP");
  if (!kill.empty()) {
    auto f = fields(kill, 2);
    if (f.empty()) usage("HNET_FAULT_KILL_AT_STEP", kill, "TASK:STEP");
    hooks->kill_task = f[0];
    hooks->kill_step = f[1];
  }
  const std::string bad = env("HNET_FAULT_NONFINITE");
  if (!bad.empty()) {
    const size_t colon = bad.find(':');
    hooks->nonfinite = bad.substr(0, colon);
    auto f = colon == std::string::npos ? std::vector<int64_t>{} : fields(bad.substr(colon + 1), 2);
    if (f.empty() || (hooks->nonfinite != "loss" && hooks->nonfinite != "grad")) {
      usage("HNET_FAULT_NONFINITE", bad, "loss:TASK:STEP or grad:TASK:STEP");
    }
    hooks->bad_task = f[0];
    hooks->bad_step = f[1];
  }
  return hooks;
}

}  // namespace

int main(int argc, char** argv) {
  install_write_faults();
  return hnet::cli::run(argc, argv, step_faults());
}
