#include "support/test_support.h"

#include <algorithm>
#include <cstdlib>
#include <filesystem>

#include "hnet/generators/registry.h"
#include "hnet/io/safetensors.h"
#include "hnet/targets/conv_net.h"
#include "hnet/targets/mlp.h"
#include "hnet/targets/module_adapter.h"
#include "hnet/targets/res_net.h"
#include "hnet/targets/siren.h"

namespace hnet::test {

uint64_t seed_torch() {
  const int gtest_seed = ::testing::UnitTest::GetInstance()->random_seed();
  const uint64_t seed = gtest_seed == 0 ? 1 : static_cast<uint64_t>(gtest_seed);
  torch::manual_seed(seed);
  return seed;
}

std::string error_message(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const c10::Error& e) {
    return e.what_without_backtrace();
  }
  return "";
}

std::string safetensors_difference(
    const std::string& a_path, const std::string& b_path, double rtol, double atol) {
  const auto a = io::load_safetensors(a_path);
  const auto b = io::load_safetensors(b_path);
  if (a.tensors.size() != b.tensors.size()) {
    return std::to_string(a.tensors.size()) + " against " + std::to_string(b.tensors.size()) +
           " tensors";
  }
  for (size_t i = 0; i < a.tensors.size(); ++i) {
    const auto& [name, x] = a.tensors[i];
    if (name != b.tensors[i].first) return name + " against " + b.tensors[i].first;
    const auto u = x.to(torch::kDouble), v = b.tensors[i].second.to(torch::kDouble);
    if (!u.sizes().equals(v.sizes())) return name + ": shapes differ";
    if (!torch::allclose(u, v, rtol, atol)) {
      return name + " differs by " + std::to_string((u - v).abs().max().item<double>());
    }
  }
  return "";
}

std::string scratch_dir() {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  auto dir = std::filesystem::path(::testing::TempDir()) / "hnet_tests" /
             (std::string(info->test_suite_name()) + "." + info->name());
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir.string();
}

void ScratchDirTest::SetUp() {
  dir_ = scratch_dir();
}

void ScratchDirTest::TearDown() {
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

std::string ScratchDirTest::path(const std::string& name) const {
  return (dir_ / name).string();
}

std::vector<std::string> ScratchDirTest::listing() const {
  std::vector<std::string> names;
  for (const auto& e : std::filesystem::directory_iterator(dir_)) {
    names.push_back(e.path().filename());
  }
  std::sort(names.begin(), names.end());
  return names;
}

ScopedEnv::ScopedEnv(const char* name, const char* value) : name_(name) {
  if (const char* old = std::getenv(name)) old_ = old;
  value ? ::setenv(name, value, 1) : ::unsetenv(name);
}

ScopedEnv::~ScopedEnv() {
  old_ ? ::setenv(name_, old_->c_str(), 1) : ::unsetenv(name_);
}

std::vector<TargetCase> small_targets() {
  using torch::nn::BatchNorm2d;
  using torch::nn::Conv2d;
  using torch::nn::Conv2dOptions;
  using torch::nn::Linear;
  return {
      {"Mlp",
       [] {
         return Mlp(MlpOptions({6, 5, 3}).activation(Activation::kTanh)).ptr();
       },
       [](int64_t n) {
         return torch::randn({n, 6});
       }},
      {"ConvNet",
       [] {
         return ConvNet(ConvNetOptions().image_size(16).channels({2, 3}).hidden(4).classes(3))
             .ptr();
       },
       [](int64_t n) {
         return torch::randn({n, 1, 16, 16});
       }},
      {"ConvNetBatchNorm",
       [] {
         return ConvNet(ConvNetOptions().image_size(16).channels({2, 3}).hidden(4).classes(3).norm(
                            Norm::kBatch))
             .ptr();
       },
       [](int64_t n) {
         return torch::randn({n, 1, 16, 16});
       }},
      {"PhmMlp",
       [] {
         return Mlp(MlpOptions({6, 4, 3}).activation(Activation::kTanh).phm(2)).ptr();
       },
       [](int64_t n) {
         return torch::randn({n, 6});
       }},
      {"PhmConvNet",
       [] {
         return ConvNet(
                    ConvNetOptions().image_size(16).channels({2, 4}).hidden(4).classes(3).phm(2))
             .ptr();
       },
       [](int64_t n) {
         return torch::randn({n, 1, 16, 16});
       }},
      {"ResNet", [] { return ResNet(ResNetOptions().depth(8).width(2).classes(3)).ptr(); },
       [](int64_t n) {
         return torch::randn({n, 1, 8, 8});
       }},
      {"Siren",
       [] {
         return Siren(SirenOptions({2, 5, 1}).first_omega(3).hidden_omega(3)).ptr();
       },
       [](int64_t n) {
         return torch::rand({n, 2}) * 2 - 1;
       }},
      {"ModuleAdapter",
       [] {
         return ModuleAdapter(torch::nn::Sequential(
                                  Conv2d(Conv2dOptions(1, 2, 3).padding(1)), BatchNorm2d(2),
                                  torch::nn::Tanh(), torch::nn::Flatten(), Linear(2 * 4 * 4, 3)))
             .ptr();
       },
       [](int64_t n) {
         return torch::randn({n, 1, 4, 4});
       }},
  };
}

std::vector<GeneratorCase> all_generators() {
  std::vector<GeneratorCase> cases;
  for (const auto& kind : generator_kinds()) {
    // Low rank 1 fits every small target (Siren's last layer is [1, 5]).
    cases.push_back({kind, [kind](auto spec, auto o) {
                       return make_generator(kind, spec, o, LowRankOptions(1));
                     }});
  }
  return cases;
}

data::TaskData blobs(int64_t task, int64_t n) {
  auto labels = torch::randint(2, {n}, torch::kLong);
  auto sign = labels.to(torch::kFloat).unsqueeze(1) * 2 - 1;
  auto direction = torch::zeros({6});
  direction[task % 6] = 1;
  return {torch::randn({n, 6}) * 0.5 + sign * direction * 1.5, labels, {}};
}

testing::GradcheckResult gradcheck_generator(
    const std::function<torch::Tensor()>& fn, const torch::Tensor& cond,
    WeightGenerator& generator) {
  std::vector<torch::Tensor> inputs{cond};
  std::vector<std::string> names{"condition"};
  for (const auto& p : generator.as_module().named_parameters()) {
    inputs.push_back(p.value());
    names.push_back(p.key());
  }
  return testing::gradcheck(fn, inputs, testing::GradcheckOptions().max_elements(8), names);
}

}  // namespace hnet::test
