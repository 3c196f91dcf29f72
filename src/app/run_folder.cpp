#include "hnet/app/run_folder.h"

#include <c10/util/Exception.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <sstream>
#include <vector>

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

namespace {

// The first key whose value differs between two configurations of one
// schema, as "key: value there, value here"; "" when none does. Both YAML
// texts list the same keys in the same order (Config::to_yaml).
std::string first_difference(const io::Config& there, const io::Config& here) {
  std::istringstream a(there.to_yaml()), b(here.to_yaml());
  std::vector<std::string> sections;
  for (std::string x, y; std::getline(a, x) && std::getline(b, y);) {
    const size_t depth = x.find_first_not_of(' ') / 2;
    const size_t colon = x.find(':');
    const std::string key = x.substr(depth * 2, colon - depth * 2);
    sections.resize(depth);
    if (colon + 1 == x.size()) {
      sections.push_back(key);  // a section: its keys follow, indented
      continue;
    }
    if (x == y) continue;
    std::string name;
    for (const auto& s : sections) name += s + ".";
    return name + key + ":" + x.substr(colon + 1) + " there," + y.substr(y.find(':') + 1) + " here";
  }
  return "";
}

}  // namespace

bool folder_holds_config(
    const std::string& dir, const io::Config& config, const io::ConfigSchema& schema) {
  const std::string saved = (std::filesystem::path(dir) / "config.yaml").string();
  if (!io::path_exists(saved)) return false;
  const auto there = io::Config::resolve(schema, saved, {});
  HNET_CHECK_INPUT(
      there == config, "folder ", dir, " holds a run of another configuration (",
      first_difference(there, config), "); give another --out");
  return true;
}

}  // namespace hnet
