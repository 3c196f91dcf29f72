#include "hnet/io/config.h"

#include <c10/util/Exception.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>

#include "config_test_support.h"
#include "hnet/io/config_choice.h"

namespace hnet::io {
namespace {

namespace fs = std::filesystem;
using test::test_schema;
using ::testing::HasSubstr;

Config from_text(const std::string& text, const std::vector<std::string>& overrides = {}) {
  return Config::resolve_text(test_schema(), text, "run.yaml", overrides);
}

class ConfigFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::path(::testing::TempDir()) /
           ("hnet_config_" + std::string(info->name()) + "_" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  std::string write(const std::string& name, const std::string& text) const {
    std::string path = (dir_ / name).string();
    std::ofstream(path, std::ios::binary) << text;
    return path;
  }
  fs::path dir_;
};

TEST(Config, DefaultsOnly) {
  for (const char* text : {"", "# nothing set\n", "---\n", "~"}) {
    SCOPED_TRACE(text);
    const Config c = from_text(text);
    EXPECT_EQ(c.get_int("seed"), 0);
    EXPECT_EQ(c.get_int("epochs"), 10);
    EXPECT_EQ(c.get_float("optimizer.lr"), 1e-4);
    EXPECT_EQ(c.get_float("optimizer.weight_decay"), 0.0);
    EXPECT_EQ(c.get_string("data.split"), "split");
    EXPECT_EQ(c.get_int_list("model.target.hidden"), (std::vector<int64_t>{400, 400}));
    EXPECT_TRUE(c.get_bool("model.generator.chunked"));
  }
}

TEST_F(ConfigFileTest, ReadsFileValues) {
  const std::string path = write(
      "run.yaml",
      "seed: -3  # comment\n"
      "optimizer:\n"
      "  lr: 3e-4\n"
      "  weight_decay: 2\n"  // an integer is a valid float
      "data: {split: permuted, name: \"my data\"}\n"
      "model.target.hidden:\n"  // dotted keys name the same key
      "  - 100\n"
      "  - +50\n"
      "model:\n"
      "  generator:\n"
      "    chunked: False\n");
  const Config c = Config::resolve(test_schema(), path, {});
  EXPECT_EQ(c.get_int("seed"), -3);
  EXPECT_EQ(c.get_int("epochs"), 10);
  EXPECT_EQ(c.get_float("optimizer.lr"), 3e-4);
  EXPECT_EQ(c.get_float("optimizer.weight_decay"), 2.0);
  EXPECT_EQ(c.get_string("data.split"), "permuted");
  EXPECT_EQ(c.get_string("data.name"), "my data");
  EXPECT_EQ(c.get_int_list("model.target.hidden"), (std::vector<int64_t>{100, 50}));
  EXPECT_FALSE(c.get_bool("model.generator.chunked"));
}

TEST_F(ConfigFileTest, OverridesBeatFileAndLaterOverridesWin) {
  const std::string path = write("run.yaml", "optimizer: {lr: 0.1}\nseed: 1\n");
  const Config c = Config::resolve(
      test_schema(), path,
      {"optimizer.lr=0.2", "seed=5", "optimizer.lr=0.3", "epochs=7", "model.target.hidden=[1, 2]",
       "data={split: permuted}", "data.name=it's", "model.generator.chunked=false"});
  EXPECT_EQ(c.get_float("optimizer.lr"), 0.3);
  EXPECT_EQ(c.get_int("seed"), 5);
  EXPECT_EQ(c.get_int("epochs"), 7);  // absent from the file
  EXPECT_EQ(c.get_int_list("model.target.hidden"), (std::vector<int64_t>{1, 2}));
  EXPECT_EQ(c.get_string("data.split"), "permuted");
  EXPECT_EQ(c.get_string("data.name"), "it's");
  EXPECT_FALSE(c.get_bool("model.generator.chunked"));
  EXPECT_EQ(
      from_text("", {"model.target.hidden=[]"}).get_int_list("model.target.hidden"),
      std::vector<int64_t>{});
}

TEST(Config, ToYamlIsNestedInSchemaOrder) {
  const Config c = from_text("seed: 7\noptimizer: {lr: 0.1}\n");
  EXPECT_EQ(
      c.to_yaml(),
      "seed: 7\n"
      "epochs: 10\n"
      "optimizer:\n"
      "  lr: 0.1\n"
      "  weight_decay: 0\n"
      "data:\n"
      "  split: split\n"
      "  name: fashion_mnist\n"
      "model:\n"
      "  target:\n"
      "    hidden: [400, 400]\n"
      "  generator:\n"
      "    chunked: true\n");
}

// `text` as a YAML double-quoted scalar.
std::string quoted(const std::string& text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') out += '\\';
    if (c == '\n') {
      out += "\\n";
    } else if (static_cast<unsigned char>(c) < 0x20) {
      out += "\\x0" + std::to_string(c);  // the control characters used below
    } else {
      out += c;
    }
  }
  return out + "\"";
}

TEST(Config, ToYamlRoundTrips) {
  ConfigSchema schema = test_schema();
  schema.add(ConfigKey::real("other.ratio", 0.5));
  schema.add(ConfigKey::integer("interleaved", 1));
  schema.add(ConfigKey::real("optimizer.momentum", 0.9));  // joins its section
  for (const char* name :
       {"plain_name", "true", "No", "3", "1e5", "", " padded ", "a: b", "#x", "-", "[x]",
        "quote \" back \\", "line\nbreak\x01\x07", "caf\xc3\xa9", "~", "null"}) {
    SCOPED_TRACE(name);
    const Config c = Config::resolve_text(
        schema,
        "optimizer: {lr: 1e-300}\nother.ratio: 0.30000000000000004\ndata: {name: " + quoted(name) +
            "}\n",
        "a.yaml", {"seed=-9223372036854775808"});
    ASSERT_EQ(c.get_string("data.name"), name);
    const std::string yaml = c.to_yaml();
    const Config back = Config::resolve_text(schema, yaml, "to_yaml", {});
    EXPECT_EQ(back, c) << yaml;
    EXPECT_THAT(yaml, HasSubstr("  weight_decay: 0\n  momentum: 0.9\ndata:\n"));  // grouped
    EXPECT_EQ(back.get_string("data.name"), name);
    EXPECT_EQ(back.get_float("optimizer.lr"), 1e-300);
    EXPECT_EQ(back.get_float("other.ratio"), 0.30000000000000004);
    EXPECT_EQ(back.get_int("seed"), INT64_MIN);
  }
  const Config a = from_text("");
  EXPECT_EQ(a, from_text(a.to_yaml()));
  EXPECT_NE(a, from_text("seed: 1"));
  EXPECT_NE(a, Config::resolve_text(schema, "", "x", {}));  // other keys
}

TEST_F(ConfigFileTest, RejectsUnreadableFiles) {
  const std::string missing = (dir_ / "missing.yaml").string();
  EXPECT_INPUT_ERROR(missing + ": cannot open", Config::resolve(test_schema(), missing, {}));
  EXPECT_INPUT_ERROR(
      dir_.string() + ": not a regular file", Config::resolve(test_schema(), dir_.string(), {}));
  const std::string big = write("big.yaml", "# " + std::string(1 << 20, 'x') + "\n");
  EXPECT_INPUT_ERROR(
      big + ": file is 1048579 bytes, more than the limit of 1048576 bytes",
      Config::resolve(test_schema(), big, {}));
  EXPECT_INPUT_ERROR(
      "run.yaml: text is 1048577 bytes, more than the limit of 1048576 bytes",
      from_text(std::string((1 << 20) + 1, ' ')));
}

TEST_F(ConfigFileTest, RejectsMalformedYaml) {
  const std::string path = write("bad.yaml", "seed: 1\nmodel.target.hidden: [1, 2\n");
  EXPECT_INPUT_ERROR(
      path + ": invalid YAML at line 3, column 1: end of sequence flow not found",
      Config::resolve(test_schema(), path, {}));
  EXPECT_INPUT_ERROR(
      "run.yaml: holds more than one YAML document (a '---' line, or a ',', ']' or '}' outside "
      "any list or map); expected one",
      from_text("seed: 1\n---\nseed: 2\n"));
  EXPECT_INPUT_ERROR(
      "run.yaml: top level must be a map of config keys, got a list at line 1",
      from_text("- seed\n"));
  EXPECT_INPUT_ERROR(
      "run.yaml: top level must be a map of config keys, got 'seed'", from_text("seed"));
  EXPECT_INPUT_ERROR(
      "run.yaml: keys must be names, got a list at line 1, column 1", from_text("[seed]: 1"));
}

TEST(Config, RejectsDeepNesting) {
  EXPECT_INPUT_ERROR(
      "run.yaml: nesting deeper than 8 levels at line 9, column 9",
      from_text("a:\n b:\n  c:\n   d:\n    e:\n     f:\n      g:\n       h:\n        i: 1\n"));
  // Hostile inputs stop at the first level too deep, before any recursion.
  for (const std::string& text :
       {std::string(10000, '['), std::string(10000, '{'), "x: " + std::string(100000, '[')}) {
    EXPECT_INPUT_ERROR("run.yaml: nesting deeper than 8 levels", from_text(text));
  }
  std::string dashes;
  for (int i = 0; i < 100000; ++i) dashes += "- ";
  EXPECT_INPUT_ERROR("nesting deeper than 8 levels", from_text(dashes + "x"));
  // The key's own segments count: 3 + 6 lists > 8.
  EXPECT_INPUT_ERROR(
      "override 'model.target.hidden=[[[[[[1]]]]]]': nesting deeper than 8 levels",
      from_text("", {"model.target.hidden=[[[[[[1]]]]]]"}));
}

TEST(Config, RejectsUnknownKeys) {
  EXPECT_INPUT_ERROR(
      "run.yaml: unknown key 'optimizer.lrr' (did you mean 'optimizer.lr'?) at line 3, "
      "column 3",
      from_text("seed: 1\noptimizer:\n  lrr: 0.1\n"));
  EXPECT_INPUT_ERROR(
      "run.yaml: unknown key 'optimzer' (did you mean 'optimizer'?)",
      from_text("optimzer: {lr: 0.1}"));
  EXPECT_INPUT_ERROR(
      "override 'optimizer.lrr=1': unknown key 'optimizer.lrr' (did you mean "
      "'optimizer.lr'?)",
      from_text("", {"optimizer.lrr=1"}));
  EXPECT_INPUT_ERROR(
      "override 'optimizer={lrr: 1}': unknown key 'optimizer.lrr'",
      from_text("", {"optimizer={lrr: 1}"}));
}

TEST(Config, RejectsMapsAndScalarsInTheWrongPlace) {
  EXPECT_INPUT_ERROR(
      "run.yaml: 'optimizer' is a section of keys (optimizer.lr, "
      "optimizer.weight_decay) and must be a map, got '3' at line 1, column 12",
      from_text("optimizer: 3\n"));
  EXPECT_INPUT_ERROR(
      "override 'model=[1]': 'model' is a section of keys (model.target.hidden, "
      "model.generator.chunked) and must be a map, got a list",
      from_text("", {"model=[1]"}));
  EXPECT_INPUT_ERROR(
      "config key 'optimizer.lr' must be a finite number, got a map at line 2",
      from_text("optimizer:\n  lr: {a: 1}\n"));
  EXPECT_INPUT_ERROR("config key 'seed' must be an integer, got a list", from_text("seed: [1]\n"));
  EXPECT_INPUT_ERROR(
      "config key 'model.target.hidden' must be a list of integers, got '3'",
      from_text("model: {target: {hidden: 3}}\n"));
  EXPECT_INPUT_ERROR(
      "config key 'data.name' must be a string, got a list", from_text("data: {name: [a]}\n"));
}

TEST(Config, RejectsValuesOfTheWrongType) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"seed: 1.5", "config key 'seed' must be an integer, got '1.5' at line 1, column 7"},
      {"seed: \"3\"", "config key 'seed' must be an integer, got the string \"3\""},
      {"seed: 0x10", "config key 'seed' must be an integer, got '0x10'"},
      {"seed: 99999999999999999999",
       "config key 'seed' must be an integer, got '99999999999999999999' (outside the 64-bit "
       "range)"},
      {"seed:", "config key 'seed' must be an integer, got no value"},
      {"optimizer.lr: .nan", "config key 'optimizer.lr' must be a finite number, got '.nan'"},
      {"optimizer.lr: -.inf", "config key 'optimizer.lr' must be a finite number, got '-.inf'"},
      {"optimizer.lr: inf", "config key 'optimizer.lr' must be a finite number, got 'inf'"},
      {"optimizer.lr: 1e999",
       "config key 'optimizer.lr' must be a finite number, got '1e999' (outside the double range)"},
      {"optimizer.lr: fast", "config key 'optimizer.lr' must be a finite number, got 'fast'"},
      {"optimizer.lr: !!str 1",
       "config key 'optimizer.lr' must be a finite number, got the string \"1\""},
      {"model.generator.chunked: yes",
       "config key 'model.generator.chunked' must be true or "
       "false, got 'yes' at line 1, column 26 (help: chunk the "
       "output)"},
      {"data.split: splt",
       "config key 'data.split' must be one of split, permuted; got 'splt' (did you mean "
       "'split'?)"},
      {"data.split: ~", "config key 'data.split' must be one of split, permuted; got no value"},
      {"data.name: null", "config key 'data.name' must be a string, got no value"},
      {"model.target.hidden: [400, x]",
       "config key 'model.target.hidden[1]' must be an integer, got 'x' at line 1, column 28"},
      {"model.target.hidden: [[1]]",
       "config key 'model.target.hidden[0]' must be an integer, got a list"},
  };
  for (const auto& [text, message] : cases) {
    EXPECT_INPUT_ERROR("run.yaml: " + message, from_text(text)) << text;
  }
}

