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
/// where every key and value is checked against the schema. Each error in the
/// file or an override is a `c10::ValueError` (bad input, see hnet/errors.h)
/// whose message starts with its source (the file path or
/// `override '<text>'`), names the key and the bad value, and states the rule.
/// Mistakes in a schema itself, or a getter called with the wrong type, are
/// programming errors: plain `c10::Error`.
///
/// Example:
///   ConfigSchema schema;
///   schema.add(ConfigKey::real("optimizer.lr", 1e-4).greater_than(0).help("Adam step size"));
///   Config cfg = Config::resolve(schema, "run.yaml", {"optimizer.lr=3e-4"});
///   double lr = cfg.get_float("optimizer.lr");  // 3e-4

#include <c10/util/Optional.h>

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace hnet::io {

/// The type of a config value, and what YAML it accepts:
///   kInt     a plain integer scalar in the int64 range: `3`, `-2`, `+7`
///   kFloat   a plain finite number, integers included: `0.1`, `1e-4`, `3`
///   kString  any scalar (`split`, `"a b"`, `3` is the text "3"); not null
///   kBool    `true` or `false` (also `True`, `TRUE`, `False`, `FALSE`)
///   kIntList a sequence of at most 64 kInt scalars, block or flow:
///            `[400, 400]`, `[]`
/// Quoted scalars are text: `"3"` is not an integer.
enum class ValueType { kInt, kFloat, kString, kBool, kIntList };

/// One key of a schema: a dotted name, a type and a typed default, made by
/// the factory of its type, then rules and help added by chained setters.
///
/// The name is 1 to 8 segments of letters, digits, '_' and '-', each starting
/// with a letter or '_' and none named "null" ("optimizer.lr").
/// Rules: numbers (for an int list, each element) may have a lower bound,
/// inclusive (`min`) or exclusive (`greater_than`), and an inclusive upper
/// bound (`max`); text may be limited to `choices`. `ConfigSchema::add`
/// checks that each rule fits the type and that the default satisfies it.
///
/// Example:
///   ConfigKey::integer("seed", 1).min(0).help("random seed")
///   ConfigKey::real("optimizer.lr", 1e-3).greater_than(0).help("Adam learning rate")
///   ConfigKey::real("data.val_fraction", 0.1).min(0).max(0.5).help("held-out fraction")
///   ConfigKey::text("method", "hypercl").choices({"hypercl", "interval"})
///   ConfigKey::int_list("target.hidden", {400, 400}).min(1).help("hidden widths")
///   ConfigKey::boolean("order.outgoing", true)
class ConfigKey {
 public:
  /// A kInt key; `value` is its default.
  static ConfigKey integer(std::string name, int64_t value);
  /// A kFloat key; `value` is its default.
  static ConfigKey real(std::string name, double value);
  /// A kString key; `value` is its default.
  static ConfigKey text(std::string name, std::string value);
  /// A kBool key; `value` is its default.
  static ConfigKey boolean(std::string name, bool value);
  /// Not a bool: a string literal would silently become `true`.
  static ConfigKey boolean(std::string name, const char* value) = delete;
  /// A kIntList key; `value` is its default.
  static ConfigKey int_list(std::string name, std::vector<int64_t> value);

  /// Values (each element of a list) must be >= `bound`.
  ConfigKey& min(double bound);
  /// Values (each element of a list) must be > `bound`.
  ConfigKey& greater_than(double bound);
  /// Values (each element of a list) must be <= `bound`.
  ConfigKey& max(double bound);
  /// Text values must be one of `allowed`.
  ConfigKey& choices(std::vector<std::string> allowed);
  /// One line, appended to errors about this key's value.
  ConfigKey& help(std::string line);

  const std::string& name() const {
    return name_;
  }
  ValueType type() const {
    return type_;
  }
  /// The default as YAML, as `Config::to_yaml` writes it: "0.001",
  /// "[400, 400]", "split", "\"\"".
  const std::string& default_text() const {
    return default_text_;
  }
  /// The lower bound, if any; `min_exclusive()` tells > from >=.
  const c10::optional<double>& min() const {
    return min_;
  }
  bool min_exclusive() const {
    return min_exclusive_;
  }
  /// The inclusive upper bound, if any.
  const c10::optional<double>& max() const {
    return max_;
  }
  /// The allowed text values (empty: any).
  const std::vector<std::string>& choices() const {
    return choices_;
  }
  const std::string& help() const {
    return help_;
  }
  /// The rules as text: ">= 0", "> 0", "<= 0.5", "in [0, 0.5]",
  /// "each >= 1" (lists), "one of a|b|c"; "" for none.
  std::string rule() const;

 private:
  ConfigKey(std::string name, ValueType type, std::string default_text);

  std::string name_;
  ValueType type_;
  std::string default_text_;
  c10::optional<double> min_;
  bool min_exclusive_ = false;
  c10::optional<double> max_;
  std::vector<std::string> choices_;
  std::string help_;
};

/// The ordered set of keys a program accepts.
///
/// A key's name must not be a prefix section of another key: with
/// "optimizer.lr" present, "optimizer" is a section (a YAML map) and cannot be
/// a key itself.
///
/// Example:
///   ConfigSchema s;
///   s.add(ConfigKey::text("data.split", "split").choices({"split", "permuted"}).help("tasks"));
class ConfigSchema {
 public:
  /// Appends `key`.
  /// requires: `key.name()` is well formed (see `ConfigKey`), not yet
  ///           present, neither a section of an existing key nor has an
  ///           existing key as a section; its nesting, counting a kIntList
  ///           as one more level, is at most 8; bounds are finite, only set
  ///           for numbers and int lists, and leave some value allowed;
  ///           `choices` only for kString; `help` is one line; the default
  ///           satisfies every rule.
  /// ensures:  throws `c10::Error` (not `c10::ValueError`: a schema is code)
  ///           naming the key and the broken rule otherwise, leaving the
  ///           schema unchanged.
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

  /// One line per key, in order, in aligned columns: name, type, default,
  /// rule ("-" for none) and help. What `hnet train --list-keys` prints.
  ///
  /// Example line:
  ///   optimizer.lr  float  0.001  > 0  Adam learning rate
  std::string describe() const;

 private:
  std::vector<ConfigKey> keys_;
  std::unordered_map<std::string, size_t> index_;
  std::unordered_set<std::string> sections_;
};

/// A resolved configuration: one valid value for every key of its schema.
/// Holds its own copy of the schema, so it outlives the one it came from.
/// Immutable; copies share the resolved values.
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
  ///           value follows its key's type, bounds and choices.
  /// ensures:  throws `c10::ValueError` otherwise; messages start with the
  ///           path (or "override '<text>'") and end with the line and column
  ///           in the file where known.
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

  /// This configuration with `overrides` ("a.b=value") applied on top, each
  /// checked as in `resolve`: c10::ValueError naming the override otherwise.
  /// Example: cfg.with_overrides({"seed=3"})
  Config with_overrides(const std::vector<std::string>& overrides) const;

  /// The value of key `name`.
  /// requires: `name` is in the schema with the getter's type (get_float
  ///           needs kFloat, not kInt); otherwise throws `c10::Error` naming
  ///           both.
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
  ///     lr: 1e-04  # the shortest form: 1e-4 is 1e-04, 1e-3 is 0.001
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
  struct Impl;  // the schema and the resolved values, defined in src/io
  explicit Config(std::shared_ptr<const Impl> impl);
  size_t index_of(const std::string& name, ValueType type, const char* getter) const;

  std::shared_ptr<const Impl> impl_;
};

/// The text of the top-level key `key` of the YAML file `yaml_path` ("" when
/// absent or not a scalar), read with Config::resolve's limits and errors:
/// for commands that choose a schema by a key (`hnet sweep`: `method`).
std::string peek_config_text(const std::string& yaml_path, const std::string& key);

}  // namespace hnet::io
