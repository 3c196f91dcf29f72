// libFuzzer target: hnet::io::Config::resolve_text with a YAML text and
// key=value overrides, against a schema holding every value type, bounds,
// choices and nested sections.
//
// Input: the YAML text, then optionally "\n%%\n" and one override per line.
// A resolved config must survive to_yaml() and back unchanged, and every
// rejected input must be a c10::ValueError (bad input), never another error.

#include <c10/util/Exception.h>

#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "fuzz_support.h"
#include "hnet/io/config.h"

namespace {

using hnet::io::ConfigKey;
using hnet::io::ConfigSchema;

const ConfigSchema& schema() {
  static const ConfigSchema s = [] {
    ConfigSchema s;
    s.add(ConfigKey::integer("seed", 0).min(0).help("random seed"));
    s.add(ConfigKey::integer("tasks", 5).min(1).max(100).help("number of tasks"));
    s.add(ConfigKey::real("optimizer.lr", 1e-3).greater_than(0).help("step size"));
    s.add(ConfigKey::real("optimizer.clip", 0).min(0).max(10).help("clipping"));
    s.add(ConfigKey::text("data.sequence", "split").choices({"split", "permuted"}));
    s.add(ConfigKey::text("data.root", "").help("folder"));
    s.add(ConfigKey::int_list("target.hidden", {400, 400}).min(1).max(4096).help("widths"));
    s.add(ConfigKey::boolean("a.b.c.d.e.f.g", false).help("deep flag"));
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
  hnet::fuzz::expect_only_input_errors([&] {
    const auto config = hnet::io::Config::resolve_text(schema(), text, "fuzz.yaml", overrides);
    const auto again = hnet::io::Config::resolve_text(schema(), config.to_yaml(), "round-trip", {});
    if (again != config) std::abort();
  });
  return 0;
}