TEST(Config, RejectsValuesOutOfBounds) {
  EXPECT_INPUT_ERROR(
      "run.yaml: config key 'optimizer.lr' must be > 0, got -0.1 at line 1, column 17 "
      "(help: Adam step size)",
      from_text("optimizer: {lr: -0.1}"));
  EXPECT_INPUT_ERROR(
      "override 'optimizer.lr=0': config key 'optimizer.lr' must be > 0, got 0 (help",
      from_text("", {"optimizer.lr=0"}));
  EXPECT_INPUT_ERROR(
      "config key 'optimizer.weight_decay' must be >= 0, got -1e-3",
      from_text("optimizer.weight_decay: -1e-3"));
  EXPECT_NO_THROW(from_text("optimizer.weight_decay: 0\nepochs: 1"));
  EXPECT_INPUT_ERROR("'epochs' must be >= 1, got 0", from_text("epochs: 0"));
  EXPECT_INPUT_ERROR(
      "config key 'model.target.hidden[1]' must be >= 1, got -2 (help: widths)",
      from_text("", {"model.target.hidden=[400, -2]"}));
}

TEST(Config, RejectsValuesAboveMax) {
  ConfigSchema s;
  s.add(ConfigKey::real("data.val_fraction", 0.1).min(0).max(0.5).help("held-out fraction"));
  s.add(ConfigKey::integer("n", 3).min(1).max(8));
  s.add(ConfigKey::int_list("widths", {1}).min(1).max(4).help("widths"));
  auto resolve = [&](const std::string& text, const std::vector<std::string>& overrides) {
    return Config::resolve_text(s, text, "run.yaml", overrides);
  };
  EXPECT_INPUT_ERROR(
      "run.yaml: config key 'data.val_fraction' must be <= 0.5, got 0.7 at line 1, column 20 "
      "(help: held-out fraction)",
      resolve("data.val_fraction: 0.7", {}));
  EXPECT_INPUT_ERROR(
      "override 'data.val_fraction=0.50000000000000011': config key 'data.val_fraction' must "
      "be <= 0.5, got 0.50000000000000011",
      resolve("", {"data.val_fraction=0.50000000000000011"}));
  EXPECT_INPUT_ERROR(
      "override 'data.val_fraction=-0.1': config key 'data.val_fraction' must be >= 0, got -0.1",
      resolve("", {"data.val_fraction=-0.1"}));
  EXPECT_INPUT_ERROR("override 'n=9': config key 'n' must be <= 8, got 9", resolve("", {"n=9"}));
  EXPECT_INPUT_ERROR(
      "run.yaml: config key 'widths[1]' must be <= 4, got 5 at line 1, column 13 (help: widths)",
      resolve("widths: [2, 5]", {}));
  // The bounds themselves are allowed.
  const Config c = resolve("data.val_fraction: 0.5\nn: 8\n", {"widths=[1, 4]"});
  EXPECT_EQ(c.get_float("data.val_fraction"), 0.5);
  EXPECT_EQ(c.get_int("n"), 8);
  EXPECT_EQ(c.get_int_list("widths"), (std::vector<int64_t>{1, 4}));
  EXPECT_EQ(resolve("", {"data.val_fraction=0", "n=1"}).get_float("data.val_fraction"), 0.0);
}

