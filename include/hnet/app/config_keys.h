#pragma once
/// \file
/// Small helpers shared by the experiments' configuration schemas.

#include <string>

#include "hnet/io/config.h"
#include "hnet/io/config_choice.h"

namespace hnet {

/// Upper bounds of the experiments' configuration keys: no value a file
/// states can make a run allocate or loop without bound (README,
/// Reliability, lists them).
constexpr int64_t kMaxWidth = 65536;             ///< a layer, embedding or rank
constexpr int64_t kMaxChunk = int64_t{1} << 24;  ///< generator.chunk_size
constexpr int64_t kMaxSteps = 100000000;         ///< steps of any training loop
constexpr int64_t kMaxBatch = int64_t{1} << 20;  ///< any batch size
constexpr int64_t kMaxThreads = 1024;
constexpr int64_t kMaxTasks = 1000;
constexpr int64_t kMaxCount = 1000000000;  ///< image counts, log intervals
/// The default of `limits.max_parameters`: 1e8 float parameters (0.4 GB,
/// about 1.6 GB with Adam's moments and the gradients).
constexpr int64_t kDefaultMaxParameters = 100000000;
/// The largest value `limits.max_parameters` accepts.
constexpr int64_t kMaxParametersLimit = 1000000000000;

/// The values of `optimizer.schedule`: the learning rate held constant, or
/// decayed along a cosine.
enum class LrSchedule { kConstant, kCosine };
/// Their names: constant, cosine.
const io::ChoiceTable<LrSchedule>& lr_schedules();

/// The keys every experiment reads, in this order: seed, threads (default
/// `default_threads`; 0 means every core), limits.max_parameters, data.root,
/// data.train_limit, data.test_limit.
void add_common_keys(io::ConfigSchema& schema, int64_t default_threads);

/// The keys of how a run reports, added last: log.every, eval.batch_size.
void add_reporting_keys(io::ConfigSchema& schema);

/// Throws c10::ValueError when a run that would hold `planned` parameters
/// (`what` says which) exceeds `limits.max_parameters` of `config`. Called
/// before anything of that size is allocated.
void check_parameter_budget(const io::Config& config, int64_t planned, const std::string& what);

/// `data.root` of `config`, or the default data folder when it is empty
/// (HNET_DATA, then Debian's dataset-fashion-mnist).
std::string data_root(const io::Config& config);

/// Sets LibTorch's intra-op threads: `threads`, or every core when 0.
void set_thread_count(int64_t threads);

}  // namespace hnet
