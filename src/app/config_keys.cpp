#include "hnet/app/config_keys.h"

#include <torch/utils.h>

#include <thread>

#include "hnet/data/fashion_mnist.h"
#include "hnet/errors.h"

namespace hnet {

const io::ChoiceTable<LrSchedule>& lr_schedules() {
  static const io::ChoiceTable<LrSchedule> table{
      {"constant", LrSchedule::kConstant}, {"cosine", LrSchedule::kCosine}};
  return table;
}

void add_common_keys(io::ConfigSchema& s, int64_t default_threads) {
  using io::ConfigKey;
  s.add(ConfigKey::integer("seed", 1).min(0).help("random seed"));
  s.add(ConfigKey::integer("threads", default_threads)
            .min(0)
            .max(kMaxThreads)
            .help("LibTorch threads (0: all cores)"));
  s.add(ConfigKey::integer("limits.max_parameters", kDefaultMaxParameters)
            .min(1)
            .max(static_cast<double>(kMaxParametersLimit))
            .help("most parameters a run may build; raise it on a machine with the memory"));
  s.add(ConfigKey::text("data.root", "").help("folder of the Fashion-MNIST .gz files"));
  s.add(ConfigKey::integer("data.train_limit", 0)
            .min(0)
            .max(kMaxCount)
            .help("first n training images only (0: all)"));
  s.add(ConfigKey::integer("data.test_limit", 0)
            .min(0)
            .max(kMaxCount)
            .help("first n test images only (0: all)"));
}

void add_reporting_keys(io::ConfigSchema& s) {
  using io::ConfigKey;
  s.add(ConfigKey::integer("log.every", 100)
            .min(1)
            .max(kMaxSteps)
            .help("steps between metric lines"));
  s.add(ConfigKey::integer("eval.batch_size", 1000)
            .min(1)
            .max(kMaxBatch)
            .help("evaluation batch size"));
}

void check_parameter_budget(const io::Config& config, int64_t planned, const std::string& what) {
  const int64_t budget = config.get_int("limits.max_parameters");
  HNET_CHECK_INPUT(
      planned <= budget, "the run would build ", planned, " parameters (", what,
      "), more than config key 'limits.max_parameters' allows (", budget,
      "); shrink the model or raise the limit on a machine with the memory");
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
