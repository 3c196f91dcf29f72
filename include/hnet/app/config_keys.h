#pragma once
/// \file
/// Small helpers shared by the experiments' configuration schemas.

#include <c10/util/Optional.h>

#include <string>
#include <vector>

#include "hnet/io/config.h"

namespace hnet {

/// A schema key: name, type, default (YAML text), help, optional lower bound
/// (exclusive when `min_exclusive`) and string choices.
io::ConfigKey config_key(
    std::string name, io::ValueType type, std::string default_value, std::string help,
    c10::optional<double> min = c10::nullopt, bool min_exclusive = false,
    std::vector<std::string> choices = {});

/// `data.root` of `config`, or the default data folder when it is empty
/// (HNET_DATA, then Debian's dataset-fashion-mnist).
std::string data_root(const io::Config& config);

/// Sets LibTorch's intra-op threads: `threads`, or every core when 0.
void set_thread_count(int64_t threads);

}  // namespace hnet
