#include "hnet/app/run_folder.h"

#include <c10/util/Exception.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "hnet/errors.h"
#include "hnet/io/file_safety.h"

namespace hnet {

namespace fs = std::filesystem;

void check_new_run_folder(const std::string& dir, const std::string& marker) {
  HNET_CHECK_INPUT(!dir.empty(), "the run folder must not be empty");
  HNET_CHECK_INPUT(
      !io::path_exists((fs::path(dir) / marker).string()), "run folder ", io::clipped(dir),
      " already holds a run (", marker, "); resume it or choose another folder");
}

void check_run_keeps_inputs(
    const std::string& dir, const std::vector<std::string>& files,
    const std::vector<std::string>& inputs) {
  for (const auto& f : files) io::check_output_is_not_input((fs::path(dir) / f).string(), inputs);
}

void create_run_folder(const std::string& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  HNET_CHECK_INPUT(!ec, "run folder ", io::clipped(dir), ": cannot create it: ", ec.message());
}

MetricsLog::MetricsLog(const std::string& path, bool append)
    : path_(path),
      fd_(io::open_run_file(path, append ? io::OpenMode::kAppend : io::OpenMode::kTruncate)) {}

MetricsLog::~MetricsLog() {
  ::close(fd_);
}

void MetricsLog::write_line(const std::string& line) {
  const std::string whole = line + "\n";
  size_t done = 0;
  while (done < whole.size()) {
    const ssize_t n = ::write(fd_, whole.data() + done, whole.size() - done);
    if (n < 0 && errno == EINTR) continue;
    TORCH_CHECK(
        n > 0, "cannot write to the metrics log ", path_, ": ", std::strerror(n < 0 ? errno : EIO));
    done += static_cast<size_t>(n);
  }
}

int64_t MetricsLog::size() const {
  struct stat info {};
  TORCH_CHECK(
      ::fstat(fd_, &info) == 0, "cannot read the size of ", path_, ": ", std::strerror(errno));
  return static_cast<int64_t>(info.st_size);
}

void cut_file(const std::string& path, int64_t bytes) {
  if (bytes < 0 || !io::path_exists(path)) return;
  const int fd = io::open_run_file(path, io::OpenMode::kExisting);
  struct stat info {};
  int err = 0;
  if (::fstat(fd, &info) != 0 || (info.st_size > bytes && ::ftruncate(fd, bytes) != 0)) err = errno;
  ::close(fd);
  TORCH_CHECK(err == 0, "cannot cut ", path, " back to ", bytes, " bytes: ", std::strerror(err));
}

}  // namespace hnet
