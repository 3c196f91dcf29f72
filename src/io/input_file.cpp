#include "hnet/io/input_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "hnet/errors.h"
#include "hnet/io/file_safety.h"

namespace hnet::io {

InputFile::InputFile(const std::string& path) : path_(path) {
  // O_NONBLOCK: opening a FIFO with no writer would otherwise wait forever
  // before the regular-file check below could reject it.
  fd_ = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  HNET_CHECK_INPUT(fd_ >= 0, clipped(path), ": cannot open: ", std::strerror(errno));
  struct stat info {};
  const bool stat_ok = ::fstat(fd_, &info) == 0;
  const int err = errno;
  if (!stat_ok || !S_ISREG(info.st_mode)) {
    ::close(fd_);
    HNET_CHECK_INPUT(stat_ok, clipped(path), ": cannot stat: ", std::strerror(err));
    HNET_CHECK_INPUT(false, clipped(path), ": not a regular file");
  }
  size_ = static_cast<uint64_t>(info.st_size);
}

InputFile::~InputFile() {
  ::close(fd_);
}

void InputFile::read_at(uint64_t offset, char* out, size_t n) const {
  while (n > 0) {
    const ssize_t got = ::pread(fd_, out, n, static_cast<off_t>(offset));
    if (got < 0 && errno == EINTR) continue;
    HNET_CHECK_INPUT(got >= 0, clipped(path_), ": read error: ", std::strerror(errno));
    HNET_CHECK_INPUT(
        got > 0, clipped(path_), ": the file ended at byte ", offset,
        ", before the bytes its header promised (did it change while being read?)");
    out += got;
    offset += static_cast<uint64_t>(got);
    n -= static_cast<size_t>(got);
  }
}

}  // namespace hnet::io
