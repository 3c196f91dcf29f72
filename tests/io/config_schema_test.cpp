#include <c10/util/Exception.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>

#include "config_test_support.h"
#include "hnet/io/config.h"

namespace hnet::io {
namespace {

using test::test_schema;

TEST(ConfigSchema, KeepsOrderAndKnowsSections) {
  const ConfigSchema s = test_schema();
  EXPECT_EQ(s.names().front(), "seed");
  EXPECT_EQ(s.names().back(), "model.generator.chunked");
  ASSERT_NE(s.find("optimizer.lr"), nullptr);
  EXPECT_TRUE(s.find("optimizer.lr")->min_exclusive());
  EXPECT_EQ(s.find("optimizer"), nullptr);
  EXPECT_TRUE(s.is_section("optimizer"));
  EXPECT_TRUE(s.is_section("model.generator"));
  EXPECT_FALSE(s.is_section("seed"));
  EXPECT_FALSE(s.is_section("model.generator.chunked"));
}

TEST(ConfigSchema, RejectsBadKeys) {
  ConfigSchema s = test_schema();
  EXPECT_CODE_ERROR(
      "ConfigSchema: key 'seed' is already present", s.add(ConfigKey::integer("seed", 1)));
  for (const char* name : {"", "a..b", "1a", "a.", "a b", "x.null"}) {
    EXPECT_CODE_ERROR(
        std::string("key name '") + name + "' must be dot-separated names",
        s.add(ConfigKey::integer(name, 1)));
  }
  EXPECT_CODE_ERROR(
      "key 'optimizer' is already a section of other keys",
      s.add(ConfigKey::integer("optimizer", 1)));
  EXPECT_CODE_ERROR(
      "key 'seed.low' would make key 'seed' a section", s.add(ConfigKey::integer("seed.low", 1)));
  EXPECT_CODE_ERROR(
      "key 'a.b.c.d.e.f.g.h.i' nests 9 levels deep",
      s.add(ConfigKey::integer("a.b.c.d.e.f.g.h.i", 1)));
  EXPECT_CODE_ERROR(
      "nests 9 levels deep (a list counts as one); the limit is 8",
      s.add(ConfigKey::int_list("a.b.c.d.e.f.g.h", {})));
  EXPECT_NO_THROW(s.add(ConfigKey::integer("a.b.c.d.e.f.g.h", 1)));
  EXPECT_EQ(s.names().size(), test_schema().names().size() + 1);
}

TEST(ConfigSchema, RejectsBadRules) {
  ConfigSchema s;
  EXPECT_CODE_ERROR(
      "key 'name' of type string has lower bound 0; bounds must be finite",
      s.add(ConfigKey::text("name", "x").min(0)));
  EXPECT_CODE_ERROR(
      "key 'flag' of type bool has upper bound 1; bounds must be finite",
      s.add(ConfigKey::boolean("flag", false).max(1)));
  EXPECT_CODE_ERROR(
      "key 'lr' of type float has lower bound inf", s.add(ConfigKey::real("lr", 1).min(INFINITY)));
  EXPECT_CODE_ERROR(
      "key 'lr' of type float has upper bound nan", s.add(ConfigKey::real("lr", 1).max(NAN)));
  EXPECT_CODE_ERROR(
      "key 'r' allows no value: in [1, 0]", s.add(ConfigKey::real("r", 0.5).min(1).max(0)));
  EXPECT_CODE_ERROR(
      "key 'w' allows no value: each in (1, 1]",
      s.add(ConfigKey::int_list("w", {}).greater_than(1).max(1)));
  EXPECT_CODE_ERROR(
      "key 'n' of type int has choices; only string keys can",
      s.add(ConfigKey::integer("n", 1).choices({"1"})));
  EXPECT_CODE_ERROR(
      "help of key 'n' must be one line, got 'two\nlines'",
      s.add(ConfigKey::integer("n", 1).help("two\nlines")));
  EXPECT_CODE_ERROR(
      "ConfigSchema: default of 'x': config key 'x' must be a finite number, got 'nan'",
      s.add(ConfigKey::real("x", NAN)));
  EXPECT_CODE_ERROR(
      "ConfigSchema: default of 'n': config key 'n' must be >= 1, got 0",
      s.add(ConfigKey::integer("n", 0).min(1)));
  EXPECT_CODE_ERROR(
      "ConfigSchema: default of 'f': config key 'f' must be <= 0.5, got 0.7",
      s.add(ConfigKey::real("f", 0.7).min(0).max(0.5)));
  EXPECT_CODE_ERROR(
      "config key 'w[1]' must be <= 4, got 5", s.add(ConfigKey::int_list("w", {4, 5}).max(4)));
  EXPECT_CODE_ERROR(
      "config key 's' must be one of a, b; got 'c'",
      s.add(ConfigKey::text("s", "c").choices({"a", "b"})));
  EXPECT_TRUE(s.names().empty());
}

TEST(ConfigKey, FactoriesKeepTypedDefaultsAndSettersKeepRules) {
  const ConfigKey lr = ConfigKey::real("optimizer.lr", 1e-3).greater_than(0).help("step size");
  EXPECT_EQ(lr.name(), "optimizer.lr");
  EXPECT_EQ(lr.type(), ValueType::kFloat);
  EXPECT_EQ(lr.default_text(), "0.001");
  EXPECT_EQ(lr.min(), c10::optional<double>(0.0));
  EXPECT_TRUE(lr.min_exclusive());
  EXPECT_FALSE(lr.max().has_value());
  EXPECT_EQ(lr.help(), "step size");
  const ConfigKey fraction = ConfigKey::real("val_fraction", 0.1).min(0).max(0.5);
  EXPECT_FALSE(fraction.min_exclusive());
  EXPECT_EQ(fraction.max(), c10::optional<double>(0.5));
  const ConfigKey method = ConfigKey::text("method", "hypercl").choices({"hypercl", "interval"});
  EXPECT_EQ(method.type(), ValueType::kString);
  EXPECT_EQ(method.choices(), (std::vector<std::string>{"hypercl", "interval"}));
  // Defaults are stored as the YAML to_yaml writes: text is quoted where needed.
  EXPECT_EQ(ConfigKey::integer("seed", -3).default_text(), "-3");
  EXPECT_EQ(ConfigKey::text("root", "").default_text(), "\"\"");
  EXPECT_EQ(ConfigKey::text("name", "true").default_text(), "\"true\"");
  EXPECT_EQ(ConfigKey::boolean("flag", false).default_text(), "false");
  EXPECT_EQ(ConfigKey::int_list("hidden", {400, 400}).default_text(), "[400, 400]");
  EXPECT_EQ(ConfigKey::int_list("none", {}).default_text(), "[]");

  ConfigSchema s;
  s.add(ConfigKey::integer("seed", -3));
  s.add(ConfigKey::real("optimizer.lr", 1e-3).greater_than(0));
  s.add(ConfigKey::text("data.root", ""));
  s.add(ConfigKey::text("data.name", "it's: \"odd\" #1"));
  s.add(ConfigKey::text("data.flag_text", "true"));
  s.add(ConfigKey::boolean("flag", true));
  s.add(ConfigKey::int_list("hidden", {400, 1}).min(1).max(400));
  const Config c = Config::resolve_text(s, "", "defaults", {});
  EXPECT_EQ(c.get_int("seed"), -3);
  EXPECT_EQ(c.get_float("optimizer.lr"), 1e-3);
  EXPECT_EQ(c.get_string("data.root"), "");
  EXPECT_EQ(c.get_string("data.name"), "it's: \"odd\" #1");
  EXPECT_EQ(c.get_string("data.flag_text"), "true");
  EXPECT_TRUE(c.get_bool("flag"));
  EXPECT_EQ(c.get_int_list("hidden"), (std::vector<int64_t>{400, 1}));
}

TEST(ConfigKey, RuleNamesEveryBound) {
  EXPECT_EQ(ConfigKey::integer("n", 1).rule(), "");
  EXPECT_EQ(ConfigKey::integer("n", 1).min(0).rule(), ">= 0");
  EXPECT_EQ(ConfigKey::real("x", 1).greater_than(0).rule(), "> 0");
  EXPECT_EQ(ConfigKey::real("x", 0.1).max(0.5).rule(), "<= 0.5");
  EXPECT_EQ(ConfigKey::real("x", 0.1).min(0).max(0.5).rule(), "in [0, 0.5]");
  EXPECT_EQ(ConfigKey::real("x", 0.1).greater_than(0).max(1).rule(), "in (0, 1]");
  EXPECT_EQ(ConfigKey::int_list("w", {}).min(1).rule(), "each >= 1");
  EXPECT_EQ(ConfigKey::int_list("w", {}).min(1).max(4).rule(), "each in [1, 4]");
  EXPECT_EQ(ConfigKey::text("s", "a").choices({"a", "b", "c"}).rule(), "one of a|b|c");
}

TEST(ConfigSchema, DescribeListsEveryKeyInOrderWithTypeDefaultRuleAndHelp) {
  ConfigSchema s = test_schema();
  s.add(ConfigKey::real("data.val_fraction", 0.1).min(0).max(0.5).help("held out"));
  EXPECT_EQ(
      s.describe(),
      "seed                     int       0              -                      random seed\n"
      "epochs                   int       10             >= 1                   passes over the "
      "data\n"
      "optimizer.lr             float     1e-04          > 0                    Adam step size\n"
      "optimizer.weight_decay   float     0              >= 0                   L2 penalty\n"
      "data.split               string    split          one of split|permuted\n"
      "data.name                string    fashion_mnist  -                      data set\n"
      "model.target.hidden      int list  [400, 400]     each >= 1              widths\n"
      "model.generator.chunked  bool      true           -                      chunk the output\n"
      "data.val_fraction        float     0.1            in [0, 0.5]            held out\n");
  EXPECT_EQ(ConfigSchema().describe(), "");
}

}  // namespace
}  // namespace hnet::io
