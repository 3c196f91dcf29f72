#include "hnet/io/config.h"

#include <c10/util/Exception.h>
#include <c10/util/StringUtil.h>
#include <yaml-cpp/depthguard.h>
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <sstream>
#include <unordered_set>

#include "hnet/io/atomic_file.h"
#include "hnet/spec.h"

namespace hnet::io {
namespace {

using detail::ConfigValue;

constexpr size_t kMaxBytes = size_t{1} << 20;
constexpr int kMaxDepth = 8;  // maps and lists, the top-level map being 1

const char* type_name(ValueType type) {
  static const char* const names[] = {"int", "float", "string", "bool", "int list"};
  return names[static_cast<size_t>(type)];
}

int segments(const std::string& name) {
  return 1 + static_cast<int>(std::count(name.begin(), name.end(), '.'));
}

// The proper prefixes of a dotted name: "a" and "a.b" for "a.b.c".
std::vector<std::string> sections_of(const std::string& name) {
  std::vector<std::string> out;
  for (size_t dot = name.find('.'); dot != std::string::npos; dot = name.find('.', dot + 1)) {
    out.push_back(name.substr(0, dot));
  }
  return out;
}

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

// Where values come from, for messages: a file (marks are its lines), an
// override, or a schema default.
struct Source {
  std::string name;
  bool in_file = false;
};

std::string location(const YAML::Mark& mark) {
  if (mark.is_null()) return "";
  return " at line " + std::to_string(mark.line + 1) + ", column " +
         std::to_string(mark.column + 1);
}

std::string at(const Source& src, const YAML::Node& node) {
  return src.in_file ? location(node.Mark()) : "";
}

std::string help(const ConfigKey& key) {
  return key.help.empty() ? "" : " (help: " + key.help + ")";
}

std::string suggestion(const std::string& name, const std::vector<std::string>& known) {
  std::string best = closest_name(name, known);
  return best.empty() ? "" : " (did you mean '" + best + "'?)";
}

// Keys and sections, the candidates for "did you mean".
std::vector<std::string> keys_and_sections(const ConfigSchema& schema) {
  std::vector<std::string> out;
  for (const auto& name : schema.names()) {
    for (auto& section : sections_of(name)) out.push_back(std::move(section));
    out.push_back(name);
  }
  return out;
}

// Counts nesting on the event stream, before any tree is built: aliases are
// not expanded here, so the check costs time linear in the text.
class DepthCheck : public YAML::EventHandler {
 public:
  DepthCheck(const Source& src, int start) : src_(src), depth_(start) {}
  void OnDocumentStart(const YAML::Mark&) override {}
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
  void OnAlias(const YAML::Mark&, YAML::anchor_t) override {}
  void OnScalar(
      const YAML::Mark&, const std::string&, YAML::anchor_t, const std::string&) override {}
  void OnSequenceStart(
      const YAML::Mark& m, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override {
    enter(m);
  }
  void OnMapStart(
      const YAML::Mark& m, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override {
    enter(m);
  }
  void OnSequenceEnd() override {
    --depth_;
  }
  void OnMapEnd() override {
    --depth_;
  }

 private:
  void enter(const YAML::Mark& mark) {
    ++depth_;
    TORCH_CHECK(
        depth_ <= kMaxDepth, src_.name, ": nesting deeper than ", kMaxDepth, " levels",
        location(mark));
  }
  const Source& src_;
  int depth_;
};

// Parses one YAML document (none: a null node) whose top level sits at
// nesting `start_depth`.
YAML::Node parse_document(const std::string& text, const Source& src, int start_depth) {
  TORCH_CHECK(
      text.size() <= kMaxBytes, src.name, ": text is ", text.size(),
      " bytes, more than the limit of ", kMaxBytes, " bytes");
  try {
    DepthCheck check(src, start_depth);
    std::istringstream in(text);
    YAML::Parser parser(in);
    // Counting stops at two: yaml-cpp 0.7 turns a stray ',' after the first
    // document into endless empty documents (jbeder/yaml-cpp#1040), so
    // `"a",` would otherwise hang the reader.
    int documents = 0;
    while (documents < 2 && parser.HandleNextDocument(check)) ++documents;
    TORCH_CHECK(
        documents <= 1, src.name,
        ": holds more than one YAML document (a '---' line, or a ',', ']' or '}' outside any "
        "list or map); expected one");
    return documents == 0 ? YAML::Node() : YAML::Load(text);
  } catch (const YAML::DeepRecursion& e) {
    // yaml-cpp's own guard (depth 2000) against stack exhaustion.
    TORCH_CHECK(false, src.name, ": nesting deeper than ", kMaxDepth, " levels", location(e.mark));
  } catch (const YAML::ParserException& e) {
    TORCH_CHECK(
        false, src.name, ": invalid YAML at line ", e.mark.line + 1, ", column ", e.mark.column + 1,
        ": ", e.msg);
  }
}

bool has_tag(const YAML::Node& node, const char* core_tag) {
  return node.Tag() == "?" || node.Tag() == std::string("tag:yaml.org,2002:") + core_tag;
}

// "'1.5'", "the string \"3\"", "a map": what was found instead.
std::string describe(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Map:
      return "a map";
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Scalar:
      if (node.Tag() == "?") return "'" + node.Scalar() + "'";
      if (node.Tag() == "!" || node.Tag() == "tag:yaml.org,2002:str") {
        return "the string \"" + node.Scalar() + "\"";
      }
      return "'" + node.Scalar() + "' tagged " + node.Tag();
    default:
      return "no value";
  }
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
  if (out_of_range) *out_of_range = ec == std::errc::result_out_of_range;
  if (ec != std::errc() || end != s.data() + s.size()) return c10::nullopt;
  return value;
}

// Shortest text that reads back as exactly `value`.
std::string format_double(double value) {
  char buffer[32];
  auto result = std::to_chars(buffer, buffer + sizeof(buffer), value);
  return std::string(buffer, result.ptr);
}

void check_min(
    const ConfigKey& key, double value, const std::string& label, const YAML::Node& node,
    const Source& src) {
  if (!key.min) return;
  TORCH_CHECK(
      key.min_exclusive ? value > *key.min : value >= *key.min, src.name, ": config key '", label,
      "' must be ", key.min_exclusive ? "> " : ">= ", format_double(*key.min), ", got ",
      node.Scalar(), at(src, node), help(key));
}

int64_t to_int(
    const ConfigKey& key, const YAML::Node& node, const std::string& label, const Source& src) {
  c10::optional<int64_t> value;
  bool out_of_range = false;
  if (node.IsScalar() && has_tag(node, "int")) {
    value = parse_number<int64_t>(node.Scalar(), "+-0123456789", &out_of_range);
  }
  TORCH_CHECK(
      value, src.name, ": config key '", label, "' must be an integer, got ", describe(node),
      out_of_range ? " (outside the 64-bit range)" : "", at(src, node), help(key));
  check_min(key, static_cast<double>(*value), label, node, src);
  return *value;
}

ConfigValue convert(const ConfigKey& key, const YAML::Node& node, const Source& src) {
  const std::string& name = key.name;
  switch (key.type) {
    case ValueType::kInt:
      return to_int(key, node, name, src);
    case ValueType::kFloat: {
      c10::optional<double> value;
      bool out_of_range = false;
      if (node.IsScalar() && (has_tag(node, "float") || has_tag(node, "int"))) {
        value = parse_number<double>(node.Scalar(), "+-.0123456789eE", &out_of_range);
      }
      TORCH_CHECK(
          value, src.name, ": config key '", name, "' must be a finite number, got ",
          describe(node), out_of_range ? " (outside the double range)" : "", at(src, node),
          help(key));
      check_min(key, *value, name, node, src);
      return *value;
    }
    case ValueType::kString: {
      TORCH_CHECK(
          node.IsScalar(), src.name, ": config key '", name, "' must be ",
          key.choices.empty() ? "a string," : "one of " + c10::Join(", ", key.choices) + ";",
          " got ", describe(node), at(src, node), help(key));
      const std::string& text = node.Scalar();
      bool allowed = key.choices.empty() ||
                     std::find(key.choices.begin(), key.choices.end(), text) != key.choices.end();
      TORCH_CHECK(
          allowed, src.name, ": config key '", name, "' must be one of ",
          c10::Join(", ", key.choices), "; got ", describe(node), suggestion(text, key.choices),
          at(src, node), help(key));
      return text;
    }
    case ValueType::kBool: {
      const std::string& text = node.Scalar();
      bool is_true = text == "true" || text == "True" || text == "TRUE";
      bool is_false = text == "false" || text == "False" || text == "FALSE";
      TORCH_CHECK(
          node.IsScalar() && has_tag(node, "bool") && (is_true || is_false), src.name,
          ": config key '", name, "' must be true or false, got ", describe(node), at(src, node),
          help(key));
      return is_true;
    }
    case ValueType::kIntList: {
      TORCH_CHECK(
          node.IsSequence(), src.name, ": config key '", name, "' must be a list of integers, got ",
          describe(node), at(src, node), help(key));
      std::vector<int64_t> out;
      for (size_t i = 0; i < node.size(); ++i) {
        out.push_back(to_int(key, node[i], name + "[" + std::to_string(i) + "]", src));
      }
      return out;
    }
  }
  TORCH_INTERNAL_ASSERT(false, "unknown ValueType");
}

ConfigValue parse_default(const ConfigKey& key) {
  Source src{"ConfigSchema: default of '" + key.name + "'"};
  return convert(key, parse_document(key.default_value, src, segments(key.name)), src);
}

// Writes the YAML `node` found at dotted `path` ("" for the top level) into
// `values`, checking it against the schema. Leaves written are remembered so
// a key given twice in one source is an error.
class Applier {
 public:
  Applier(const ConfigSchema& schema, std::vector<ConfigValue>& values, const Source& src)
      : schema_(schema), values_(values), src_(src) {}

