#pragma once
// What every fuzz target asserts about errors: bad input is reported as
// c10::ValueError (exit 2 in the CLI); any other exception type escaping a
// reader (a std::out_of_range from a JSON number, a filesystem_error, a
// c10::Error that is not a ValueError) is a finding, reported by aborting.

#include <c10/util/Exception.h>

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <typeinfo>

namespace hnet::fuzz {

/// Runs `body`; returns normally when it succeeds or throws c10::ValueError,
/// aborts (printing the type and message) on any other exception.
template <typename Body>
void expect_only_input_errors(Body body) {
  try {
    body();
  } catch (const c10::ValueError&) {
    // Bad input, reported as such.
  } catch (const std::exception& e) {
    std::fprintf(stderr, "not an input error: %s: %.500s\n", typeid(e).name(), e.what());
    std::abort();
  } catch (...) {
    std::fprintf(stderr, "not an input error: an exception of unknown type\n");
    std::abort();
  }
}

}  // namespace hnet::fuzz
