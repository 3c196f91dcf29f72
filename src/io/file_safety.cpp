#include "hnet/io/file_safety.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "hnet/errors.h"

namespace hnet::io {
namespace {

// The reason a call on `path` failed, for a message.
std::string reason(int err) {
  return std::strerror(err);
}

const char* kind_of(mode_t mode) {
  if (S_ISLNK(mode)) return "a symbolic link";
  if (S_ISDIR(mode)) return "a folder";
  if (S_ISCHR(mode) || S_ISBLK(mode)) return "a device";
  if (S_ISFIFO(mode)) return "a FIFO";
  if (S_ISSOCK(mode)) return "a socket";
  return "not a regular file";
}

}  // namespace

bool path_exists(const std::string& path) {
  struct stat info {};
  if (::lstat(path.c_str(), &info) == 0) return true;
  const int err = errno;
  HNET_CHECK_INPUT(
      err == ENOENT || err == ENOTDIR, clipped(path), ": cannot check it: ", reason(err));
  return false;
}

bool same_file(const std::string& a, const std::string& b) {
  struct stat sa {
  }, sb{};
  if (::stat(a.c_str(), &sa) != 0 || ::stat(b.c_str(), &sb) != 0) return false;
  return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

void check_output_is_not_input(const std::string& output, const std::vector<std::string>& inputs) {
  for (const auto& input : inputs) {
    HNET_CHECK_INPUT(
        !same_file(output, input), "the output ", clipped(output), " is the input ", clipped(input),
        " itself; choose another output");
  }
}

int open_run_file(const std::string& path, OpenMode mode) {
  // O_NONBLOCK: opening a FIFO must not wait for a reader before the check.
  int flags = O_WRONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK;
  if (mode != OpenMode::kExisting) flags |= O_CREAT;
  if (mode == OpenMode::kAppend) flags |= O_APPEND;
  const int fd = ::open(path.c_str(), flags, 0666);
  if (fd < 0) {
    const int err = errno;
    struct stat info {};
    HNET_CHECK_INPUT(
        !(err == ELOOP || err == ENXIO || err == EISDIR) || ::lstat(path.c_str(), &info) != 0,
        clipped(path), " is ", kind_of(info.st_mode),
        ", not a regular file hnet writes; remove it or choose another folder");
    HNET_CHECK_INPUT(false, clipped(path), ": cannot open it for writing: ", reason(err));
  }
  struct stat info {};
  const bool ok = ::fstat(fd, &info) == 0 && S_ISREG(info.st_mode) && info.st_uid == ::geteuid();
  if (!ok) {
    ::close(fd);
    HNET_CHECK_INPUT(
        !S_ISREG(info.st_mode), clipped(path), " belongs to another user (uid ", info.st_uid,
        "); hnet writes only its own files; remove it or choose another folder");
    HNET_CHECK_INPUT(
        false, clipped(path), " is ", kind_of(info.st_mode),
        ", not a regular file hnet writes; remove it or choose another folder");
  }
  if (mode == OpenMode::kTruncate && ::ftruncate(fd, 0) != 0) {
    const int err = errno;
    ::close(fd);
    TORCH_CHECK(false, clipped(path), ": cannot empty it: ", reason(err));
  }
  const int blocking = ::fcntl(fd, F_GETFL) & ~O_NONBLOCK;
  (void)::fcntl(fd, F_SETFL, blocking);
  return fd;
}

std::string clipped(const std::string& text, size_t max_chars) {
  if (text.size() <= max_chars) return text;
  return text.substr(0, max_chars) + "... (" + std::to_string(text.size()) + " bytes)";
}

std::string printable(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  char buf[8];
  for (size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    const auto next = i + 1 < text.size() ? static_cast<unsigned char>(text[i + 1]) : 0;
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c < 0x20 || c == 0x7f) {
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    } else if (c == 0xC2 && next >= 0x80 && next <= 0x9F) {
      // U+0080..U+009F: the C1 controls (CSI 0x9B starts escape sequences).
      std::snprintf(buf, sizeof buf, "\\u%04x", next);
      out += buf;
      ++i;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

}  // namespace hnet::io
