#include "hnet/io/file_safety.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "hnet/errors.h"
#include "utf8.h"

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

// Why a run must not write the file `info` describes ("" when it may): only
// a regular file of this user with no other hard link is hnet's own.
std::string unsafe_reason(const struct stat& info) {
  if (!S_ISREG(info.st_mode)) return std::string(kind_of(info.st_mode)) + ", not a regular file";
  if (info.st_uid != ::geteuid())
    return "a file of another user (uid " + std::to_string(info.st_uid) + ")";
  if (info.st_nlink != 1) return "a file with another hard link to it";
  return "";
}

void refuse(const std::string& path, const std::string& why) {
  HNET_CHECK_INPUT(
      why.empty(), clipped(path), " is ", why,
      "; hnet writes only its own files in a run folder: remove it or choose another folder");
}

// C1 controls (0x9B starts an escape sequence) and the bidirectional
// overrides and isolates, which reorder what a terminal shows.
bool hidden_control(uint32_t cp) {
  return (cp >= 0x80 && cp <= 0x9F) || (cp >= 0x202A && cp <= 0x202E) ||
         (cp >= 0x2066 && cp <= 0x2069);
}

}  // namespace

std::string temp_template(const std::string& stem) {
  const char* tmp = std::getenv("TMPDIR");
  return std::string(tmp && *tmp ? tmp : "/tmp") + "/" + stem + "_XXXXXX";
}

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

void check_run_file(const std::string& path) {
  struct stat info {};
  if (::lstat(path.c_str(), &info) == 0) {
    refuse(path, unsafe_reason(info));
  } else {
    HNET_CHECK_INPUT(errno == ENOENT, clipped(path), ": cannot check it: ", reason(errno));
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
    if ((err == ELOOP || err == ENXIO || err == EISDIR) && ::lstat(path.c_str(), &info) == 0)
      refuse(path, unsafe_reason(info));
    HNET_CHECK_INPUT(false, clipped(path), ": cannot open it for writing: ", reason(err));
  }
  struct stat info {};
  const std::string why = ::fstat(fd, &info) == 0 ? unsafe_reason(info) : reason(errno);
  if (!why.empty()) {
    ::close(fd);
    refuse(path, why);
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
  char buf[12];
  for (size_t i = 0; i < text.size();) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c < 0x80) {
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
      } else {
        out += static_cast<char>(c);
      }
      ++i;
      continue;
    }
    const auto [cp, len] = detail::decode_utf8(text, i);
    if (len == 0) {  // not UTF-8: the byte itself, escaped
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
      ++i;
    } else if (hidden_control(cp)) {
      std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(cp));
      out += buf;
      i += len;
    } else {
      out.append(text, i, len);
      i += len;
    }
  }
  return out;
}

}  // namespace hnet::io
