#pragma once
/// \file
/// Whole-file reads and crash-safe whole-file writes.
///
/// `write_file_atomic` never leaves a half-written file at `path`: readers see
/// either the old contents or the new ones. Every failure is a `c10::Error`
/// whose message names the path and the operating-system reason.

#include <cstddef>
#include <functional>
#include <string>
#include <vector>

namespace hnet::io {

/// Replaces the file at `path` with `bytes`, atomically.
///
/// Writes to a temporary file next to `path` (`<path>.tmp.<pid>.<12 random
/// hex digits>`, created exclusively and never through a link, so another user
/// of a shared folder cannot plant or predict it; it gets the permissions of
/// the file it replaces, or 0666 less the umask), flushes it to disk with
/// `fsync`, then `rename`s it over `path`.
///
/// requires: the folder of `path` exists and is writable; `path` is not a
///           folder.
/// ensures:  on success `path` holds exactly `bytes`; on failure `path` is
///           untouched, the temporary file is removed, and a `c10::Error`
///           names `path` and `strerror(errno)`.
///
/// Example:
///   hnet::io::write_file_atomic("/tmp/run/model.safetensors", bytes);
void write_file_atomic(const std::string& path, const std::string& bytes);

/// The points of a `write_file_atomic` call an observer sees.
enum class WriteStage {
  kHalfWritten,  ///< half of the bytes are in the temporary file
  kCommitted,    ///< renamed over the path and synced
};
using WriteObserver = std::function<void(WriteStage, const std::string& path)>;

/// Calls `observer` (empty: none) at each stage of every later
/// `write_file_atomic` of this process. Nothing in hnet installs one; the
/// crash tests do, to end a process at an exact point of a write. Install
/// it before any writing starts (it is not synchronised).
void set_write_observer(WriteObserver observer);

/// Removes, from `folder`, the temporary files `<name>.tmp.<pid>.<random>`
/// that `write_file_atomic` calls of processes no longer running left behind
/// (a process killed mid-write cannot clean up), for the `names` given: the
/// files the caller writes there. Returns how many it removed.
///
/// ensures: removes only what hnet can tell is its own: a name of exactly that
///          form for one of `names`, a regular file (not a link), owned by
///          this user, with no other hard link, whose pid is not running
///          (a pid reused by a new process keeps its stale file: harmless);
///          a missing or unreadable folder removes nothing.
///
/// Example:
///   hnet::io::remove_stale_temporaries("/tmp/run", {"checkpoint.safetensors"});
int remove_stale_temporaries(const std::string& folder, const std::vector<std::string>& names);

/// Returns the whole contents of the regular file at `path`.
///
/// requires: `path` names a readable regular file of at most `max_bytes`.
/// ensures:  throws a `c10::Error` naming `path` if it is missing, not a
///           regular file, unreadable, or larger than `max_bytes` (the limit
///           is checked before anything of that size is allocated).
///
/// Example:
///   std::string text = hnet::io::read_file("config.json", 1 << 20);
std::string read_file(const std::string& path, size_t max_bytes);

}  // namespace hnet::io
