// libFuzzer target: hnet::data::read_idx (gzip detection, decompression with
// its size cap, IDX header checks) on arbitrary bytes, given to it as an
// in-memory file so no disk is touched.

#include <c10/util/Exception.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <string>

#include "fuzz_support.h"
#include "hnet/data/idx.h"

namespace {

// One memfd reused for every input.
int memory_file() {
  static const int fd = memfd_create("fuzz_idx", MFD_CLOEXEC);
  if (fd < 0) std::abort();
  return fd;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const int fd = memory_file();
  if (ftruncate(fd, 0) != 0 || pwrite(fd, data, size, 0) != static_cast<ssize_t>(size))
    std::abort();
  const std::string path = "/proc/self/fd/" + std::to_string(fd);
  hnet::fuzz::expect_only_input_errors([&] {
    torch::Tensor t = hnet::data::read_idx(path);
    if (t.scalar_type() != torch::kUInt8 || t.dim() < 1 || t.dim() > 4) std::abort();
  });
  return 0;
}
