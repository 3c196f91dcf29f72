// Writing a config as YAML that reads back equal: numbers in their shortest
// exact form, strings quoted where a reader would take them otherwise.

#include <c10/util/StringUtil.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <sstream>

#include "config_internal.h"

namespace hnet::io {
namespace detail {
namespace {

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

std::string format_double(double value) {
  char buffer[32];
  auto result = std::to_chars(buffer, buffer + sizeof(buffer), value);
  return std::string(buffer, result.ptr);
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

}  // namespace detail

std::string Config::to_yaml() const {
  detail::Tree root;
  const auto& keys = impl_->schema.keys();
  for (size_t k = 0; k < keys.size(); ++k) {
    detail::Tree* node = &root;
    std::istringstream parts(keys[k].name());
    std::string part;
    while (std::getline(parts, part, '.')) {
      auto it = std::find_if(node->children.begin(), node->children.end(), [&](const auto& t) {
        return t.name == part;
      });
      if (it == node->children.end()) it = node->children.insert(it, detail::Tree{part, -1, {}});
      node = &*it;
    }
    node->key = static_cast<int>(k);
  }
  std::ostringstream out;
  detail::write_tree(root, impl_->values, 0, out);
  return out.str();
}

}  // namespace hnet::io
