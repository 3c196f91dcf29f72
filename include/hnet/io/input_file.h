#pragma once
/// \file
/// A regular file opened for reading, read at offsets: what the readers use
/// to look at a header before they trust the sizes it claims.

#include <cstddef>
#include <cstdint>
#include <string>

namespace hnet::io {

/// An open regular file. Errors are c10::ValueError naming the path.
class InputFile {
 public:
  /// Opens `path`.
  ///
  /// ensures: throws when `path` is missing, unreadable or not a regular file
  ///          (a FIFO is refused without waiting for a writer).
  explicit InputFile(const std::string& path);
  ~InputFile();
  InputFile(const InputFile&) = delete;
  InputFile& operator=(const InputFile&) = delete;

  const std::string& path() const {
    return path_;
  }
  /// The size the file had when opened.
  uint64_t size() const {
    return size_;
  }
  /// Reads exactly `n` bytes at `offset` into `out`; throws naming the file
  /// when it ends sooner (it shrank since it was opened) or a read fails.
  void read_at(uint64_t offset, char* out, size_t n) const;

 private:
  std::string path_;
  int fd_ = -1;
  uint64_t size_ = 0;
};

}  // namespace hnet::io
