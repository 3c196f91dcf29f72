// Reading a config: YAML text (bounded in size and nesting) and key=value
// overrides, flattened to dotted key names and written into the values.

#include <c10/util/StringUtil.h>
#include <yaml-cpp/depthguard.h>
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include <sstream>
#include <unordered_set>

#include "config_internal.h"
#include "hnet/errors.h"

namespace hnet::io::detail {
namespace {

std::string location(const YAML::Mark& mark) {
  if (mark.is_null()) return "";
  return " at line " + std::to_string(mark.line + 1) + ", column " +
         std::to_string(mark.column + 1);
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
    HNET_CHECK_INPUT(
        depth_ <= kMaxDepth, src_.name, ": nesting deeper than ", kMaxDepth, " levels",
        location(mark));
  }
  const Source& src_;
  int depth_;
};

// Keys and sections, the candidates for "did you mean".
std::vector<std::string> keys_and_sections(const ConfigSchema& schema) {
  std::vector<std::string> out;
  for (const auto& name : schema.names()) {
    for (auto& section : sections_of(name)) out.push_back(std::move(section));
    out.push_back(name);
  }
  return out;
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
      HNET_CHECK_INPUT(
          seen_.insert(path).second, src_.name, ": duplicate key '", path, "'", at(src_, key_node));
      values_[static_cast<size_t>(key - schema_.keys().data())] = convert(*key, node, src_);
      return;
    }
    if (node.IsNull()) return;  // an empty file or section sets nothing
    HNET_CHECK_INPUT(
        node.IsMap() || !path.empty(), src_.name, ": top level must be a map of config keys, got ",
        describe_node(node), at(src_, node));
    HNET_CHECK_INPUT(
        node.IsMap(), src_.name, ": '", path, "' is a section of keys (", section_keys(path),
        ") and must be a map, got ", describe_node(node), at(src_, node));
    std::unordered_set<std::string> in_this_map;
    for (const auto& entry : node) {
      const YAML::Node& key = entry.first;
      HNET_CHECK_INPUT(
          key.IsScalar(), src_.name, ": keys must be names, got ", describe_node(key),
          at(src_, key));
      std::string child = path.empty() ? key.Scalar() : path + "." + key.Scalar();
      HNET_CHECK_INPUT(
          in_this_map.insert(key.Scalar()).second, src_.name, ": duplicate key '", child, "'",
          at(src_, key));
      HNET_CHECK_INPUT(
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

}  // namespace

std::string at(const Source& src, const YAML::Node& node) {
  return src.in_file ? location(node.Mark()) : "";
}

YAML::Node parse_document(const std::string& text, const Source& src, int start_depth) {
  HNET_CHECK_INPUT(
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
    HNET_CHECK_INPUT(
        documents <= 1, src.name,
        ": holds more than one YAML document (a '---' line, or a ',', ']' or '}' outside any "
        "list or map); expected one");
    return documents == 0 ? YAML::Node() : YAML::Load(text);
  } catch (const YAML::DeepRecursion& e) {
    // yaml-cpp's own guard (depth 2000) against stack exhaustion.
    HNET_CHECK_INPUT(
        false, src.name, ": nesting deeper than ", kMaxDepth, " levels", location(e.mark));
  } catch (const YAML::ParserException& e) {
    HNET_CHECK_INPUT(
        false, src.name, ": invalid YAML at line ", e.mark.line + 1, ", column ", e.mark.column + 1,
        ": ", e.msg);
  }
  return YAML::Node();  // not reached: every catch throws
}

void apply_file(
    const ConfigSchema& schema, std::vector<ConfigValue>& values, const std::string& text,
    const std::string& source) {
  const Source file{source, /*in_file=*/true};
  YAML::Node root = parse_document(text, file, 0);
  Applier(schema, values, file).apply(root, "", root);
}

void apply_override(
    const ConfigSchema& schema, std::vector<ConfigValue>& values, const std::string& text) {
  const Source src{"override '" + text + "'"};
  size_t eq = text.find('=');
  HNET_CHECK_INPUT(eq != std::string::npos && eq > 0, src.name, " must look like key=value");
  std::string key = text.substr(0, eq);
  HNET_CHECK_INPUT(
      schema.find(key) || schema.is_section(key), src.name, ": unknown key '", key, "'",
      suggestion(key, keys_and_sections(schema)));
  YAML::Node node = parse_document(text.substr(eq + 1), src, segments(key));
  Applier(schema, values, src).apply(node, key, node);
}

}  // namespace hnet::io::detail
