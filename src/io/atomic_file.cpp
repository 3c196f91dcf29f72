#include "hnet/io/atomic_file.h"

#include <c10/util/Exception.h>
#include <fcntl.h>
#include <signal.h>  // kill(pid, 0)
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>

#include "hnet/errors.h"

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

}  // namespace

void write_file_atomic(const std::string& path, const std::string& bytes) {
  TORCH_CHECK(!path.empty(), "write_file_atomic: path must not be empty");
  // The counter keeps two threads of one process from sharing a temporary.
  static std::atomic<unsigned long> counter{0};
  const unsigned long call = counter++;
  std::string temp = path + ".tmp." + std::to_string(::getpid()) + "." + std::to_string(call);
  FdCloser file;
  file.fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0666);
  TORCH_CHECK(
      file.fd >= 0, "write_file_atomic: ", path, ": cannot create temporary file ", temp, ": ",
      errno_str(errno));
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
  TORCH_CHECK(
      ::rename(temp.c_str(), path.c_str()) == 0, "write_file_atomic: ", path, ": cannot rename ",
      temp, " over it: ", errno_str(errno));
  remover.keep = true;
  sync_folder(folder_of(path));
  notify(WriteStage::kCommitted, path);
}

void set_write_observer(WriteObserver observer) {
  write_observer() = std::move(observer);
}

int remove_stale_temporaries(const std::string& folder) {
  namespace fs = std::filesystem;
  int removed = 0;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(folder, ec)) {
    // "<name>.tmp.<pid>.<n>": the two last dot-separated fields are numbers.
    const std::string name = entry.path().filename().string();
    const size_t last = name.rfind('.');
    const size_t pid_dot =
        last == std::string::npos || last == 0 ? last : name.rfind('.', last - 1);
    if (pid_dot == std::string::npos || pid_dot < 4 || name.compare(pid_dot - 4, 4, ".tmp") != 0)
      continue;
    const std::string pid_text = name.substr(pid_dot + 1, last - pid_dot - 1);
    const std::string n_text = name.substr(last + 1);
    auto digits = [](const std::string& s) {
      return !s.empty() && s.size() < 10 && s.find_first_not_of("0123456789") == std::string::npos;
    };
    if (!digits(pid_text) || !digits(n_text) || !entry.is_regular_file(ec)) continue;
    // A live writer (or a process that reused the pid) keeps its file.
    const pid_t pid = static_cast<pid_t>(std::stol(pid_text));
    if (pid == ::getpid() || ::kill(pid, 0) == 0 || errno != ESRCH) continue;
    if (fs::remove(entry.path(), ec)) ++removed;
  }
  return removed;
}

std::string read_file(const std::string& path, size_t max_bytes) {
  // O_NONBLOCK: opening a FIFO with no writer would otherwise wait forever
  // before the regular-file check below could reject it.
  FdCloser fd;
  fd.fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  HNET_CHECK_INPUT(fd.fd >= 0, "read_file: ", path, ": cannot open: ", errno_str(errno));
  struct stat info {};
  HNET_CHECK_INPUT(
      ::fstat(fd.fd, &info) == 0, "read_file: ", path, ": cannot stat: ", errno_str(errno));
  HNET_CHECK_INPUT(S_ISREG(info.st_mode), "read_file: ", path, ": not a regular file");
  HNET_CHECK_INPUT(
      ::fcntl(fd.fd, F_SETFL, ::fcntl(fd.fd, F_GETFL) & ~O_NONBLOCK) == 0, "read_file: ", path,
      ": cannot read: ", errno_str(errno));
  std::unique_ptr<FILE, int (*)(FILE*)> file(::fdopen(fd.fd, "rb"), &std::fclose);
  HNET_CHECK_INPUT(file, "read_file: ", path, ": cannot open: ", errno_str(errno));
  fd.fd = -1;  // owned by `file` now
  HNET_CHECK_INPUT(
      static_cast<uint64_t>(info.st_size) <= max_bytes, "read_file: ", path, ": file is ",
      info.st_size, " bytes, more than the limit of ", max_bytes, " bytes");

  std::string out;
  out.reserve(static_cast<size_t>(info.st_size));
  // Read in chunks up to EOF rather than trusting st_size: the file may have
  // changed since the fstat.
  char chunk[1 << 16];
  while (true) {
    size_t n = std::fread(chunk, 1, sizeof(chunk), file.get());
    HNET_CHECK_INPUT(
        out.size() + n <= max_bytes, "read_file: ", path, ": file grew past the limit of ",
        max_bytes, " bytes while being read");
    out.append(chunk, n);
    if (n < sizeof(chunk)) break;
  }
  TORCH_CHECK(!std::ferror(file.get()), "read_file: ", path, ": read error: ", errno_str(errno));
  return out;
}

}  // namespace hnet::io
