#include "hnet/ghn/architecture_space.h"

#include <nlohmann/json.hpp>

#include "hnet/errors.h"
#include "layer_list.h"

namespace hnet {
namespace {

using ghn_detail::conv_layer;
using ghn_detail::LayerList;
using ghn_detail::linear_layer;

void check_list(const std::vector<int64_t>& values, const char* name) {
  HNET_CHECK_INPUT(!values.empty(), "architecture space: '", name, "' is empty");
  for (int64_t v : values) {
    HNET_CHECK_INPUT(v > 0, "architecture space: '", name, "' values must be > 0, got ", v);
  }
}

}  // namespace

ArchitectureSampler::ArchitectureSampler(ArchSpaceOptions options, uint64_t seed)
    : options_(std::move(options)), rng_(seed) {
  check_list(options_.widths(), "widths");
  check_list(options_.kernels(), "kernels");
  check_list(options_.hidden(), "hidden");
  HNET_CHECK_INPUT(
      options_.min_stages() >= 1 && options_.min_stages() <= options_.max_stages(),
      "architecture space: stages must satisfy 1 <= min_stages <= max_stages, got ",
      options_.min_stages(), " and ", options_.max_stages());
  HNET_CHECK_INPUT(
      options_.max_stages() <= 4,
      "architecture space: at most 4 stages fit a 28x28 image (each halves it), got ",
      options_.max_stages());
  HNET_CHECK_INPUT(
      options_.max_blocks() >= 0, "architecture space: 'max_blocks' must be >= 0, got ",
      options_.max_blocks());
  HNET_CHECK_INPUT(
      options_.mlp_fraction() >= 0 && options_.mlp_fraction() <= 1,
      "architecture space: 'mlp_fraction' must be in [0, 1], got ", options_.mlp_fraction());
}

int64_t ArchitectureSampler::fitting_kernel(int64_t size) {
  const int64_t k = pick(options_.kernels());
  // A window no larger than the image: the largest odd size that fits.
  return k <= size ? k : std::max<int64_t>(1, size % 2 == 1 ? size : size - 1);
}

int64_t ArchitectureSampler::pick(const std::vector<int64_t>& values) {
  return values[std::uniform_int_distribution<size_t>(0, values.size() - 1)(rng_)];
}

Architecture ArchitectureSampler::mlp() {
  Architecture arch;
  LayerList layers(arch);
  layers.add("flatten");
  const int64_t depth =
      std::uniform_int_distribution<int64_t>(options_.min_stages(), options_.max_stages())(rng_);
  const std::string act = std::bernoulli_distribution(0.5)(rng_) ? "relu" : "tanh";
  for (int64_t i = 0; i < depth; ++i) {
    layers.add(linear_layer(pick(options_.hidden())));
    layers.add(act);
  }
  layers.add(linear_layer(arch.classes));
  return arch;
}

Architecture ArchitectureSampler::conv_net() {
  Architecture arch;
  LayerList layers(arch);
  auto coin = [&](double p) { return std::bernoulli_distribution(p)(rng_); };
  const bool norm = coin(0.5);
  const std::string act = coin(0.7) ? "relu" : "gelu";
  // conv, then batch norm (when on), then the activation unless a sum follows.
  auto unit = [&](int64_t width, int64_t kernel, bool activate, std::vector<std::string> in = {}) {
    layers.add(conv_layer(width, kernel, !norm), std::move(in));
    if (norm) layers.add("batch_norm");
    if (activate) layers.add(act);
    return layers.last();
  };
  const int64_t stages =
      std::uniform_int_distribution<int64_t>(options_.min_stages(), options_.max_stages())(rng_);
  int64_t size = 28;
  int64_t channels = 1;
  for (int64_t s = 0; s < stages; ++s) {
    channels = pick(options_.widths());
    std::string h = unit(channels, fitting_kernel(size), true);
    const int64_t blocks = std::uniform_int_distribution<int64_t>(0, options_.max_blocks())(rng_);
    for (int64_t b = 0; b < blocks; ++b) {
      const int64_t k = fitting_kernel(size);
      unit(channels, k, true);
      const std::string branch = unit(channels, k, false);
      ArchLayer sum;
      sum.op = "sum";
      layers.add(sum, {branch, h});
      h = layers.add(act);
    }
    if (size >= 4) {
      ArchLayer pool;
      pool.op = coin(0.7) ? "max_pool" : "avg_pool";
      pool.kernel = 2;
      layers.add(pool);
      size /= 2;
    }
  }
  // A flatten head only while it stays small; a global pool otherwise.
  layers.add(channels * size * size <= 2048 && coin(0.5) ? "flatten" : "global_avg_pool");
  if (coin(0.5)) {
    layers.add(linear_layer(pick(options_.hidden())));
    layers.add(act);
  }
  layers.add(linear_layer(arch.classes));
  return arch;
}

Architecture ArchitectureSampler::next(const std::set<std::string>& excluded) {
  constexpr int kTries = 10000;
  for (int t = 0; t < kTries; ++t) {
    Architecture arch =
        std::bernoulli_distribution(options_.mlp_fraction())(rng_) ? mlp() : conv_net();
    check_architecture(arch, "sampled architecture");  // a bug of the sampler otherwise
    if (!excluded.count(architecture_key(arch))) return arch;
  }
  HNET_CHECK_INPUT(
      false, "architecture space: ", kTries,
      " draws in a row were all excluded; the space is too small for the sets asked of it");
  return {};
}

std::string architecture_key(const Architecture& arch) {
  return architecture_to_json(arch).dump();
}

std::vector<Architecture> sample_architectures(
    const ArchSpaceOptions& options, uint64_t seed, size_t count,
    const std::set<std::string>& excluded) {
  ArchitectureSampler sampler(options, seed);
  std::set<std::string> taken = excluded;
  std::vector<Architecture> out;
  while (out.size() < count) {
    out.push_back(sampler.next(taken));
    taken.insert(architecture_key(out.back()));
  }
  return out;
}

}  // namespace hnet