  void apply(const YAML::Node& node, const std::string& path, const YAML::Node& key_node) {
    if (const ConfigKey* key = path.empty() ? nullptr : schema_.find(path)) {
      TORCH_CHECK(
          seen_.insert(path).second, src_.name, ": duplicate key '", path, "'", at(src_, key_node));
      values_[static_cast<size_t>(key - schema_.keys().data())] = convert(*key, node, src_);
      return;
    }
    if (node.IsNull()) return;  // an empty file or section sets nothing
    TORCH_CHECK(
        node.IsMap() || !path.empty(), src_.name, ": top level must be a map of config keys, got ",
        describe(node), at(src_, node));
    TORCH_CHECK(
        node.IsMap(), src_.name, ": '", path, "' is a section of keys (", section_keys(path),
        ") and must be a map, got ", describe(node), at(src_, node));
    std::unordered_set<std::string> in_this_map;
    for (const auto& entry : node) {
      const YAML::Node& key = entry.first;
      TORCH_CHECK(
          key.IsScalar(), src_.name, ": keys must be names, got ", describe(key), at(src_, key));
      std::string child = path.empty() ? key.Scalar() : path + "." + key.Scalar();
      TORCH_CHECK(
          in_this_map.insert(key.Scalar()).second, src_.name, ": duplicate key '", child, "'",
          at(src_, key));
      TORCH_CHECK(
          schema_.find(child) || schema_.is_section(child), src_.name, ": unknown key '", child,
          "'", suggestion(child, keys_and_sections(schema_)), at(src_, key));
      apply(entry.second, child, key);
    }
  }