TEST(Config, RejectsMalformedOverrides) {
  for (const char* text : {"foo", "=1", ""}) {
    EXPECT_INPUT_ERROR(
        std::string("override '") + text + "' must look like key=value", from_text("", {text}));
  }
  EXPECT_INPUT_ERROR(
      "override 'seed=[1,': invalid YAML at line 1, column", from_text("", {"seed=[1,"}));
  EXPECT_INPUT_ERROR(
      "override 'seed=': config key 'seed' must be an integer, got no value",
      from_text("", {"seed="}));
  EXPECT_INPUT_ERROR("holds more than one YAML document", from_text("", {"seed=1\n---\n2"}));
  EXPECT_EQ(from_text("", {"data.name=a=b"}).get_string("data.name"), "a=b");
}

TEST(Config, RejectsDuplicateKeys) {
  EXPECT_INPUT_ERROR(
      "run.yaml: duplicate key 'seed' at line 3, column 1",
      from_text("seed: 1\nepochs: 2\nseed: 2\n"));
  EXPECT_INPUT_ERROR(
      "run.yaml: duplicate key 'optimizer.lr' at line 3, column 3",
      from_text("optimizer:\n  lr: 1\n  lr: 2\n"));
  EXPECT_INPUT_ERROR(
      "run.yaml: duplicate key 'optimizer' at line 2, column 1",
      from_text("optimizer: {lr: 1}\noptimizer: {weight_decay: 2}\n"));
  EXPECT_INPUT_ERROR(
      "run.yaml: duplicate key 'optimizer.lr' at line 2, column 1",
      from_text("optimizer: {lr: 1}\noptimizer.lr: 2\n"));
  EXPECT_INPUT_ERROR(
      "override 'data={name: a, name: b}': duplicate key 'data.name'",
      from_text("", {"data={name: a, name: b}"}));
}

