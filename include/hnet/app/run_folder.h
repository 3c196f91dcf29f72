#pragma once
/// \file
/// The run folder every experiment writes into: checks before a run starts,
/// the metrics log, and cutting a file back when a run resumes.
///
/// Files a run writes in place (the metrics log, and the cut on resume) are
/// opened without following links and must be regular files of this user: a
/// symbolic link, device or FIFO planted in a reused folder is bad input, and
/// its target is never written. Every other file goes through
/// `write_file_atomic`, whose rename replaces a link rather than its target.

#include <cstdint>
#include <string>
#include <vector>

#include "hnet/io/config.h"

namespace hnet {

/// Checks that `dir` can take a new run: not empty, and no `marker` file (the
/// file a started run leaves, e.g. its checkpoint) in it. c10::ValueError
/// naming the folder otherwise.
void check_new_run_folder(const std::string& dir, const std::string& marker);

/// Checks that none of `files` (names in `dir`) is one of `inputs` (after
/// resolving links): a run must not overwrite what it read. c10::ValueError
/// naming both otherwise.
void check_run_keeps_inputs(
    const std::string& dir, const std::vector<std::string>& files,
    const std::vector<std::string>& inputs);

/// Creates `dir` (and its parents) when missing; c10::ValueError naming it
/// when that fails.
void create_run_folder(const std::string& dir);

/// True when `dir` holds a run (its config.yaml, resolved with `schema`) of
/// `config`; false when it holds none. c10::ValueError naming the folder and
/// the first differing key when it holds a run of another configuration.
bool folder_holds_config(
    const std::string& dir, const io::Config& config, const io::ConfigSchema& schema);

/// The metrics log of a run: one JSON object per line, each line written
/// whole by one `write` (a killed run leaves whole lines; `tail -f` sees
/// them as they come).
class MetricsLog {
 public:
  /// Opens `path`, appending or starting it empty (see the file comment for
  /// what is refused).
  MetricsLog(const std::string& path, bool append);
  ~MetricsLog();
  MetricsLog(const MetricsLog&) = delete;
  MetricsLog& operator=(const MetricsLog&) = delete;

  /// Appends `line` and a newline; throws naming the file when the write fails.
  void write_line(const std::string& line);
  /// Bytes in the log now.
  int64_t size() const;

 private:
  std::string path_;
  int fd_ = -1;
};

/// Cuts the file at `path` back to `bytes` when it is longer (a resumed run
/// drops the lines of the part it repeats); nothing when it is missing,
/// shorter, or `bytes` < 0. A link or other non-regular file is refused as
/// MetricsLog refuses it.
void cut_file(const std::string& path, int64_t bytes);

}  // namespace hnet
