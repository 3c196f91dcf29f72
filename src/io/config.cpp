// Config: resolving defaults <- file <- overrides, and reading the result.
// The parts live beside this file: config_schema.cpp (keys and rules),
// config_yaml.cpp (reading), config_values.cpp (conversion and checks) and
// config_write.cpp (to_yaml).

#include "hnet/io/config.h"

#include <c10/util/Exception.h>

#include "config_internal.h"
#include "hnet/errors.h"
#include "hnet/io/atomic_file.h"

namespace hnet::io {

Config::Config(std::shared_ptr<const Impl> impl) : impl_(std::move(impl)) {}

Config Config::resolve(
    const ConfigSchema& schema, const std::string& yaml_path,
    const std::vector<std::string>& overrides) {
  std::string text;
  try {
    text = read_file(yaml_path, detail::kMaxBytes);
  } catch (const c10::Error& e) {
    // Missing, not a regular file, too large: the path the caller gave is bad.
    HNET_CHECK_INPUT(false, e.what_without_backtrace());
  }
  return resolve_text(schema, text, yaml_path, overrides);
}

std::string peek_config_text(const std::string& yaml_path, const std::string& key) {
  std::string text;
  try {
    text = read_file(yaml_path, detail::kMaxBytes);
  } catch (const c10::Error& e) {
    HNET_CHECK_INPUT(false, e.what_without_backtrace());
  }
  const YAML::Node root = detail::parse_document(text, {yaml_path, /*in_file=*/true}, 0);
  if (!root.IsMap()) return "";
  const YAML::Node value = root[key];  // undefined (false) when absent
  return value && value.IsScalar() ? value.Scalar() : "";
}

Config Config::resolve_text(
    const ConfigSchema& schema, const std::string& yaml_text, const std::string& source,
    const std::vector<std::string>& overrides) {
  auto impl = std::make_shared<Impl>();
  impl->schema = schema;
  for (const auto& key : schema.keys()) impl->values.push_back(detail::parse_default(key));
  detail::apply_file(impl->schema, impl->values, yaml_text, source);
  for (const auto& text : overrides) detail::apply_override(impl->schema, impl->values, text);
  return Config(std::move(impl));
}

Config Config::with_overrides(const std::vector<std::string>& overrides) const {
  auto impl = std::make_shared<Impl>(*impl_);
  for (const auto& text : overrides) detail::apply_override(impl->schema, impl->values, text);
  return Config(std::move(impl));
}

size_t Config::index_of(const std::string& name, ValueType type, const char* getter) const {
  const ConfigSchema& schema = impl_->schema;
  const ConfigKey* key = schema.find(name);
  TORCH_CHECK(
      key, "Config::", getter, ": no key '", name, "' in the schema",
      detail::suggestion(name, schema.names()));
  TORCH_CHECK(
      key->type() == type, "Config::", getter, ": key '", name, "' has type ",
      detail::type_name(key->type()), ", not ", detail::type_name(type));
  return static_cast<size_t>(key - schema.keys().data());
}

int64_t Config::get_int(const std::string& name) const {
  return std::get<int64_t>(impl_->values[index_of(name, ValueType::kInt, "get_int")]);
}

double Config::get_float(const std::string& name) const {
  return std::get<double>(impl_->values[index_of(name, ValueType::kFloat, "get_float")]);
}

std::string Config::get_string(const std::string& name) const {
  return std::get<std::string>(impl_->values[index_of(name, ValueType::kString, "get_string")]);
}

bool Config::get_bool(const std::string& name) const {
  return std::get<bool>(impl_->values[index_of(name, ValueType::kBool, "get_bool")]);
}

std::vector<int64_t> Config::get_int_list(const std::string& name) const {
  return std::get<std::vector<int64_t>>(
      impl_->values[index_of(name, ValueType::kIntList, "get_int_list")]);
}

bool Config::operator==(const Config& other) const {
  const auto& a = impl_->schema.keys();
  const auto& b = other.impl_->schema.keys();
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i].name() != b[i].name() || a[i].type() != b[i].type()) return false;
  }
  return impl_->values == other.impl_->values;
}

}  // namespace hnet::io
