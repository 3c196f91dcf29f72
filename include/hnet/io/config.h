#pragma once
/// \file
/// The experiment configuration of `hnet train CONFIG [key=value ...]`.
///
/// A `ConfigSchema` lists every key a program understands, with its type, its
/// default, a one-line help text and the rules its value must follow. A
/// `Config` is the result of layering, in order,
///   1. the schema's defaults,
///   2. a YAML file (nested maps, flattened to dotted names), and
///   3. command-line overrides `a.b=value`, each value parsed as YAML,
/// where every key and value is checked against the schema. Each error is a
/// `c10::Error` whose message starts with its source (the file path or
/// `override '<text>'`), names the key and the bad value, and states the rule.
///
/// Example:
///   ConfigSchema schema;
///   schema.add({"optimizer.lr", ValueType::kFloat, "1e-4", "Adam step size", 0.0, true});
///   Config cfg = Config::resolve(schema, "run.yaml", {"optimizer.lr=3e-4"});
///   double lr = cfg.get_float("optimizer.lr");  // 3e-4

#include <c10/util/Optional.h>

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <variant>
#include <vector>

namespace hnet::io {

/// The type of a config value, and what YAML it accepts:
///   kInt     a plain integer scalar in the int64 range: `3`, `-2`, `+7`
///   kFloat   a plain finite number, integers included: `0.1`, `1e-4`, `3`
///   kString  any scalar (`split`, `"a b"`, `3` is the text "3"); not null
///   kBool    `true` or `false` (also `True`, `TRUE`, `False`, `FALSE`)
///   kIntList a sequence of kInt scalars, block or flow: `[400, 400]`, `[]`
/// Quoted scalars are text: `"3"` is not an integer.
enum class ValueType { kInt, kFloat, kString, kBool, kIntList };

/// One key of a schema.
struct ConfigKey {
  /// Dotted path, e.g. "optimizer.lr": 1 to 8 segments of letters, digits, '_'
  /// and '-', each starting with a letter or '_' and none named "null".
  std::string name;
  ValueType type;
  /// YAML text of the default: "1e-4", "[400, 400]", "split", "true". It must
  /// itself satisfy every rule below.
  std::string default_value{};
  /// One line, appended to errors about this key's value.
  std::string help{};
  /// Numbers (and each list element): lower bound. Only for kInt, kFloat and
  /// kIntList.
  c10::optional<double> min{};
  /// true: value must be > min; false: value must be >= min.
  bool min_exclusive = false;
  /// Strings: allowed values (empty: any). Only for kString.
  std::vector<std::string> choices{};
};

/// The ordered set of keys a program accepts.
///
/// A key's name must not be a prefix section of another key: with
/// "optimizer.lr" present, "optimizer" is a section (a YAML map) and cannot be
/// a key itself.
///
/// Example:
///   ConfigSchema s;
///   s.add({"data.split", ValueType::kString, "split", "task split", {}, false,
///          {"split", "permuted"}});
class ConfigSchema {
 public:
  /// Appends `key`.
  /// requires: `key.name` is well formed (see `ConfigKey::name`), not yet
  ///           present, neither a section of an existing key nor has an
  ///           existing key as a section; its nesting, counting a kIntList as
  ///           one more level, is at most 8; `min` is finite and only set for
  ///           numbers; `choices` only for kString; `default_value` is valid.
  /// ensures:  throws `c10::Error` naming the key and the broken rule
  ///           otherwise, leaving the schema unchanged.
  ConfigSchema& add(ConfigKey key);

  /// The key called `name`, or nullptr.
  const ConfigKey* find(const std::string& name) const;

  /// True if `name` is a section: a proper dotted prefix of some key's name
  /// ("optimizer" and "model.generator" for "model.generator.hidden").
  bool is_section(const std::string& name) const;

  /// Every key name, in insertion order.
  std::vector<std::string> names() const;

  /// Every key, in insertion order.
  const std::vector<ConfigKey>& keys() const {
    return keys_;
  }

 private:
  std::vector<ConfigKey> keys_;
  std::unordered_map<std::string, size_t> index_;
  std::unordered_set<std::string> sections_;
};

namespace detail {
/// A resolved value; the alternative's index is the `ValueType`'s.
using ConfigValue = std::variant<int64_t, double, std::string, bool, std::vector<int64_t>>;
}  // namespace detail

/// A resolved configuration: one valid value for every key of its schema.
/// Holds its own copy of the schema, so it outlives the one it came from.
class Config {
 public:
  /// Resolves defaults <- the YAML file at `yaml_path` <- `overrides`.
  ///
  /// The file may be empty (all defaults) and holds at most one YAML document
  /// whose top level is a map; nested maps are flattened to dotted names
  /// ("optimizer: {lr: 0.1}" and "optimizer.lr: 0.1" are the same key).
  /// Each override is "a.b=value": the key is a schema key or section, the
  /// value is parsed as YAML ("a.b=[1, 2]", "optimizer={lr: 0.1}"), and later
  /// overrides win over earlier ones and over the file.
  ///
  /// requires: the file is a readable regular file of at most 1 MiB, holds
  ///           valid YAML nested at most 8 levels (maps and lists), names
  ///           only schema keys and sections, each at most once, and every
  ///           value follows its key's type, bound and choices.
  /// ensures:  throws `c10::Error` otherwise; messages start with the path
  ///           (or "override '<text>'") and end with the line and column in
  ///           the file where known.
  ///
  /// Example:
  ///   auto cfg = Config::resolve(schema, argv[2], {argv + 3, argv + argc});
  static Config resolve(
      const ConfigSchema& schema, const std::string& yaml_path,
      const std::vector<std::string>& overrides);

  /// As `resolve`, with the YAML given as text; `source` names it in errors.
  /// Example: Config::resolve_text(schema, "seed: 3", "<inline>", {})
  static Config resolve_text(
      const ConfigSchema& schema, const std::string& yaml_text, const std::string& source,
      const std::vector<std::string>& overrides);

  /// The value of key `name`.
  /// requires: `name` is in the schema with the getter's type (get_float
  ///           needs kFloat, not kInt); otherwise throws naming both.
  int64_t get_int(const std::string& name) const;
  double get_float(const std::string& name) const;
  std::string get_string(const std::string& name) const;
  bool get_bool(const std::string& name) const;
  std::vector<int64_t> get_int_list(const std::string& name) const;

  /// Nested YAML of every key's resolved value, in schema order (a section is
  /// written where its first key is). Floats are written in their shortest
  /// exact form and strings quoted where needed, so
  /// `resolve_text(schema, to_yaml(), ...)` gives an equal Config.
  ///
  /// Example:
  ///   optimizer:
  ///     lr: 0.0001
  ///   target:
  ///     hidden: [400, 400]
  std::string to_yaml() const;

  /// Same key names and types, in the same order, with equal values (floats
  /// compared exactly).
  bool operator==(const Config& other) const;
  bool operator!=(const Config& other) const {
    return !(*this == other);
  }

 private:
  Config(std::shared_ptr<const ConfigSchema> schema, std::vector<detail::ConfigValue> values);
  const detail::ConfigValue& value(
      const std::string& name, ValueType type, const char* getter) const;

  std::shared_ptr<const ConfigSchema> schema_;
  std::vector<detail::ConfigValue> values_;  // parallel to schema_->keys()
};

}  // namespace hnet::io
