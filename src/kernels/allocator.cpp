#include "hnet/kernels/allocator.h"

#include <cstdlib>
#include <cstring>

#ifdef __GLIBC__
#include <malloc.h>
#endif

extern char** environ;

namespace hnet::kernels {
namespace {

bool user_configures_malloc() {
  const char* choice = std::getenv("HNET_MALLOC");
  if (choice && std::strcmp(choice, "default") == 0) return true;
  if (std::getenv("GLIBC_TUNABLES")) return true;
  for (char** e = environ; *e; ++e) {
    if (std::strncmp(*e, "MALLOC_", 7) == 0) return true;
  }
  return false;
}

}  // namespace

bool tune_allocator() {
#ifdef __GLIBC__
  if (user_configures_malloc()) return false;
  // Order matters: with mmap off, every block comes from the heap, which is
  // then never trimmed, so freed blocks are reused without page faults.
  const bool ok = mallopt(M_MMAP_MAX, 0) == 1 && mallopt(M_TRIM_THRESHOLD, 1 << 30) == 1 &&
                  mallopt(M_TOP_PAD, 64 << 20) == 1;
  return ok;
#else
  return false;
#endif
}

}  // namespace hnet::kernels
