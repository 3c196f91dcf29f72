#pragma once
// Private to src/io/config_*.cpp: the resolved value and the helpers that the
// schema (config_schema.cpp), the reader (config_yaml.cpp), the converter
// (config_values.cpp) and the writer (config_write.cpp) share.

#include <yaml-cpp/yaml.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "hnet/io/config.h"

namespace hnet::io {

namespace detail {

/// A resolved value; the alternative's index is the `ValueType`'s.
using ConfigValue = std::variant<int64_t, double, std::string, bool, std::vector<int64_t>>;

/// The largest YAML text read, and the deepest nesting of maps and lists
/// (the top-level map being 1, a key's own dotted segments counting).
constexpr size_t kMaxBytes = size_t{1} << 20;
constexpr int kMaxDepth = 8;
/// The most elements a kIntList value may have.
constexpr size_t kMaxListItems = 64;

/// Where values come from, for messages: a file (marks are its lines), an
/// override, or a schema default.
struct Source {
  std::string name;
  bool in_file = false;
};

// config_schema.cpp: names.

/// "int", "float", "string", "bool", "int list".
const char* type_name(ValueType type);
/// Dotted segments of a name: 3 for "a.b.c".
int segments(const std::string& name);
/// The proper prefixes of a dotted name: "a" and "a.b" for "a.b.c".
std::vector<std::string> sections_of(const std::string& name);
/// " (did you mean 'x'?)" for the closest of `known`, or "".
std::string suggestion(const std::string& name, const std::vector<std::string>& known);

// config_yaml.cpp: reading.

/// Parses one YAML document (none: a null node) whose top level sits at
/// nesting `start_depth`; throws c10::ValueError naming `src` when it is too
/// long, too deep, not YAML or more than one document.
YAML::Node parse_document(const std::string& text, const Source& src, int start_depth);
/// " at line L, column C" of `node` in a file, else "".
std::string at(const Source& src, const YAML::Node& node);
/// Sets the values the YAML `text` of the file `source` gives (flattening
/// nested maps to dotted names); throws c10::ValueError on any bad key or
/// value.
void apply_file(
    const ConfigSchema& schema, std::vector<ConfigValue>& values, const std::string& text,
    const std::string& source);
/// As apply_file for one "a.b=value" override.
void apply_override(
    const ConfigSchema& schema, std::vector<ConfigValue>& values, const std::string& text);

// config_values.cpp: conversion and validation.

/// "'1.5'", "the string \"3\"", "a map": what was found instead.
std::string describe_node(const YAML::Node& node);
/// `node` as a value of `key`, checked against its type and rules; throws
/// c10::ValueError naming `src`, the key, the value and the rule otherwise.
ConfigValue convert(const ConfigKey& key, const YAML::Node& node, const Source& src);
/// The default of `key`, checked as `convert` does.
ConfigValue parse_default(const ConfigKey& key);

// config_write.cpp: writing.

/// Shortest text that reads back as exactly `value`.
std::string format_double(double value);
/// `value` as a YAML scalar or flow list that reads back equal.
std::string yaml_value(const ConfigValue& value);

}  // namespace detail

struct Config::Impl {
  ConfigSchema schema;
  std::vector<detail::ConfigValue> values;  // parallel to schema.keys()
};

}  // namespace hnet::io
