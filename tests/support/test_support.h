#pragma once
// Helpers shared by the tests: reproducible seeding, message matchers, a
// per-test scratch folder and the small targets the sweeps run over.

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "hnet/data/task_sequence.h"
#include "hnet/generators/generator.h"
#include "hnet/targets/target.h"
#include "hnet/testing/gradcheck.h"

namespace hnet::test {

/// Seeds torch from gtest's --gtest_random_seed (0 when unset -> 1) and
/// returns the seed, so a failure can be re-run with the same numbers.
uint64_t seed_torch();

/// The message of a c10::Error thrown by `fn`, without backtrace ("" if none).
std::string error_message(const std::function<void()>& fn);

/// The first difference between two safetensors files' tensors (names in
/// order, shapes, values beyond allclose(rtol, atol)), or "" when none.
std::string safetensors_difference(
    const std::string& a, const std::string& b, double rtol = 1e-4, double atol = 1e-5);

/// A fresh empty folder for the running test.
std::string scratch_dir();

/// Fixture giving each test a fresh, empty folder `dir_`, removed afterwards.
class ScratchDirTest : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override;
  /// `name` inside the folder.
  std::string path(const std::string& name) const;
  /// Sorted names of the folder's entries.
  std::vector<std::string> listing() const;
  std::filesystem::path dir_;
};

/// Sets (or, with nullptr, unsets) an environment variable for one scope.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value);
  ~ScopedEnv();
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  const char* name_;
  std::optional<std::string> old_;
};

/// A small instance of every target, for sweeps over targets.
struct TargetCase {
  std::string name;
  std::function<std::shared_ptr<Target>()> make;
  std::function<torch::Tensor(int64_t n)> input;  // [n, ...] inputs
};
std::vector<TargetCase> small_targets();

/// Every generator kind (registry.h), built for a spec with the given
/// options (lowrank at rank 1).
struct GeneratorCase {
  std::string name;  ///< the kind
  std::function<std::shared_ptr<WeightGenerator>(std::shared_ptr<const Spec>, GeneratorOptions)>
      make;
};
std::vector<GeneratorCase> all_generators();

// Parameter names in test listings instead of byte dumps.
inline void PrintTo(const TargetCase& c, std::ostream* os) {
  *os << c.name;
}
inline void PrintTo(const GeneratorCase& c, std::ostream* os) {
  *os << c.name;
}

/// Two-class blobs in 6-D, a margin apart along axis `task % 6`: a task any
/// tiny continual learner should solve, whose axis changes with the task.
data::TaskData blobs(int64_t task, int64_t n);

/// Gradient check of `fn` (a target's output through weights from
/// `generator`) with respect to `cond` and every generator parameter, each
/// labelled by name; up to 8 elements per tensor.
testing::GradcheckResult gradcheck_generator(
    const std::function<torch::Tensor()>& fn, const torch::Tensor& cond,
    WeightGenerator& generator);

}  // namespace hnet::test

/// EXPECT that `stmt` throws c10::Error whose message contains `substring`.
#define EXPECT_THROW_WITH(stmt, substring) \
  EXPECT_THAT(::hnet::test::error_message([&] { stmt; }), ::testing::HasSubstr(substring))
