#pragma once
/// \file
/// Small helpers shared by the experiments' configuration schemas.

#include <string>

#include "hnet/io/config.h"

namespace hnet {

/// The keys every experiment reads, in this order: seed, threads (default
/// `default_threads`; 0 means every core), data.root, data.train_limit,
/// data.test_limit.
void add_common_keys(io::ConfigSchema& schema, int64_t default_threads);

/// `data.root` of `config`, or the default data folder when it is empty
/// (HNET_DATA, then Debian's dataset-fashion-mnist).
std::string data_root(const io::Config& config);

/// Sets LibTorch's intra-op threads: `threads`, or every core when 0.
void set_thread_count(int64_t threads);

}  // namespace hnet
