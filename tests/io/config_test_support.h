#pragma once
// Shared by tests/io/config_test.cpp and config_schema_test.cpp: a schema
// holding every value type and rule, and matchers telling bad input
// (c10::ValueError) from mistakes in code (plain c10::Error).

#include <c10/util/Exception.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <functional>
#include <string>

#include "hnet/io/config.h"

namespace hnet::test {

// EXPECT that the statement throws a c10::ValueError (bad input: the file or
// an override) whose message contains `substring`.
#define EXPECT_INPUT_ERROR(substring, ...) \
  EXPECT_THAT(                             \
      [&] { __VA_ARGS__; },                \
      ::testing::ThrowsMessage<c10::ValueError>(::testing::HasSubstr(substring)))

// The message of a plain c10::Error (a mistake in code: a schema, a getter)
// thrown by `fn`; a c10::ValueError or no error gives a text saying so.
inline std::string code_error(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const c10::ValueError&) {
    return "(threw c10::ValueError, meant for bad input)";
  } catch (const c10::Error& e) {
    return e.what_without_backtrace();
  }
  return "(no error)";
}

// EXPECT that the statement throws a plain c10::Error containing `substring`.
#define EXPECT_CODE_ERROR(substring, ...) \
  EXPECT_THAT(::hnet::test::code_error([&] { __VA_ARGS__; }), ::testing::HasSubstr(substring))

inline io::ConfigSchema test_schema() {
  io::ConfigSchema s;
  s.add(io::ConfigKey::integer("seed", 0).help("random seed"));
  s.add(io::ConfigKey::integer("epochs", 10).min(1).help("passes over the data"));
  s.add(io::ConfigKey::real("optimizer.lr", 1e-4).greater_than(0).help("Adam step size"));
  s.add(io::ConfigKey::real("optimizer.weight_decay", 0).min(0).help("L2 penalty"));
  s.add(io::ConfigKey::text("data.split", "split").choices({"split", "permuted"}));
  s.add(io::ConfigKey::text("data.name", "fashion_mnist").help("data set"));
  s.add(io::ConfigKey::int_list("model.target.hidden", {400, 400}).min(1).help("widths"));
  s.add(io::ConfigKey::boolean("model.generator.chunked", true).help("chunk the output"));
  return s;
}

}  // namespace hnet::test
