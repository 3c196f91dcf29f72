#include "hnet/io/atomic_file.h"

#include <c10/util/Exception.h>
#include <fcntl.h>
#include <signal.h>  // kill(pid, 0)
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <vector>

#include "hnet/errors.h"
#include "hnet/io/file_safety.h"
#include "hnet/io/input_file.h"

namespace hnet::io {
namespace {

std::string errno_str(int err) {
  return std::strerror(err);
}

// Owns a POSIX file descriptor.
struct FdCloser {
  int fd = -1;
  ~FdCloser() {
    if (fd >= 0) ::close(fd);
  }
  // Closes now and reports the error `close` itself can return (on NFS, for
  // example, a failed write may only surface here).
  int release_and_close() {
    int f = fd;
    fd = -1;
    return ::close(f);
  }
};

// Removes the temporary file unless the write completed.
struct TempRemover {
  std::string path;
  bool keep = false;
  ~TempRemover() {
    if (!keep) ::unlink(path.c_str());
  }
};

std::string folder_of(const std::string& path) {
  auto slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

// Makes the rename itself durable. Best effort: some file systems do not
// support fsync on folders, and the data is already safely in place.
void sync_folder(const std::string& folder) {
  int fd = ::open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  (void)::fsync(fd);
  ::close(fd);
}

// Writes all `length` bytes at `data` to `fd` (the temporary `temp` of `path`).
void write_all(
    int fd, const char* data, size_t length, const std::string& path, const std::string& temp,
    size_t total) {
  while (length > 0) {
    ssize_t n = ::write(fd, data, length);
    if (n < 0 && errno == EINTR) continue;
    TORCH_CHECK(
        n > 0, "write_file_atomic: ", path, ": cannot write ", total, " bytes to ", temp, ": ",
        errno_str(n < 0 ? errno : EIO));
    data += n;
    length -= static_cast<size_t>(n);
  }
}

WriteObserver& write_observer() {
  static WriteObserver observer;
  return observer;
}

void notify(WriteStage stage, const std::string& path) {
  if (write_observer()) write_observer()(stage, path);
}

// 12 random hex digits, 48 fresh bits from the kernel for each name: the
// part of a temporary's name another user cannot predict.
std::string random_suffix() {
  uint64_t bits = 0;
  TORCH_CHECK(
      ::getrandom(&bits, sizeof bits, 0) == static_cast<ssize_t>(sizeof bits),
      "write_file_atomic: cannot draw random bits: ", errno_str(errno));
  char buf[16];
  std::snprintf(
      buf, sizeof buf, "%012llx", static_cast<unsigned long long>(bits & 0xFFFFFFFFFFFFull));
  return buf;
}

// The errors of creating or renaming over `path` that mean the caller gave a
// path it cannot write (bad input), not that the disk or system failed.
bool path_error(int err) {
  return err == ENOENT || err == ENOTDIR || err == ENAMETOOLONG || err == ELOOP || err == EACCES ||
         err == EROFS || err == EISDIR || err == EPERM;
}

constexpr size_t kSuffixDigits = 12;

// Creates `<path>.tmp.<pid>.<random>` exclusively (O_EXCL, never through a
// link), with the permissions of the file it will replace (or 0666 less the
// umask for a new one); returns its name and sets `fd`.
std::string create_temporary(const std::string& path, int& fd) {
  const std::string prefix = path + ".tmp." + std::to_string(::getpid()) + ".";
  for (int attempt = 0;; ++attempt) {
    std::string temp = prefix + random_suffix();
    fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
    if (fd >= 0) {
      struct stat old {};
      if (::lstat(path.c_str(), &old) == 0 && S_ISREG(old.st_mode)) {
        TORCH_CHECK(
            ::fchmod(fd, old.st_mode & 0777) == 0, "write_file_atomic: ", clipped(path),
            ": cannot give the new file the permissions of the old one: ", errno_str(errno));
      }
      return temp;
    }
    const int err = errno;
    HNET_CHECK_INPUT(
        !path_error(err), "write_file_atomic: ", clipped(path),
        ": cannot create a temporary file next to it: ", errno_str(err));
    TORCH_CHECK(
        err == EEXIST && attempt < 100, "write_file_atomic: ", clipped(path),
        ": cannot create a temporary file next to it: ", errno_str(err));
  }
}

}  // namespace

void write_file_atomic(const std::string& path, const std::string& bytes) {
  TORCH_CHECK(!path.empty(), "write_file_atomic: path must not be empty");
  FdCloser file;
  const std::string temp = create_temporary(path, file.fd);
  TempRemover remover{temp};

  // In two halves, so that an observer sees a temporary file caught in the
  // middle of a write, as a crash would leave it.
  const size_t half = bytes.size() / 2;
  write_all(file.fd, bytes.data(), half, path, temp, bytes.size());
  notify(WriteStage::kHalfWritten, path);
  write_all(file.fd, bytes.data() + half, bytes.size() - half, path, temp, bytes.size());
  TORCH_CHECK(
      ::fsync(file.fd) == 0, "write_file_atomic: ", path, ": cannot flush ", temp,
      " to disk: ", errno_str(errno));
  TORCH_CHECK(
      file.release_and_close() == 0, "write_file_atomic: ", path, ": cannot close ", temp, ": ",
      errno_str(errno));
  if (::rename(temp.c_str(), path.c_str()) != 0) {
    const int err = errno;
    HNET_CHECK_INPUT(
        !path_error(err), "write_file_atomic: ", clipped(path), ": cannot rename ", clipped(temp),
        " over it: ", errno_str(err));
    TORCH_CHECK(
        false, "write_file_atomic: ", clipped(path), ": cannot rename ", clipped(temp),
        " over it: ", errno_str(err));
  }
  remover.keep = true;
  sync_folder(folder_of(path));
  notify(WriteStage::kCommitted, path);
}

void set_write_observer(WriteObserver observer) {
  write_observer() = std::move(observer);
}

int remove_stale_temporaries(const std::string& folder, const std::vector<std::string>& names) {
  namespace fs = std::filesystem;
  int removed = 0;
  std::error_code ec;
  // increment(ec): the range-for's operator++ would throw on a read error.
  for (fs::directory_iterator it(folder, ec), end; !ec && it != end; it.increment(ec)) {
    const auto& entry = *it;
    // "<name>.tmp.<pid>.<12 hex digits>", <name> one of `names`.
    const std::string file = entry.path().filename().string();
    const size_t last = file.rfind('.');
    if (last == std::string::npos || file.size() - last - 1 != kSuffixDigits ||
        file.find_first_not_of("0123456789abcdef", last + 1) != std::string::npos)
      continue;
    const size_t pid_dot = file.rfind('.', last - 1);
    if (pid_dot == std::string::npos || pid_dot < 4 || file.compare(pid_dot - 4, 4, ".tmp") != 0)
      continue;
    const std::string pid_text = file.substr(pid_dot + 1, last - pid_dot - 1);
    const std::string base = file.substr(0, pid_dot - 4);
    if (pid_text.empty() || pid_text.size() > 9 ||
        pid_text.find_first_not_of("0123456789") != std::string::npos ||
        std::find(names.begin(), names.end(), base) == names.end())
      continue;
    // Only a plain file of this user with no other link to it: hnet's own.
    struct stat info {};
    const std::string path = entry.path().string();
    if (::lstat(path.c_str(), &info) != 0 || !S_ISREG(info.st_mode) || info.st_uid != ::geteuid() ||
        info.st_nlink != 1)
      continue;
    // A live writer (or a process that reused the pid) keeps its file.
    int pid = 0;  // at most 9 digits, checked above
    std::from_chars(pid_text.data(), pid_text.data() + pid_text.size(), pid);
    if (pid == ::getpid() || ::kill(pid, 0) == 0 || errno != ESRCH) continue;
    if (::unlink(path.c_str()) == 0) ++removed;
  }
  return removed;
}

std::string read_file(const std::string& path, size_t max_bytes) {
  const InputFile file(path);
  HNET_CHECK_INPUT(
      file.size() <= max_bytes, clipped(path), ": file is ", file.size(),
      " bytes, more than the limit of ", max_bytes, " bytes");
  std::string out(static_cast<size_t>(file.size()), '\0');
  file.read_at(0, out.data(), out.size());
  return out;
}

}  // namespace hnet::io
