// Converting a YAML node to a key's value: its type (read strictly, so that
// "0x10", ".nan" or a quoted "3" are not numbers), its bounds and choices.

#include <c10/util/StringUtil.h>

#include <algorithm>
#include <charconv>

#include "config_internal.h"
#include "hnet/errors.h"
#include "hnet/io/file_safety.h"

namespace hnet::io::detail {
namespace {

bool has_tag(const YAML::Node& node, const char* core_tag) {
  return node.Tag() == "?" || node.Tag() == std::string("tag:yaml.org,2002:") + core_tag;
}

// `s` read in full by from_chars, after a leading '+' (YAML allows one;
// from_chars does not). `allowed` keeps from_chars from taking "inf", "nan"
// or hex digits; YAML's ".inf" and ".nan" are rejected as not finite.
template <typename T>
c10::optional<T> parse_number(const std::string& s, const char* allowed, bool* out_of_range) {
  if (s.empty() || s.find_first_not_of(allowed) != std::string::npos) return c10::nullopt;
  const char* begin = s.data() + (s[0] == '+' && s.size() > 1 && s[1] != '-' ? 1 : 0);
  T value{};
  auto [end, ec] = std::from_chars(begin, s.data() + s.size(), value);
  *out_of_range = ec == std::errc::result_out_of_range;
  if (ec != std::errc() || end != s.data() + s.size()) return c10::nullopt;
  return value;
}

std::string help_note(const ConfigKey& key) {
  return key.help().empty() ? "" : " (help: " + key.help() + ")";
}

// `label` is the key's name, or "name[i]" for an element of a list.
void check_bounds(
    const ConfigKey& key, double value, const std::string& label, const YAML::Node& node,
    const Source& src) {
  if (key.min()) {
    HNET_CHECK_INPUT(
        key.min_exclusive() ? value > *key.min() : value >= *key.min(), src.name, ": config key '",
        label, "' must be ", key.min_exclusive() ? "> " : ">= ", format_double(*key.min()),
        ", got ", clipped(node.Scalar()), at(src, node), help_note(key));
  }
  if (key.max()) {
    HNET_CHECK_INPUT(
        value <= *key.max(), src.name, ": config key '", label,
        "' must be <= ", format_double(*key.max()), ", got ", clipped(node.Scalar()), at(src, node),
        help_note(key));
  }
}

int64_t to_int(
    const ConfigKey& key, const YAML::Node& node, const std::string& label, const Source& src) {
  c10::optional<int64_t> value;
  bool out_of_range = false;
  if (node.IsScalar() && has_tag(node, "int")) {
    value = parse_number<int64_t>(node.Scalar(), "+-0123456789", &out_of_range);
  }
  HNET_CHECK_INPUT(
      value, src.name, ": config key '", label, "' must be an integer, got ", describe_node(node),
      out_of_range ? " (outside the 64-bit range)" : "", at(src, node), help_note(key));
  check_bounds(key, static_cast<double>(*value), label, node, src);
  return *value;
}

double to_float(const ConfigKey& key, const YAML::Node& node, const Source& src) {
  c10::optional<double> value;
  bool out_of_range = false;
  if (node.IsScalar() && (has_tag(node, "float") || has_tag(node, "int"))) {
    value = parse_number<double>(node.Scalar(), "+-.0123456789eE", &out_of_range);
  }
  HNET_CHECK_INPUT(
      value, src.name, ": config key '", key.name(), "' must be a finite number, got ",
      describe_node(node), out_of_range ? " (outside the double range)" : "", at(src, node),
      help_note(key));
  check_bounds(key, *value, key.name(), node, src);
  return *value;
}

std::string to_text(const ConfigKey& key, const YAML::Node& node, const Source& src) {
  const auto& choices = key.choices();
  HNET_CHECK_INPUT(
      node.IsScalar(), src.name, ": config key '", key.name(), "' must be ",
      choices.empty() ? "a string," : "one of " + c10::Join(", ", choices) + ";", " got ",
      describe_node(node), at(src, node), help_note(key));
  const std::string& text = node.Scalar();
  HNET_CHECK_INPUT(
      choices.empty() || std::find(choices.begin(), choices.end(), text) != choices.end(), src.name,
      ": config key '", key.name(), "' must be one of ", c10::Join(", ", choices), "; got ",
      describe_node(node), suggestion(text, choices), at(src, node), help_note(key));
  return text;
}

bool to_bool(const ConfigKey& key, const YAML::Node& node, const Source& src) {
  const std::string& text = node.Scalar();
  bool is_true = text == "true" || text == "True" || text == "TRUE";
  bool is_false = text == "false" || text == "False" || text == "FALSE";
  HNET_CHECK_INPUT(
      node.IsScalar() && has_tag(node, "bool") && (is_true || is_false), src.name, ": config key '",
      key.name(), "' must be true or false, got ", describe_node(node), at(src, node),
      help_note(key));
  return is_true;
}

std::vector<int64_t> to_int_list(const ConfigKey& key, const YAML::Node& node, const Source& src) {
  HNET_CHECK_INPUT(
      node.IsSequence(), src.name, ": config key '", key.name(),
      "' must be a list of integers, got ", describe_node(node), at(src, node), help_note(key));
  HNET_CHECK_INPUT(
      node.size() <= kMaxListItems, src.name, ": config key '", key.name(), "' must have at most ",
      kMaxListItems, " elements, got ", node.size(), at(src, node), help_note(key));
  std::vector<int64_t> out;
  for (size_t i = 0; i < node.size(); ++i) {
    out.push_back(to_int(key, node[i], key.name() + "[" + std::to_string(i) + "]", src));
  }
  return out;
}

}  // namespace

std::string describe_node(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Map:
      return "a map";
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Scalar:
      if (node.Tag() == "?") return "'" + clipped(node.Scalar()) + "'";
      if (node.Tag() == "!" || node.Tag() == "tag:yaml.org,2002:str") {
        return "the string \"" + clipped(node.Scalar()) + "\"";
      }
      return "'" + clipped(node.Scalar()) + "' tagged " + clipped(node.Tag());
    default:
      return "no value";
  }
}

ConfigValue convert(const ConfigKey& key, const YAML::Node& node, const Source& src) {
  switch (key.type()) {
    case ValueType::kInt:
      return to_int(key, node, key.name(), src);
    case ValueType::kFloat:
      return to_float(key, node, src);
    case ValueType::kString:
      return to_text(key, node, src);
    case ValueType::kBool:
      return to_bool(key, node, src);
    case ValueType::kIntList:
      return to_int_list(key, node, src);
  }
  TORCH_INTERNAL_ASSERT(false, "unknown ValueType");
}

ConfigValue parse_default(const ConfigKey& key) {
  Source src{"ConfigSchema: default of '" + key.name() + "'"};
  return convert(key, parse_document(key.default_text(), src, segments(key.name())), src);
}

}  // namespace hnet::io::detail
