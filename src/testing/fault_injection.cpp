#include "hnet/testing/fault_injection.h"

#include <c10/util/Exception.h>
#include <unistd.h>

#include <charconv>
#include <csignal>
#include <cstdlib>

namespace hnet::testing {
namespace {

// A positive decimal integer filling all of `text`, or 0.
int64_t positive(const std::string& text) {
  int64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  return ec == std::errc() && end == text.data() + text.size() && value > 0 ? value : 0;
}

}  // namespace

int64_t fault_counter(const char* name) {
  const char* value = std::getenv(name);
  if (!value || !*value) return 0;
  const int64_t n = positive(value);
  TORCH_CHECK(n > 0, name, " must be a positive integer, got '", value, "'");
  return n;
}

c10::optional<NonFiniteFault> nonfinite_fault() {
  const char* name = "HNET_FAULT_NONFINITE";
  const char* value = std::getenv(name);
  if (!value || !*value) return c10::nullopt;
  const std::string text = value;
  const size_t a = text.find(':');
  const size_t b = a == std::string::npos ? a : text.find(':', a + 1);
  NonFiniteFault f;
  if (b != std::string::npos) {
    f.kind = text.substr(0, a);
    f.task = positive(text.substr(a + 1, b - a - 1));
    f.step = positive(text.substr(b + 1));
  }
  TORCH_CHECK(
      (f.kind == "loss" || f.kind == "grad") && f.task > 0 && f.step > 0, name,
      " must look like loss:TASK:STEP or grad:TASK:STEP, got '", text, "'");
  return f;
}

void kill_self() {
  ::kill(::getpid(), SIGKILL);
  // SIGKILL cannot be caught or blocked; this only runs if kill() failed.
  std::abort();
}

}  // namespace hnet::testing