TEST(Config, RejectsHostileYaml) {
  // A "billion laughs": aliases are never expanded, so it fails at once.
  std::string laughs = "model.target.hidden: [&a [1, 1, 1, 1, 1, 1, 1, 1]";
  for (char c = 'b'; c <= 'j'; ++c) {
    laughs += std::string(", &") + c + " [";
    for (int i = 0; i < 9; ++i) laughs += std::string(i ? ", *" : "*") + static_cast<char>(c - 1);
    laughs += "]";
  }
  EXPECT_INPUT_ERROR(
      "config key 'model.target.hidden[0]' must be an integer, got a list",
      from_text(laughs + "]"));
  EXPECT_INPUT_ERROR("run.yaml: invalid YAML", from_text("seed: *nowhere\n"));
  // Found by fuzz/fuzz_config: yaml-cpp 0.7 loops forever on a top-level
  // scalar followed by ',' unless the reader stops counting documents.
  EXPECT_INPUT_ERROR("run.yaml: holds more than one YAML document", from_text("\"a\","));
  EXPECT_INPUT_ERROR("holds more than one YAML document", from_text("", {"data.name=\"a b\","}));
  EXPECT_INPUT_ERROR("run.yaml: invalid YAML", from_text("optimizer:\n\tlr: 1\n"));  // tab indent
  EXPECT_INPUT_ERROR("run.yaml: unknown key '<<'", from_text("<<: {seed: 1}\n"));  // no merge keys
  EXPECT_INPUT_ERROR(
      "config key 'seed' must be an integer, got '1' tagged tag:yaml.org,2002:python/object",
      from_text("seed: !!python/object 1\n"));
  EXPECT_INPUT_ERROR("run.yaml:", from_text(std::string("seed: 1\0\xff\xfe", 11)));
  EXPECT_INPUT_ERROR("run.yaml: keys must be names, got a map", from_text("{a: 1}: 2\n"));
  // A one-megabyte key: YAML's simple keys end at 1024 characters; as an
  // override it is rejected quickly (the suggestion compares its start only).
  const std::string long_key(1000000, 'x');
  EXPECT_INPUT_ERROR("run.yaml: invalid YAML at line 1", from_text(long_key + ": 1\n"));
  EXPECT_INPUT_ERROR("unknown key 'xxxx", from_text("", {long_key + "=1"}));
}

