#include "hnet/data/idx.h"

#include <c10/util/Exception.h>
#include <zlib.h>

#include <cstring>
#include <iomanip>
#include <vector>

#include "hnet/errors.h"
#include "hnet/io/atomic_file.h"
#include "hnet/spec.h"

namespace hnet::data {
namespace {

// Both files and their decompressed contents; Fashion-MNIST's largest is 47 MB.
constexpr size_t kMaxBytes = size_t{256} << 20;

// Owns a zlib inflate stream.
struct Inflater {
  z_stream stream{};
  bool ready = false;
  ~Inflater() {
    if (ready) inflateEnd(&stream);
  }
};

std::string gunzip(const std::string& compressed, const std::string& where) {
  Inflater z;
  // 16 + MAX_WBITS: expect a gzip wrapper (header and CRC-32), not raw zlib.
  HNET_CHECK_INPUT(
      inflateInit2(&z.stream, 16 + MAX_WBITS) == Z_OK, where, "cannot start gzip decoder");
  z.ready = true;
  z.stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(compressed.data()));
  z.stream.avail_in = static_cast<uInt>(compressed.size());  // <= kMaxBytes

  std::string out;
  std::vector<char> chunk(1 << 16);
  while (true) {
    z.stream.next_out = reinterpret_cast<Bytef*>(chunk.data());
    z.stream.avail_out = static_cast<uInt>(chunk.size());
    int status = inflate(&z.stream, Z_NO_FLUSH);
    size_t produced = chunk.size() - z.stream.avail_out;
    HNET_CHECK_INPUT(
        out.size() + produced <= kMaxBytes, where, "decompresses to more than the limit of ",
        kMaxBytes, " bytes");
    out.append(chunk.data(), produced);
    if (status == Z_STREAM_END) {
      if (z.stream.avail_in == 0) break;
      // gzip allows several members back to back; anything else is garbage.
      const Bytef* next = z.stream.next_in;
      HNET_CHECK_INPUT(
          z.stream.avail_in >= 2 && next[0] == 0x1f && next[1] == 0x8b, where, z.stream.avail_in,
          " trailing bytes after the gzip stream");
      HNET_CHECK_INPUT(inflateReset(&z.stream) == Z_OK, where, "cannot restart gzip decoder");
      continue;
    }
    HNET_CHECK_INPUT(
        !(status == Z_BUF_ERROR && z.stream.avail_in == 0), where,
        "gzip stream is truncated (ends before its end marker)");
    HNET_CHECK_INPUT(
        status == Z_OK, where, "corrupt gzip data: ",
        z.stream.msg ? z.stream.msg : "zlib error " + std::to_string(status));
  }
  return out;
}

}  // namespace

torch::Tensor decode_idx(const std::string& bytes, const std::string& source) {
  const std::string where = "idx: " + source + ": ";
  HNET_CHECK_INPUT(
      bytes.size() >= 4, where, "file is ", bytes.size(),
      " bytes, too short for the 4-byte magic number");
  auto byte = [&](size_t i) { return static_cast<unsigned char>(bytes[i]); };
  uint32_t magic = (uint32_t{byte(0)} << 24) | (byte(1) << 16) | (byte(2) << 8) | byte(3);
  HNET_CHECK_INPUT(
      byte(0) == 0 && byte(1) == 0, where, "bad magic number 0x", std::hex, std::setfill('0'),
      std::setw(8), magic, std::dec, ": its first two bytes must be zero");
  HNET_CHECK_INPUT(
      byte(2) == 0x08, where, "unsupported element type code 0x", std::hex, std::setfill('0'),
      std::setw(2), int{byte(2)}, std::dec, " (only 0x08, unsigned byte, is supported)");
  const size_t ndim = byte(3);
  HNET_CHECK_INPUT(
      ndim >= 1 && ndim <= 4, where, "number of dimensions is ", ndim, "; it must be 1 to 4");
  const size_t header = 4 + 4 * ndim;
  HNET_CHECK_INPUT(
      bytes.size() >= header, where, "truncated: header needs ", header, " bytes for ", ndim,
      " dimensions, found ", bytes.size());

  std::vector<int64_t> dims;
  int64_t numel = 1;
  bool overflow = false;
  for (size_t d = 0; d < ndim; ++d) {
    size_t at = 4 + 4 * d;
    uint32_t dim =
        (uint32_t{byte(at)} << 24) | (byte(at + 1) << 16) | (byte(at + 2) << 8) | byte(at + 3);
    HNET_CHECK_INPUT(dim > 0, where, "dimension ", d, " is 0; every dimension must be > 0");
    dims.push_back(dim);
    overflow = overflow || __builtin_mul_overflow(numel, int64_t{dim}, &numel);
  }
  HNET_CHECK_INPUT(!overflow, where, "dimensions ", shape_str(dims), " overflow int64");

  const uint64_t expected = static_cast<uint64_t>(numel);
  const uint64_t found = bytes.size() - header;
  HNET_CHECK_INPUT(
      found >= expected, where, "truncated: expected ", expected, " bytes of data for ",
      shape_str(dims), ", found ", found);
  HNET_CHECK_INPUT(
      found == expected, where, "trailing bytes: expected ", expected, " bytes of data for ",
      shape_str(dims), ", found ", found, " (", found - expected, " extra)");

  torch::Tensor out = torch::empty(dims, torch::kUInt8);
  std::memcpy(out.data_ptr(), bytes.data() + header, expected);
  return out;
}

torch::Tensor read_idx(const std::string& path) {
  std::string bytes = io::read_file(path, kMaxBytes);
  if (bytes.size() >= 2 && static_cast<unsigned char>(bytes[0]) == 0x1f &&
      static_cast<unsigned char>(bytes[1]) == 0x8b)
    bytes = gunzip(bytes, "idx: " + path + ": ");
  return decode_idx(bytes, path);
}

}  // namespace hnet::data
