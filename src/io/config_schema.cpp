// ConfigKey and ConfigSchema: the keys a program accepts, their rules, and
// the checks that a schema itself is sound.

#include <c10/util/Exception.h>
#include <c10/util/StringUtil.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <sstream>

#include "config_internal.h"
#include "hnet/spec.h"

namespace hnet::io {
namespace {

bool valid_name(const std::string& name) {
  bool segment_start = true;
  for (char c : name) {
    auto u = static_cast<unsigned char>(c);
    bool ok =
        c == '.' ? !segment_start
                 : std::isalpha(u) || c == '_' || (!segment_start && (std::isdigit(u) || c == '-'));
    if (!ok) return false;
    segment_start = c == '.';
  }
  const std::string padded = "." + name + ".";  // YAML reads a key "null" as no value
  for (const char* null : {".null.", ".Null.", ".NULL."}) {
    if (padded.find(null) != std::string::npos) return false;
  }
  return !segment_start;  // not empty, no trailing '.'
}

// The rules a key's type allows, and bounds that leave some value allowed.
void check_rules(const ConfigKey& key) {
  const std::string& name = key.name();
  const bool number = key.type() == ValueType::kInt || key.type() == ValueType::kFloat ||
                      key.type() == ValueType::kIntList;
  const std::pair<c10::optional<double>, const char*> bounds[] = {
      {key.min(), "lower"}, {key.max(), "upper"}};
  for (const auto& [bound, which] : bounds) {
    TORCH_CHECK(
        !bound || (number && std::isfinite(*bound)), "ConfigSchema: key '", name, "' of type ",
        detail::type_name(key.type()), " has ", which, " bound ", bound ? *bound : 0.0,
        "; bounds must be finite and are only for int, float and int list keys");
  }
  if (key.min() && key.max()) {
    const double lo = *key.min(), hi = *key.max();
    TORCH_CHECK(
        key.min_exclusive() ? lo < hi : lo <= hi, "ConfigSchema: key '", name,
        "' allows no value: ", key.rule());
  }
  TORCH_CHECK(
      key.choices().empty() || key.type() == ValueType::kString, "ConfigSchema: key '", name,
      "' of type ", detail::type_name(key.type()), " has choices; only string keys can");
  TORCH_CHECK(
      key.help().find('\n') == std::string::npos, "ConfigSchema: help of key '", name,
      "' must be one line, got '", key.help(), "'");
}

}  // namespace

namespace detail {

const char* type_name(ValueType type) {
  static const char* const names[] = {"int", "float", "string", "bool", "int list"};
  return names[static_cast<size_t>(type)];
}

int segments(const std::string& name) {
  return 1 + static_cast<int>(std::count(name.begin(), name.end(), '.'));
}

std::vector<std::string> sections_of(const std::string& name) {
  std::vector<std::string> out;
  for (size_t dot = name.find('.'); dot != std::string::npos; dot = name.find('.', dot + 1)) {
    out.push_back(name.substr(0, dot));
  }
  return out;
}

std::string suggestion(const std::string& name, const std::vector<std::string>& known) {
  std::string best = closest_name(name, known);
  return best.empty() ? "" : " (did you mean '" + best + "'?)";
}

}  // namespace detail

ConfigKey::ConfigKey(std::string name, ValueType type, std::string default_text)
    : name_(std::move(name)), type_(type), default_text_(std::move(default_text)) {}

// The default is kept as the YAML the writer produces, so that it is read,
// checked and described exactly as a value from a file would be.
ConfigKey ConfigKey::integer(std::string name, int64_t value) {
  return ConfigKey(std::move(name), ValueType::kInt, detail::yaml_value(value));
}

ConfigKey ConfigKey::real(std::string name, double value) {
  return ConfigKey(std::move(name), ValueType::kFloat, detail::yaml_value(value));
}

ConfigKey ConfigKey::text(std::string name, std::string value) {
  return ConfigKey(std::move(name), ValueType::kString, detail::yaml_value(std::move(value)));
}

ConfigKey ConfigKey::boolean(std::string name, bool value) {
  return ConfigKey(std::move(name), ValueType::kBool, detail::yaml_value(value));
}

ConfigKey ConfigKey::int_list(std::string name, std::vector<int64_t> value) {
  return ConfigKey(std::move(name), ValueType::kIntList, detail::yaml_value(std::move(value)));
}

ConfigKey& ConfigKey::min(double bound) {
  min_ = bound;
  min_exclusive_ = false;
  return *this;
}

ConfigKey& ConfigKey::greater_than(double bound) {
  min_ = bound;
  min_exclusive_ = true;
  return *this;
}

ConfigKey& ConfigKey::max(double bound) {
  max_ = bound;
  return *this;
}

ConfigKey& ConfigKey::choices(std::vector<std::string> allowed) {
  choices_ = std::move(allowed);
  return *this;
}

ConfigKey& ConfigKey::help(std::string line) {
  help_ = std::move(line);
  return *this;
}

std::string ConfigKey::rule() const {
  if (!choices_.empty()) return "one of " + c10::Join("|", choices_);
  std::string out;
  if (min_ && max_) {
    out = std::string("in ") + (min_exclusive_ ? "(" : "[") + detail::format_double(*min_) + ", " +
          detail::format_double(*max_) + "]";
  } else if (min_) {
    out = (min_exclusive_ ? "> " : ">= ") + detail::format_double(*min_);
  } else if (max_) {
    out = "<= " + detail::format_double(*max_);
  }
  return out.empty() || type_ != ValueType::kIntList ? out : "each " + out;
}

ConfigSchema& ConfigSchema::add(ConfigKey key) {
  const std::string& name = key.name();
  TORCH_CHECK(
      valid_name(name), "ConfigSchema: key name '", name,
      "' must be dot-separated names of letters, digits, '_' and '-', each starting with a "
      "letter or '_' (and not 'null')");
  int depth = detail::segments(name) + (key.type() == ValueType::kIntList ? 1 : 0);
  TORCH_CHECK(
      depth <= detail::kMaxDepth, "ConfigSchema: key '", name, "' nests ", depth,
      " levels deep (a list counts as one); the limit is ", detail::kMaxDepth);
  TORCH_CHECK(!index_.count(name), "ConfigSchema: key '", name, "' is already present");
  TORCH_CHECK(
      !sections_.count(name), "ConfigSchema: key '", name,
      "' is already a section of other keys, so it cannot also be a key");
  for (const auto& section : detail::sections_of(name)) {
    TORCH_CHECK(
        !index_.count(section), "ConfigSchema: key '", name, "' would make key '", section,
        "' a section, so it cannot be added");
  }
  check_rules(key);
  try {
    detail::parse_default(key);
  } catch (const c10::ValueError& e) {
    // The same check as for a value from a file, but a bad default is a bug
    // in the schema, not bad input.
    TORCH_CHECK(false, e.what_without_backtrace());
  }

  index_.emplace(name, keys_.size());
  for (auto& section : detail::sections_of(name)) sections_.insert(std::move(section));
  keys_.push_back(std::move(key));
  return *this;
}

const ConfigKey* ConfigSchema::find(const std::string& name) const {
  auto it = index_.find(name);
  return it == index_.end() ? nullptr : &keys_[it->second];
}

bool ConfigSchema::is_section(const std::string& name) const {
  return sections_.count(name) > 0;
}

std::vector<std::string> ConfigSchema::names() const {
  std::vector<std::string> out;
  for (const auto& key : keys_) out.push_back(key.name());
  return out;
}

std::string ConfigSchema::describe() const {
  std::vector<std::array<std::string, 4>> rows;
  std::array<size_t, 4> width{};
  for (const auto& key : keys_) {
    const std::string rule = key.rule();
    rows.push_back(
        {key.name(), detail::type_name(key.type()), key.default_text(), rule.empty() ? "-" : rule});
    for (size_t c = 0; c < width.size(); ++c) width[c] = std::max(width[c], rows.back()[c].size());
  }
  std::ostringstream out;
  for (size_t k = 0; k < rows.size(); ++k) {
    std::string line;
    for (size_t c = 0; c < width.size(); ++c) {
      line += rows[k][c] + std::string(width[c] - rows[k][c].size() + 2, ' ');
    }
    line += keys_[k].help();
    line.erase(line.find_last_not_of(' ') + 1);
    out << line << "\n";
  }
  return out.str();
}

}  // namespace hnet::io