TEST(Config, RejectsBadNumbersWhereBoundsApply) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"epochs=-1", "config key 'epochs' must be >= 1, got -1"},
      {"epochs=0x10", "config key 'epochs' must be an integer, got '0x10'"},
      {"epochs=1_000", "config key 'epochs' must be an integer, got '1_000'"},
      {"optimizer.lr=-0.0", "config key 'optimizer.lr' must be > 0, got -0.0"},
      {"optimizer.lr=1e-400", "config key 'optimizer.lr' must be a finite number, got '1e-400'"},
      {"optimizer.lr=.NaN", "config key 'optimizer.lr' must be a finite number, got '.NaN'"},
      {"optimizer.lr=NaN", "config key 'optimizer.lr' must be a finite number, got 'NaN'"},
      {"optimizer.lr=+.inf", "config key 'optimizer.lr' must be a finite number, got '+.inf'"},
      {"optimizer.weight_decay=-1e-300",
       "config key 'optimizer.weight_decay' must be >= 0, got -1e-300"},
      {"model.target.hidden=[1, -0]", "config key 'model.target.hidden[1]' must be >= 1, got -0"},
      {"model.target.hidden=[9223372036854775808]",
       "config key 'model.target.hidden[0]' must be an integer, got '9223372036854775808' "
       "(outside the 64-bit range)"},
      {"model.target.hidden=[1.0]",
       "config key 'model.target.hidden[0]' must be an integer, got '1.0'"},
      {"model.target.hidden={a: 1}",
       "config key 'model.target.hidden' must be a list of integers, got a map"},
  };
  for (const auto& [override_text, message] : cases) {
    SCOPED_TRACE(override_text);
    EXPECT_INPUT_ERROR(
        "override '" + override_text + "': " + message, from_text("", {override_text}));
  }
}

