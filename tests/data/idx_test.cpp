#include "hnet/data/idx.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <filesystem>
#include <fstream>
#include <memory>

#include "support/idx_files.h"
#include "support/test_support.h"

namespace {

using ::hnet::test::GzFile;
using ::hnet::test::idx_bytes;

namespace fs = std::filesystem;
using hnet::data::decode_idx;
using hnet::data::read_idx;
using ::testing::HasSubstr;
using ::testing::ThrowsMessage;

// 0, 1, 2, ... as bytes.
std::string counting(size_t n) {
  std::string out(n, '\0');
  for (size_t i = 0; i < n; ++i) out[i] = static_cast<char>(i);
  return out;
}

class IdxFileTest : public ::hnet::test::ScratchDirTest {
 protected:
  std::string write_raw(const std::string& name, const std::string& bytes) const {
    std::string p = (dir_ / name).string();
    std::ofstream(p, std::ios::binary) << bytes;
    return p;
  }
  // `mode` "wb" starts a file, "ab" appends another gzip member.
  std::string write_gz(
      const std::string& name, const std::string& bytes, const char* mode = "wb") const {
    std::string p = (dir_ / name).string();
    GzFile f(gzopen(p.c_str(), mode));
    EXPECT_TRUE(f);
    EXPECT_EQ(
        gzwrite(f.get(), bytes.data(), static_cast<unsigned>(bytes.size())),
        static_cast<int>(bytes.size()));
    return p;
  }
};

TEST(IdxTest, DecodesOneToFourDimensions) {
  const std::vector<std::vector<uint32_t>> cases = {{5}, {2, 3}, {2, 1, 3}, {1, 2, 1, 2}};
  for (const auto& dims : cases) {
    size_t n = 1;
    for (auto d : dims) n *= d;
    torch::Tensor t = decode_idx(idx_bytes(dims, counting(n)), "t.idx");
    EXPECT_EQ(t.scalar_type(), torch::kUInt8);
    EXPECT_EQ(t.sizes(), torch::IntArrayRef(std::vector<int64_t>(dims.begin(), dims.end())));
    EXPECT_TRUE(torch::equal(
        t.flatten(), torch::arange(static_cast<int64_t>(n), torch::kInt64).to(torch::kUInt8)));
  }
}

TEST(IdxTest, DecodeRejectsMalformedBytes) {
  auto fails_with = [](const std::string& bytes, const std::string& message) {
    EXPECT_THAT(
        [&] { decode_idx(bytes, "bad.idx"); },
        ThrowsMessage<c10::Error>(HasSubstr("idx: bad.idx: " + message)));
  };
  fails_with(std::string(3, '\0'), "file is 3 bytes, too short for the 4-byte magic number");
  fails_with(
      std::string("\x01\x00\x08\x01", 4) + std::string(5, '\0'),
      "bad magic number 0x01000801: its first two bytes must be zero");
  fails_with(
      idx_bytes({2}, "ab", 0x0d),
      "unsupported element type code 0x0d (only 0x08, unsigned byte, is supported)");
  fails_with(idx_bytes({}, ""), "number of dimensions is 0; it must be 1 to 4");
  fails_with(idx_bytes({1, 1, 1, 1, 1}, "a"), "number of dimensions is 5; it must be 1 to 4");
  fails_with(
      idx_bytes({2, 3}, "").substr(0, 10),
      "truncated: header needs 12 bytes for 2 dimensions, found 10");
  fails_with(idx_bytes({2, 0}, ""), "dimension 1 is 0; every dimension must be > 0");
  fails_with(idx_bytes({2, 3}, "abcd"), "truncated: expected 6 bytes of data for [2, 3], found 4");
  fails_with(
      idx_bytes({2, 3}, "abcdefgh"),
      "trailing bytes: expected 6 bytes of data for [2, 3], found 8 (2 extra)");
  fails_with(
      idx_bytes({4294967295u, 4294967295u, 4294967295u}, ""),
      "dimensions [4294967295, 4294967295, 4294967295] overflow int64");
  // More hostile headers.
  fails_with("", "file is 0 bytes, too short for the 4-byte magic number");
  fails_with(
      std::string("\x00\x01\x08\x01", 4) + std::string(5, '\0'),
      "bad magic number 0x00010801: its first two bytes must be zero");
  fails_with(std::string("\x78\x9c\x01\x02", 4), "bad magic number 0x789c0102");  // zlib, not gzip
  fails_with(idx_bytes({2}, "ab", 0x09), "unsupported element type code 0x09");
  fails_with(idx_bytes({2}, "ab", 0x0e), "unsupported element type code 0x0e");
  fails_with(std::string("\x00\x00\x08\xff", 4), "number of dimensions is 255; it must be 1 to 4");
  fails_with(
      std::string("\x00\x00\x08\x01", 4),
      "truncated: header needs 8 bytes for 1 dimensions, found 4");
  fails_with(
      idx_bytes({4294967295u, 4294967295u}, ""),
      "dimensions [4294967295, 4294967295] overflow int64");
  fails_with(
      idx_bytes({65536, 65536, 65536, 65536}, ""),
      "dimensions [65536, 65536, 65536, 65536] overflow int64");
  // Counts far larger than the data: refused before anything is allocated.
  fails_with(
      idx_bytes({60000, 28, 28}, std::string(10, 'x')),
      "truncated: expected 47040000 bytes of data for [60000, 28, 28], found 10");
  fails_with(
      idx_bytes({65536, 65536, 65536}, "x"),
      "truncated: expected 281474976710656 bytes of data for [65536, 65536, 65536], found 1");
}

TEST_F(IdxFileTest, ReadsRawAndGzipFiles) {
  const std::string bytes = idx_bytes({3, 4}, counting(12));
  torch::Tensor raw = read_idx(write_raw("x-idx2-ubyte", bytes));
  torch::Tensor gz = read_idx(write_gz("x-idx2-ubyte.gz", bytes));
  EXPECT_EQ(raw.sizes(), torch::IntArrayRef({3, 4}));
  EXPECT_TRUE(torch::equal(raw, gz));
  EXPECT_EQ(gz[2][3].item<uint8_t>(), 11);
}

TEST_F(IdxFileTest, ReadsConcatenatedGzipMembers) {
  const std::string bytes = idx_bytes({6}, counting(6));
  write_gz("m.gz", bytes.substr(0, 7));
  std::string p = write_gz("m.gz", bytes.substr(7), "ab");
  EXPECT_TRUE(torch::equal(read_idx(p), decode_idx(bytes, "m")));
}

TEST_F(IdxFileTest, ReadErrorsNameTheFile) {
  std::string missing = (dir_ / "missing.gz").string();
  EXPECT_THAT(
      [&] { read_idx(missing); },
      ThrowsMessage<c10::Error>(HasSubstr(missing + ": cannot open: No such file or directory")));

  std::string p = write_gz("bad-magic.gz", std::string("\x01\x02\x08\x01", 4) + "x");
  EXPECT_THAT(
      [&] { read_idx(p); },
      ThrowsMessage<c10::Error>(HasSubstr("idx: " + p + ": bad magic number 0x01020801")));

  // Cut, corrupted and padded copies of a good gzip file.
  std::string gz_path = write_gz("good.gz", idx_bytes({100}, std::string(100, 'a')));
  std::ifstream in(gz_path, std::ios::binary);
  std::string gz((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  ASSERT_GT(gz.size(), 20u);

  std::string cut = write_raw("cut.gz", gz.substr(0, gz.size() - 6));
  EXPECT_THAT(
      [&] { read_idx(cut); },
      ThrowsMessage<c10::Error>(
          HasSubstr("idx: " + cut + ": gzip stream is truncated (ends before its end marker)")));
  std::string corrupt_bytes = gz;
  corrupt_bytes[corrupt_bytes.size() - 8] ^= 0x5a;  // inside the CRC-32
  std::string corrupt = write_raw("corrupt.gz", corrupt_bytes);
  EXPECT_THAT(
      [&] { read_idx(corrupt); },
      ThrowsMessage<c10::Error>(HasSubstr("idx: " + corrupt + ": corrupt gzip data: ")));
  std::string padded = write_raw("padded.gz", gz + "xyz");
  EXPECT_THAT(
      [&] { read_idx(padded); },
      ThrowsMessage<c10::Error>(
          HasSubstr("idx: " + padded + ": 3 trailing bytes after the gzip stream")));
}

TEST_F(IdxFileTest, RejectsBrokenGzipAndOddFiles) {
  auto fails_with = [&](const std::string& p, const std::string& message) {
    EXPECT_THAT([&] { read_idx(p); }, ThrowsMessage<c10::Error>(HasSubstr(message)));
  };
  std::string p = write_raw("magic-only.gz", "\x1f\x8b");
  fails_with(p, "idx: " + p + ": gzip stream is truncated");
  // Compression method 7 instead of 8 (deflate).
  p = write_raw("method.gz", std::string("\x1f\x8b\x07\x00\x00\x00\x00\x00\x00\x03xyz", 13));
  fails_with(p, "idx: " + p + ": corrupt gzip data: unknown compression method");
  // A complete gzip stream whose contents are a truncated IDX file.
  p = write_gz("short-content.gz", idx_bytes({10, 10}, std::string(50, 'a')));
  fails_with(p, "idx: " + p + ": truncated: expected 100 bytes of data for [10, 10], found 50");
  // A second "member" that is only a gzip magic number.
  std::string gz_path = write_gz("one.gz", idx_bytes({2}, "ab"));
  std::ifstream in(gz_path, std::ios::binary);
  std::string gz((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  p = write_raw("fake-member.gz", gz + "\x1f\x8b\xff\xff");
  fails_with(p, "idx: " + p + ": corrupt gzip data");
  p = write_raw("empty", "");
  fails_with(p, "idx: " + p + ": file is 0 bytes");
  fails_with(dir_.string(), dir_.string() + ": not a regular file");
  p = (dir_ / "fifo").string();
  ASSERT_EQ(::mkfifo(p.c_str(), 0600), 0);
  fails_with(p, p + ": not a regular file");  // and does not wait for a writer
}

TEST_F(IdxFileTest, CapsTheDecompressedSize) {
  // 257 MB of zeros compress to well under a megabyte.
  std::string p = (dir_ / "bomb.gz").string();
  {
    GzFile f(gzopen(p.c_str(), "wb1"));
    ASSERT_TRUE(f);
    const std::string zeros(1 << 20, '\0');
    for (int i = 0; i < 257; ++i)
      ASSERT_EQ(gzwrite(f.get(), zeros.data(), zeros.size()), static_cast<int>(zeros.size()));
  }
  EXPECT_THAT(
      [&] { read_idx(p); },
      ThrowsMessage<c10::Error>(
          HasSubstr("idx: " + p + ": decompresses to more than the limit of 268435456 bytes")));
}

}  // namespace
