// libFuzzer target: hnet::io::decode_safetensors on arbitrary bytes.
//
// Every input must either be rejected with a c10::ValueError or decode to tensors
// that encode and decode back to the same names, dtypes, shapes and bytes.

#include <c10/util/Exception.h>
#include <torch/types.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>

#include "fuzz_support.h"
#include "hnet/io/safetensors.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  hnet::io::TensorFile file;
  bool decoded = false;
  hnet::fuzz::expect_only_input_errors([&] {
    file = hnet::io::decode_safetensors(bytes, "fuzz.safetensors");
    decoded = true;
  });
  if (!decoded) return 0;
  const auto again = hnet::io::decode_safetensors(
      hnet::io::encode_safetensors(file.tensors, file.metadata), "round-trip");
  if (again.tensors.size() != file.tensors.size() || again.metadata != file.metadata) std::abort();
  for (size_t i = 0; i < file.tensors.size(); ++i) {
    const auto& [name, t] = file.tensors[i];
    const auto& u = again.tensors[i].second;
    if (again.tensors[i].first != name || u.scalar_type() != t.scalar_type() ||
        u.sizes() != t.sizes() ||
        (t.nbytes() && std::memcmp(u.data_ptr(), t.data_ptr(), t.nbytes())))
      std::abort();
  }
  return 0;
}