TEST_F(ConfigFileTest, BadInputIsAValueError) {
  const std::string missing = (dir_ / "missing.yaml").string();
  EXPECT_THROW(Config::resolve(test_schema(), missing, {}), c10::ValueError);
  EXPECT_THROW(Config::resolve(test_schema(), dir_.string(), {}), c10::ValueError);
  EXPECT_THROW(from_text("seed: [1\n"), c10::ValueError);            // bad YAML
  EXPECT_THROW(from_text("sed: 1\n"), c10::ValueError);              // unknown key
  EXPECT_THROW(from_text("seed: 1.5\n"), c10::ValueError);           // bad type
  EXPECT_THROW(from_text("epochs: 0\n"), c10::ValueError);           // below min
  EXPECT_THROW(from_text("data.split: splt\n"), c10::ValueError);    // not in choices
  EXPECT_THROW(from_text("seed: 1\nseed: 2\n"), c10::ValueError);    // duplicate
  EXPECT_THROW(from_text("", {"seed"}), c10::ValueError);            // bad override
  EXPECT_THROW(from_text("", {"sed=1"}), c10::ValueError);           // unknown override key
  EXPECT_THROW(from_text("", {"optimizer.lr=0"}), c10::ValueError);  // override out of bounds
  ConfigSchema s;
  s.add(ConfigKey::real("f", 0.1).max(0.5));
  EXPECT_THROW(Config::resolve_text(s, "f: 1", "x", {}), c10::ValueError);  // above max
  // Mistakes in code are plain c10::Errors, not bad input.
  EXPECT_CODE_ERROR("default of 'g'", s.add(ConfigKey::real("g", 0.7).max(0.5)));
  EXPECT_CODE_ERROR("has type int, not float", from_text("").get_float("seed"));
}

