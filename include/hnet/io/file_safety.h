#pragma once
/// \file
/// Checks on the paths a command reads and writes, so that a run never
/// writes through a symbolic link, never replaces one of its own inputs, and
/// reports every file-system error as bad input naming the path.

#include <string>
#include <vector>

namespace hnet::io {

/// Whether something (a file, folder or symbolic link, which is not followed)
/// is at `path`.
///
/// ensures: false when nothing is there (ENOENT, or a parent that is not a
///          folder); any other error (a name too long, a loop of links, no
///          permission) throws c10::ValueError naming `path` and the reason,
///          where std::filesystem would throw its own error type.
bool path_exists(const std::string& path);

/// A mkstemp / mkdtemp template "<$TMPDIR or /tmp>/<stem>_XXXXXX".
std::string temp_template(const std::string& stem);

/// Whether `a` and `b` name the same existing file, after resolving links
/// (same device and inode). False when either is missing.
bool same_file(const std::string& a, const std::string& b);

/// Throws c10::ValueError when `output` is the same file as one of `inputs`
/// (after resolving links): a command must not overwrite what it reads.
///
/// Example:
///   check_output_is_not_input("w.safetensors", {"run/checkpoint.safetensors"});
void check_output_is_not_input(const std::string& output, const std::vector<std::string>& inputs);

/// Checks, without opening it, that a run may write `path` in place: nothing
/// is there, or a regular file of this user with no other hard link.
/// c10::ValueError naming it otherwise (a run checks its metrics log before
/// it writes or trains anything).
void check_run_file(const std::string& path);

/// How `open_run_file` opens a file.
enum class OpenMode {
  kAppend,    ///< create when missing, write at the end
  kTruncate,  ///< create when missing, start empty
  kExisting,  ///< open for writing; the file must exist
};

/// Opens `path` for writing without following a symbolic link and returns
/// its descriptor (close-on-exec). Used for the files a run writes in place
/// (its metrics log) rather than through `write_file_atomic`.
///
/// ensures: when `path` is a symbolic link, a device, a FIFO, a folder, a
///          file of another user or a file with another hard link, throws
///          c10::ValueError naming it, and nothing is created, truncated or
///          written; the file is truncated only after that check.
int open_run_file(const std::string& path, OpenMode mode);

/// `text` cut to at most `max_chars` bytes (with "..." and the full length
/// appended when cut), for quoting a name a file supplies in a message.
std::string clipped(const std::string& text, size_t max_chars = 120);

/// `text` with every control character (C0, DEL, the C1 range, bidirectional
/// overrides and isolates), every byte that is not UTF-8, and backslash
/// written as an escape (`\n`, `\x1b`, `\u009b`, `\\`), so that a file's names
/// cannot move a terminal's cursor, reorder a line or fake one.
std::string printable(const std::string& text);

}  // namespace hnet::io
