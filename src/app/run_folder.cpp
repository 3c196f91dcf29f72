#include "hnet/app/run_folder.h"

#include <c10/util/Exception.h>

#include <filesystem>

#include "hnet/errors.h"

namespace hnet {

namespace fs = std::filesystem;

void check_new_run_folder(const std::string& dir, const std::string& marker) {
  HNET_CHECK_INPUT(!dir.empty(), "the run folder must not be empty");
  HNET_CHECK_INPUT(
      !fs::exists(fs::path(dir) / marker), "run folder ", dir, " already holds a run (", marker,
      "); resume it or choose another folder");
}

void create_run_folder(const std::string& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  HNET_CHECK_INPUT(!ec, "run folder ", dir, ": cannot create it: ", ec.message());
}

std::ofstream open_metrics(const std::string& path, bool append) {
  std::ofstream out(path, append ? std::ios::app : std::ios::trunc);
  TORCH_CHECK(out, "cannot open the metrics log ", path);
  return out;
}

void cut_file(const std::string& path, int64_t bytes) {
  std::error_code ec;
  const auto size = fs::file_size(path, ec);
  if (bytes < 0 || ec || size <= static_cast<uintmax_t>(bytes)) return;
  fs::resize_file(path, static_cast<uintmax_t>(bytes), ec);
  TORCH_CHECK(!ec, "cannot cut ", path, " back to ", bytes, " bytes: ", ec.message());
}

}  // namespace hnet