 private:
  std::string section_keys(const std::string& section) const {
    std::vector<std::string> under;
    for (const auto& name : schema_.names()) {
      if (name.compare(0, section.size() + 1, section + ".") == 0) under.push_back(name);
    }
    if (under.size() > 3) {
      under.resize(3);
      under.push_back("...");
    }
    return c10::Join(", ", under);
  }

  const ConfigSchema& schema_;
  std::vector<ConfigValue>& values_;
  const Source& src_;
  std::unordered_set<std::string> seen_;
};

// Double-quotes text that a YAML reader would not return as the same string.
std::string yaml_string(const std::string& text) {
  static const std::vector<std::string> special = {"true", "false", "null", "yes", "no",
                                                   "on",   "off",   "y",    "n"};
  std::string lower;
  for (char c : text) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  bool plain = !text.empty() &&
               (std::isalpha(static_cast<unsigned char>(text[0])) || text[0] == '_') &&
               std::find(special.begin(), special.end(), lower) == special.end() &&
               std::all_of(text.begin(), text.end(), [](char c) {
                 return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' ||
                        c == '.' || c == '/';
               });
  if (plain) return text;
  std::string out = "\"";
  for (char c : text) {
    auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else if (u < 0x20 || u == 0x7f) {
      const char* hex = "0123456789abcdef";
      out += "\\x";
      out += hex[u >> 4];
      out += hex[u & 15];
    } else {
      out += c;
    }
  }
  return out + "\"";
}

std::string yaml_value(const ConfigValue& value) {
  switch (static_cast<ValueType>(value.index())) {
    case ValueType::kInt:
      return std::to_string(std::get<int64_t>(value));
    case ValueType::kFloat:
      return format_double(std::get<double>(value));
    case ValueType::kString:
      return yaml_string(std::get<std::string>(value));
    case ValueType::kBool:
      return std::get<bool>(value) ? "true" : "false";
    case ValueType::kIntList:
      return "[" + c10::Join(", ", std::get<std::vector<int64_t>>(value)) + "]";
  }
  return "";
}

// A section of the output: its keys and subsections in schema order.
struct Tree {
  std::string name;
  int key = -1;  // index into the schema for a leaf
  std::vector<Tree> children;
};

void write_tree(
    const Tree& tree, const std::vector<ConfigValue>& values, int indent, std::ostringstream& out) {
  for (const auto& child : tree.children) {
    out << std::string(static_cast<size_t>(indent), ' ') << child.name << ":";
    if (child.key >= 0) {
      out << " " << yaml_value(values[static_cast<size_t>(child.key)]) << "\n";
    } else {
      out << "\n";
      write_tree(child, values, indent + 2, out);
    }
  }
}

}  // namespace

ConfigSchema& ConfigSchema::add(ConfigKey key) {
  const std::string& name = key.name;
  TORCH_CHECK(
      valid_name(name), "ConfigSchema: key name '", name,
      "' must be dot-separated names of letters, digits, '_' and '-', each starting with a "
      "letter or '_' (and not 'null')");
  int depth = segments(name) + (key.type == ValueType::kIntList ? 1 : 0);
  TORCH_CHECK(
      depth <= kMaxDepth, "ConfigSchema: key '", name, "' nests ", depth,
      " levels deep (a list counts as one); the limit is ", kMaxDepth);
  TORCH_CHECK(!index_.count(name), "ConfigSchema: key '", name, "' is already present");
  TORCH_CHECK(
      !sections_.count(name), "ConfigSchema: key '", name,
      "' is already a section of other keys, so it cannot also be a key");
  for (const auto& section : sections_of(name)) {
    TORCH_CHECK(
        !index_.count(section), "ConfigSchema: key '", name, "' would make key '", section,
        "' a section, so it cannot be added");
  }
  bool number = key.type == ValueType::kInt || key.type == ValueType::kFloat ||
                key.type == ValueType::kIntList;
  TORCH_CHECK(
      !key.min || (number && std::isfinite(*key.min)), "ConfigSchema: key '", name, "' of type ",
      type_name(key.type), " has lower bound ", key.min ? *key.min : 0.0,
      "; bounds must be finite and are only for int, float and int list keys");
  TORCH_CHECK(
      key.choices.empty() || key.type == ValueType::kString, "ConfigSchema: key '", name,
      "' of type ", type_name(key.type), " has choices; only string keys can");
  TORCH_CHECK(
      key.help.find('\n') == std::string::npos, "ConfigSchema: help of key '", name,
      "' must be one line, got '", key.help, "'");
  parse_default(key);

  index_.emplace(name, keys_.size());
  for (auto& section : sections_of(name)) sections_.insert(std::move(section));
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
  for (const auto& key : keys_) out.push_back(key.name);
  return out;
}

Config::Config(std::shared_ptr<const ConfigSchema> schema, std::vector<ConfigValue> values)
    : schema_(std::move(schema)), values_(std::move(values)) {}

Config Config::resolve(
    const ConfigSchema& schema, const std::string& yaml_path,
    const std::vector<std::string>& overrides) {
  return resolve_text(schema, read_file(yaml_path, kMaxBytes), yaml_path, overrides);
}

Config Config::resolve_text(
    const ConfigSchema& schema, const std::string& yaml_text, const std::string& source,
    const std::vector<std::string>& overrides) {
  auto owned = std::make_shared<const ConfigSchema>(schema);
  std::vector<ConfigValue> values;
  for (const auto& key : owned->keys()) values.push_back(parse_default(key));

  Source file{source, /*in_file=*/true};
  YAML::Node root = parse_document(yaml_text, file, 0);
  Applier(*owned, values, file).apply(root, "", root);

  for (const auto& text : overrides) {
    Source src{"override '" + text + "'"};
    size_t eq = text.find('=');
    TORCH_CHECK(eq != std::string::npos && eq > 0, src.name, " must look like key=value");
    std::string key = text.substr(0, eq);
    TORCH_CHECK(
        owned->find(key) || owned->is_section(key), src.name, ": unknown key '", key, "'",
        suggestion(key, keys_and_sections(*owned)));
    YAML::Node node = parse_document(text.substr(eq + 1), src, segments(key));
    Applier(*owned, values, src).apply(node, key, node);
  }
  return Config(std::move(owned), std::move(values));
}

const ConfigValue& Config::value(
    const std::string& name, ValueType type, const char* getter) const {
  const ConfigKey* key = schema_->find(name);
  TORCH_CHECK(
      key, "Config::", getter, ": no key '", name, "' in the schema",
      suggestion(name, schema_->names()));
  TORCH_CHECK(
      key->type == type, "Config::", getter, ": key '", name, "' has type ", type_name(key->type),
      ", not ", type_name(type));
  return values_[static_cast<size_t>(key - schema_->keys().data())];
}

int64_t Config::get_int(const std::string& name) const {
  return std::get<int64_t>(value(name, ValueType::kInt, "get_int"));
}

double Config::get_float(const std::string& name) const {
  return std::get<double>(value(name, ValueType::kFloat, "get_float"));
}

std::string Config::get_string(const std::string& name) const {
  return std::get<std::string>(value(name, ValueType::kString, "get_string"));
}

bool Config::get_bool(const std::string& name) const {
  return std::get<bool>(value(name, ValueType::kBool, "get_bool"));
}

std::vector<int64_t> Config::get_int_list(const std::string& name) const {
  return std::get<std::vector<int64_t>>(value(name, ValueType::kIntList, "get_int_list"));
}

std::string Config::to_yaml() const {
  Tree root;
  const auto& keys = schema_->keys();
  for (size_t k = 0; k < keys.size(); ++k) {
    Tree* node = &root;
    std::istringstream parts(keys[k].name);
    std::string part;
    while (std::getline(parts, part, '.')) {
      auto it = std::find_if(node->children.begin(), node->children.end(), [&](const Tree& t) {
        return t.name == part;
      });
      if (it == node->children.end()) it = node->children.insert(it, Tree{part, -1, {}});
      node = &*it;
    }
    node->key = static_cast<int>(k);
  }
  std::ostringstream out;
  write_tree(root, values_, 0, out);
  return out.str();
}

bool Config::operator==(const Config& other) const {
  const auto& a = schema_->keys();
  const auto& b = other.schema_->keys();
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i].name != b[i].name || a[i].type != b[i].type) return false;
  }
  return values_ == other.values_;
}

}  // namespace hnet::io
