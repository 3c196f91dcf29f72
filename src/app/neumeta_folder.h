#pragma once
// A NeuMeta run in a folder of a multi-run command (--seeds, sweep): run it,
// or read back the summary it finished with. Internal to the app layer.

#include <nlohmann/json.hpp>
#include <string>

#include "hnet/app/neumeta_run.h"

namespace hnet {

/// The summary.json of the run of `config` in `dir`: read back (and checked
/// to be of this hnet: c10::ValueError naming the file otherwise) when the
/// folder holds a finished run, run otherwise. `holds_run` is what
/// folder_holds_config said of the folder, which the caller checks for every
/// folder before any runs.
nlohmann::json neumeta_run_in_folder(
    const io::Config& config, const std::string& dir, bool holds_run,
    const NeumetaRunOptions& options);

}  // namespace hnet
