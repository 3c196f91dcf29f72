#pragma once
/// \file
/// The run folder every experiment writes into: checks before a run starts,
/// the metrics log, and cutting a file back when a run resumes.

#include <cstdint>
#include <fstream>
#include <string>

namespace hnet {

/// Checks that `dir` can take a new run: not empty, and no `marker` file (the
/// file a started run leaves, e.g. its checkpoint) in it. c10::ValueError
/// naming the folder otherwise.
void check_new_run_folder(const std::string& dir, const std::string& marker);

/// Creates `dir` (and its parents) when missing; c10::ValueError naming it
/// when that fails.
void create_run_folder(const std::string& dir);

/// Opens the metrics log at `path`, appending or starting it empty; throws
/// naming the file when it cannot be opened.
std::ofstream open_metrics(const std::string& path, bool append);

/// Cuts the file at `path` back to `bytes` when it is longer (a resumed run
/// drops the lines of the part it repeats); nothing when it is missing,
/// shorter, or `bytes` < 0.
void cut_file(const std::string& path, int64_t bytes);

}  // namespace hnet
