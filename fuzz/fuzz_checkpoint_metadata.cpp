// libFuzzer target: hnet::parse_run_state, the run state a continual
// checkpoint carries in its metadata (the accuracy matrix as JSON, wall time,
// step and byte counts), as `hnet train --resume` and `hnet eval` read it.
//
// Input: two bytes (tasks done, extra tasks), then the values of acc_matrix,
// wall_seconds, train_steps and metrics_bytes separated by "\n%%\n" (a
// missing value is a missing key). Every input is either rejected as bad
// input (c10::ValueError) or gives a state that keeps the parser's promises.

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <string>

#include "fuzz_support.h"
#include "run_state.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  const int64_t done = data[0] % 12;
  const int64_t tasks = done + data[1] % 3;
  const std::string input(reinterpret_cast<const char*>(data + 2), size - 2);
  std::map<std::string, std::string> metadata;
  const char* keys[] = {"acc_matrix", "wall_seconds", "train_steps", "metrics_bytes"};
  size_t start = 0;
  for (const char* key : keys) {
    if (start > input.size()) break;
    size_t end = input.find("\n%%\n", start);
    if (end == std::string::npos) end = input.size();
    metadata[key] = input.substr(start, end - start);
    start = end + 4;
  }
  hnet::fuzz::expect_only_input_errors([&] {
    const auto s = hnet::parse_run_state(metadata, done, tasks, "fuzz.safetensors");
    if (static_cast<int64_t>(s.acc.size()) != done) std::abort();
    for (size_t i = 0; i < s.acc.size(); ++i) {
      if (static_cast<int64_t>(s.acc[i].size()) != tasks) std::abort();
      for (size_t j = 0; j <= i; ++j) {
        if (!(s.acc[i][j] >= 0 && s.acc[i][j] <= 1)) std::abort();
      }
    }
    if (!std::isfinite(s.wall_seconds) || s.wall_seconds < 0 || s.train_steps < 0) std::abort();
  });
  return 0;
}