TEST(Config, GettersCheckNameAndType) {
  const Config c = from_text("");
  EXPECT_CODE_ERROR(
      "Config::get_int: no key 'sed' in the schema (did you mean 'seed'?)", c.get_int("sed"));
  EXPECT_CODE_ERROR("Config::get_float: key 'seed' has type int, not float", c.get_float("seed"));
  EXPECT_CODE_ERROR(
      "Config::get_int: key 'optimizer.lr' has type float, not int", c.get_int("optimizer.lr"));
  EXPECT_CODE_ERROR("Config::get_string: key 'seed' has type int", c.get_string("seed"));
  EXPECT_CODE_ERROR(
      "Config::get_bool: key 'data.name' has type string, not bool", c.get_bool("data.name"));
  EXPECT_CODE_ERROR(
      "Config::get_int_list: key 'seed' has type int, not int list", c.get_int_list("seed"));
}

TEST(Config, WithOverridesAppliesThemOnACopy) {
  const Config base = from_text("seed: 4\n");
  const Config changed = base.with_overrides({"optimizer.lr=0.5", "epochs=3"});
  EXPECT_EQ(changed.get_float("optimizer.lr"), 0.5);
  EXPECT_EQ(changed.get_int("epochs"), 3);
  EXPECT_EQ(changed.get_int("seed"), 4);
  EXPECT_EQ(base.get_float("optimizer.lr"), 1e-4);  // the original is unchanged
  EXPECT_EQ(base.with_overrides({}), base);
  EXPECT_THROW(base.with_overrides({"epochs=0"}), c10::ValueError);
  EXPECT_THROW(base.with_overrides({"sed=1"}), c10::ValueError);
}

enum class Sequence { kSplit, kPermuted };

TEST(Config, ChoicesParseOnceIntoTheirEnum) {
  const ChoiceTable<Sequence> table{{"split", Sequence::kSplit}, {"permuted", Sequence::kPermuted}};
  ConfigSchema s;
  s.add(ConfigKey::text("data.sequence", "split").choices(choice_names(table)));
  s.add(ConfigKey::text("other", "split").choices({"split", "rotated"}));
  EXPECT_EQ(s.find("data.sequence")->choices(), (std::vector<std::string>{"split", "permuted"}));
  EXPECT_EQ(
      get_choice(Config::resolve_text(s, "", "x", {}), "data.sequence", table), Sequence::kSplit);
  const Config permuted = Config::resolve_text(s, "data.sequence: permuted", "x", {});
  EXPECT_EQ(get_choice(permuted, "data.sequence", table), Sequence::kPermuted);
  // A value the schema allows but the table lacks is a schema written apart
  // from its table: a programming error, not bad input.
  const Config rotated = Config::resolve_text(s, "other: rotated", "x", {});
  EXPECT_CODE_ERROR(
      "config key 'other': 'rotated' is not in its choice table",
      get_choice(rotated, "other", table));
}

}  // namespace
}  // namespace hnet::io
