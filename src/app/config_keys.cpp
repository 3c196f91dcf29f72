#include "hnet/app/config_keys.h"

#include <torch/utils.h>

#include <thread>

#include "hnet/data/fashion_mnist.h"

namespace hnet {

using io::ValueType;

io::ConfigKey config_key(
    std::string name, ValueType type, std::string default_value, std::string help,
    c10::optional<double> min, bool min_exclusive, std::vector<std::string> choices) {
  io::ConfigKey k;
  k.name = std::move(name);
  k.type = type;
  k.default_value = std::move(default_value);
  k.help = std::move(help);
  k.min = min;
  k.min_exclusive = min_exclusive;
  k.choices = std::move(choices);
  return k;
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
