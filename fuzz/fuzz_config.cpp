// libFuzzer target: hnet::io::Config::resolve_text with a YAML text and
// key=value overrides, against a schema holding every value type, bounds,
// choices and nested sections.
//
// Input: the YAML text, then optionally "\n%%\n" and one override per line.
// A resolved config must survive to_yaml() and back unchanged.

#include <c10/util/Exception.h>

#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "hnet/io/config.h"

namespace {

using hnet::io::ConfigSchema;
using hnet::io::ValueType;

const ConfigSchema& schema() {
  static const ConfigSchema s = [] {
    ConfigSchema s;
    s.add({"seed", ValueType::kInt, "0", "random seed", 0.0});
    s.add({"tasks", ValueType::kInt, "5", "number of tasks", 1.0});
    s.add({"optimizer.lr", ValueType::kFloat, "1e-3", "step size", 0.0, true});
    s.add({"optimizer.clip", ValueType::kFloat, "0", "clipping", 0.0});
    s.add({"data.sequence", ValueType::kString, "split", "", {}, false, {"split", "permuted"}});
    s.add({"data.root", ValueType::kString, "\"\"", "folder"});
    s.add({"target.hidden", ValueType::kIntList, "[400, 400]", "widths", 1.0});
    s.add({"a.b.c.d.e.f.g", ValueType::kBool, "false", "deep flag"});
    return s;
  }();
  return s;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string input(reinterpret_cast<const char*>(data), size);
  const size_t split = input.find("\n%%\n");
  const std::string text = input.substr(0, split);
  std::vector<std::string> overrides;
  if (split != std::string::npos) {
    size_t start = split + 4;
    while (start <= input.size()) {
      size_t end = input.find('\n', start);
      if (end == std::string::npos) end = input.size();
      overrides.push_back(input.substr(start, end - start));
      start = end + 1;
    }
  }
  try {
    const auto config = hnet::io::Config::resolve_text(schema(), text, "fuzz.yaml", overrides);
    const auto again = hnet::io::Config::resolve_text(schema(), config.to_yaml(), "round-trip", {});
    if (again != config) std::abort();
  } catch (const c10::Error&) {
  }
  return 0;
}
