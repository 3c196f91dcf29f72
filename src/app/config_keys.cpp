#include "hnet/app/config_keys.h"

#include <torch/utils.h>

#include <thread>

#include "hnet/data/fashion_mnist.h"

namespace hnet {

void add_common_keys(io::ConfigSchema& s, int64_t default_threads) {
  using io::ConfigKey;
  s.add(ConfigKey::integer("seed", 1).min(0).help("random seed"));
  s.add(ConfigKey::integer("threads", default_threads)
            .min(0)
            .help("LibTorch threads (0: all cores)"));
  s.add(ConfigKey::text("data.root", "").help("folder of the Fashion-MNIST .gz files"));
  s.add(ConfigKey::integer("data.train_limit", 0)
            .min(0)
            .help("first n training images only (0: all)"));
  s.add(ConfigKey::integer("data.test_limit", 0).min(0).help("first n test images only (0: all)"));
}

std::string data_root(const io::Config& config) {
  const std::string root = config.get_string("data.root");
  return root.empty() ? data::default_data_root() : root;
}

void set_thread_count(int64_t threads) {
  torch::set_num_threads(
      threads > 0 ? static_cast<int>(threads)
                  : std::max(1, static_cast<int>(std::thread::hardware_concurrency())));
}

}  // namespace hnet
