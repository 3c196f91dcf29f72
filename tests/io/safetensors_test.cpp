#include "hnet/io/safetensors.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "support/test_support.h"

namespace {

namespace fs = std::filesystem;
using hnet::io::decode_safetensors;
using hnet::io::encode_safetensors;
using hnet::io::NamedTensors;
using ::testing::HasSubstr;
using ::testing::ThrowsMessage;

// A safetensors file from a header given as text and a raw data buffer.
std::string with_length(uint64_t length, const std::string& rest) {
  std::string out;
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((length >> (8 * i)) & 0xFF));
  return out + rest;
}

std::string raw_file(const std::string& header, const std::string& data = "") {
  return with_length(header.size(), header + data);
}

void seed_from_gtest() {
  auto seed = ::testing::UnitTest::GetInstance()->random_seed();
  SCOPED_TRACE("re-run with --gtest_random_seed=" + std::to_string(seed));
  torch::manual_seed(seed);
}

class SafetensorsFileTest : public ::hnet::test::ScratchDirTest {
 protected:
};

TEST(SafetensorsTest, RoundTripsEveryDtypeAndShape) {
  seed_from_gtest();
  const std::vector<torch::ScalarType> dtypes = {
      torch::kFloat64, torch::kFloat32, torch::kFloat16, torch::kBFloat16, torch::kInt64,
      torch::kInt32,   torch::kInt16,   torch::kInt8,    torch::kUInt8,    torch::kBool};
  const std::vector<std::vector<int64_t>> shapes = {{2, 3}, {}, {0}, {3, 0, 2}, {1, 2, 1, 2}};
  NamedTensors tensors;
  for (auto dtype : dtypes) {
    for (size_t s = 0; s < shapes.size(); ++s) {
      torch::Tensor t = torch::is_floating_point(torch::empty({}, dtype))
                            ? torch::randn(shapes[s]).to(dtype)
                            : torch::randint(0, 100, shapes[s]).to(dtype);
      std::ostringstream name;
      name << dtype << "." << s;
      tensors.emplace_back(name.str(), t);
    }
  }
  std::map<std::string, std::string> metadata = {{"format", "pt"}, {"step", "17"}, {"", "ü"}};

  auto file = decode_safetensors(encode_safetensors(tensors, metadata), "round.safetensors");
  EXPECT_EQ(file.metadata, metadata);
  ASSERT_EQ(file.tensors.size(), tensors.size());
  for (size_t i = 0; i < tensors.size(); ++i) {
    SCOPED_TRACE(tensors[i].first);
    EXPECT_EQ(file.tensors[i].first, tensors[i].first);
    const auto& got = file.tensors[i].second;
    EXPECT_EQ(got.scalar_type(), tensors[i].second.scalar_type());
    EXPECT_EQ(got.sizes(), tensors[i].second.sizes());
    EXPECT_TRUE(torch::equal(got, tensors[i].second));
  }
}

TEST(SafetensorsTest, KeepsTheGivenOrderAndSavesAnyLayout) {
  auto base = torch::arange(6, torch::kFloat32).reshape({2, 3});
  NamedTensors tensors = {
      {"z", base.t()},                                        // non-contiguous
      {"a", base.clone().requires_grad_()},                   // requires grad
      {"m", torch::arange(4, torch::kInt64).slice(0, 1, 3)},  // offset view
  };
  auto file = decode_safetensors(encode_safetensors(tensors), "order.safetensors");
  ASSERT_EQ(file.tensors.size(), 3u);
  EXPECT_EQ(file.tensors[0].first, "z");
  EXPECT_EQ(file.tensors[1].first, "a");
  EXPECT_EQ(file.tensors[2].first, "m");
  EXPECT_TRUE(torch::equal(file.get("z"), base.t()));
  EXPECT_TRUE(torch::equal(file.get("a"), base));
  EXPECT_TRUE(torch::equal(file.get("m"), torch::tensor({1, 2}, torch::kInt64)));
  EXPECT_TRUE(file.metadata.empty());
}

TEST(SafetensorsTest, GoldenBytesOfATinyFile) {
  std::string bytes = encode_safetensors({{"a", torch::tensor({1.0f, 2.0f})}}, {{"k", "v"}});
  // 79 bytes of JSON padded with one space to 80 = 0x50.
  std::string expected = std::string("\x50\0\0\0\0\0\0\0", 8) +
                         R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                         R"("__metadata__":{"k":"v"}} )" +
                         std::string("\x00\x00\x80\x3f\x00\x00\x00\x40", 8);
  EXPECT_EQ(bytes, expected);
}

TEST(SafetensorsTest, HeaderIsPaddedWithSpacesToEightBytes) {
  for (int len = 1; len <= 9; ++len) {
    SCOPED_TRACE("name length " + std::to_string(len));
    std::string bytes = encode_safetensors({{std::string(len, 'x'), torch::zeros({1})}});
    uint64_t n = static_cast<unsigned char>(bytes[0]);
    EXPECT_EQ(n % 8, 0u);
    EXPECT_EQ(bytes.size(), 8 + n + 4);
    std::string header = bytes.substr(8, n);
    size_t close = header.find_last_of('}');
    EXPECT_LT(n - close - 1, 8u);
    EXPECT_EQ(header.find_first_not_of(' ', close + 1), std::string::npos);
  }
}

TEST(SafetensorsTest, TensorsOwnTheirMemory) {
  hnet::io::TensorFile file;
  {
    std::string bytes = encode_safetensors({{"w", torch::full({3}, 2.5)}});
    file = decode_safetensors(bytes, "own.safetensors");
    bytes.assign(bytes.size(), '\0');
  }
  EXPECT_TRUE(torch::equal(file.get("w"), torch::full({3}, 2.5)));
}

TEST(SafetensorsTest, AcceptsHandWrittenEdgeCases) {
  // Whitespace around the JSON, zero-size tensors sharing an offset, entries
  // listed out of offset order, metadata only.
  auto file = decode_safetensors(
      raw_file(
          "  {\"b\":{\"dtype\":\"U8\",\"shape\":[2],\"data_offsets\":[0,2]},"
          "\"a\":{\"dtype\":\"I8\",\"shape\":[1],\"data_offsets\":[2,3]},"
          "\"e1\":{\"dtype\":\"F32\",\"shape\":[0,4],\"data_offsets\":[3,3]},"
          "\"e0\":{\"dtype\":\"F64\",\"shape\":[0],\"data_offsets\":[2,2]}}   ",
          "\x07\x08\xff"),
      "edge.safetensors");
  ASSERT_EQ(file.tensors.size(), 4u);
  EXPECT_EQ(file.tensors[0].first, "b");
  EXPECT_EQ(file.tensors[1].first, "e0");
  EXPECT_EQ(file.tensors[2].first, "a");
  EXPECT_EQ(file.tensors[3].first, "e1");
  EXPECT_TRUE(torch::equal(file.get("b"), torch::tensor({7, 8}, torch::kUInt8)));
  EXPECT_EQ(file.get("a").item<int8_t>(), -1);
  EXPECT_EQ(file.get("e1").sizes(), torch::IntArrayRef({0, 4}));

  auto meta = decode_safetensors(raw_file(R"({"__metadata__":{"k":"v"}})"), "m.safetensors");
  EXPECT_TRUE(meta.tensors.empty());
  EXPECT_EQ(meta.metadata.at("k"), "v");
  EXPECT_TRUE(decode_safetensors(raw_file("{}"), "e.safetensors").tensors.empty());
}

TEST(SafetensorsTest, GetNamesTheMissingAndTheClosestName) {
  auto file = decode_safetensors(
      encode_safetensors({{"fc1.weight", torch::zeros({1})}, {"fc2.bias", torch::zeros({1})}}),
      "g.safetensors");
  EXPECT_THAT(
      [&] { file.get("fc1.weigth"); },
      ThrowsMessage<c10::Error>(HasSubstr("safetensors: no tensor named 'fc1.weigth'; the closest "
                                          "name present is 'fc1.weight'")));
  hnet::io::TensorFile empty;
  EXPECT_THAT(
      [&] { empty.get("w"); },
      ThrowsMessage<c10::Error>(HasSubstr("no tensor named 'w' (the file holds no tensors)")));
}

TEST(SafetensorsTest, EncodeRejectsBadInput) {
  auto t = torch::zeros({1});
  auto fails_with = [](const NamedTensors& tensors, const std::string& message) {
    EXPECT_THAT(
        [&] { encode_safetensors(tensors); }, ThrowsMessage<c10::Error>(HasSubstr(message)));
  };
  fails_with({{"", t}}, "encode_safetensors: tensor names must be non-empty");
  fails_with({{"w", t}, {"w", t}}, "encode_safetensors: duplicate tensor name 'w'");
  fails_with({{"__metadata__", t}}, "'__metadata__' is reserved and cannot name a tensor");
  fails_with({{"w", torch::Tensor()}}, "tensor 'w' is undefined");
  fails_with(
      {{"c", torch::zeros({1}, torch::kComplexFloat)}},
      "tensor 'c' has unsupported dtype ComplexFloat (supported: F64, F32");
  fails_with({{"s", t.to_sparse()}}, "tensor 's' has layout Sparse; only dense");
  fails_with({{"bad\xff", t}}, "tensor name \"bad\xEF\xBF\xBD\" is not valid UTF-8");
  EXPECT_THAT(
      [&] {
        encode_safetensors({{"w", t}}, {{"k", "\xc3"}});
      },
      ThrowsMessage<c10::Error>(HasSubstr("metadata value \"\xEF\xBF\xBD\" is not valid UTF-8")));
}

// One malformed file and the message it must produce after
// "safetensors: bad.safetensors: ".
struct BadFile {
  std::string label;
  std::string bytes;
  std::string message;
};

void PrintTo(const BadFile& c, std::ostream* os) {
  *os << c.label << " (expects \"" << c.message << "\")";
}

class SafetensorsBadFileTest : public ::testing::TestWithParam<BadFile> {};

TEST_P(SafetensorsBadFileTest, IsRejectedWithAClearMessage) {
  const BadFile& c = GetParam();
  EXPECT_THAT(
      [&] { decode_safetensors(c.bytes, "bad.safetensors"); },
      ThrowsMessage<c10::ValueError>(HasSubstr("safetensors: bad.safetensors: " + c.message)));
}

// load_safetensors reads the header before the data (it never trusts a size
// before checking it): the same bytes in a file give the same error.
TEST_P(SafetensorsBadFileTest, IsRejectedTheSameWayFromAFile) {
  const BadFile& c = GetParam();
  const std::string file = ::testing::TempDir() + "hnet_bad_" + c.label + ".safetensors";
  std::ofstream(file, std::ios::binary) << c.bytes;
  EXPECT_THAT(
      [&] { hnet::io::load_safetensors(file); },
      ThrowsMessage<c10::ValueError>(HasSubstr("safetensors: " + file + ": " + c.message)));
  std::remove(file.c_str());
}

// {"a": {<fields>}} for one entry.
std::string entry(const std::string& fields, const std::string& name = "a") {
  return "{\"" + name + "\":{" + fields + "}}";
}
const std::string kF32x2 = R"("dtype":"F32","shape":[2])";

INSTANTIATE_TEST_SUITE_P(
    AllProblems, SafetensorsBadFileTest,
    ::testing::Values(
        BadFile{"short", "abcde", "file is 5 bytes, shorter than the 8-byte header length"},
        BadFile{"zero_header", with_length(0, "{}"), "header length is 0"},
        BadFile{
            "huge_header", with_length(200u << 20, "{}"),
            "header length 209715200 is over the limit of 104857600 bytes (100 MB)"},
        BadFile{
            "header_past_end", with_length(999, std::string(112, ' ')),
            "header length 999 is larger than the rest of the file (112 bytes)"},
        BadFile{
            "not_utf8", raw_file("{\"a\xff\":1}"),
            "header is not valid UTF-8 (bad byte 0xff at header offset 3)"},
        BadFile{
            "overlong_utf8", raw_file("{\"\xc0\xaf\":1}"),
            "header is not valid UTF-8 (bad byte 0xc0 at header offset 2)"},
        BadFile{"not_json", raw_file("{\"a\":"), "header is not valid JSON: "},
        BadFile{"trailing_json", raw_file("{} {}"), "header is not valid JSON: "},
        BadFile{
            "number_out_of_range",
            raw_file(entry(R"("dtype":"F32","shape":[1e400],"data_offsets":[0,4])"), "abcd"),
            "header is not valid JSON: "},
        BadFile{"not_object", raw_file("[1,2]"), "header is not a JSON object, got array"},
        BadFile{
            "duplicate_name",
            raw_file(
                R"({"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},)"
                R"("a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}})",
                "x"),
            "header has duplicate key 'a'"},
        BadFile{
            "duplicate_field",
            raw_file(
                entry(R"("dtype":"F32","dtype":"F32","shape":[2],"data_offsets":[0,8])"),
                std::string(8, '\0')),
            "header has duplicate key 'dtype' inside 'a'"},
        BadFile{
            "entry_not_object", raw_file(R"({"a":[1]})"), "entry 'a' is not an object, got array"},
        BadFile{"empty_name", raw_file(entry(kF32x2, "")), "tensor name is empty"},
        BadFile{
            "missing_field", raw_file(entry(kF32x2)), "entry 'a' is missing field 'data_offsets'"},
        BadFile{
            "extra_field", raw_file(entry(kF32x2 + R"(,"data_offsets":[0,8],"stride":[1])")),
            "entry 'a' has unexpected field 'stride' (allowed: dtype, shape, data_offsets)"},
        BadFile{
            "unsupported_dtype",
            raw_file(entry(R"("dtype":"C64","shape":[],"data_offsets":[0,8])")),
            "entry 'a' has unsupported dtype \"C64\" (supported: F64, F32, F16, BF16, I64, I32, "
            "I16, I8, U8, BOOL)"},
        BadFile{
            "dtype_not_string", raw_file(entry(R"("dtype":4,"shape":[],"data_offsets":[0,4])")),
            "entry 'a': dtype must be a string, got 4"},
        BadFile{
            "shape_not_list", raw_file(entry(R"("dtype":"F32","shape":2,"data_offsets":[0,8])")),
            "entry 'a': shape must be a list of non-negative integers, got 2"},
        BadFile{
            "shape_negative",
            raw_file(entry(R"("dtype":"F32","shape":[2,-1],"data_offsets":[0,8])")),
            "entry 'a': shape must be a list of non-negative integers, got [2,-1]"},
        BadFile{
            "shape_float", raw_file(entry(R"("dtype":"F32","shape":[2.0],"data_offsets":[0,8])")),
            "entry 'a': shape must be a list of non-negative integers, got [2.0]"},
        BadFile{
            "shape_overflow",
            raw_file(
                entry(R"("dtype":"F32","shape":[4611686018427387904,4],"data_offsets":[0,8])")),
            "entry 'a': shape [4611686018427387904, 4] of F32 is too large: its byte size "
            "overflows int64"},
        BadFile{
            "offsets_one", raw_file(entry(kF32x2 + R"(,"data_offsets":[0])")),
            "entry 'a': data_offsets must be two non-negative integers [begin, end], got [0]"},
        BadFile{
            "offsets_negative", raw_file(entry(kF32x2 + R"(,"data_offsets":[-8,0])")),
            "entry 'a': data_offsets must be two non-negative integers [begin, end], got [-8,0]"},
        BadFile{
            "offsets_string", raw_file(entry(kF32x2 + R"(,"data_offsets":[0,"8"])")),
            "entry 'a': data_offsets must be two non-negative integers [begin, end], got "
            "[0,\"8\"]"},
        BadFile{
            "offsets_reversed", raw_file(entry(kF32x2 + R"(,"data_offsets":[8,0])")),
            "entry 'a': data_offsets [8, 0] must have begin <= end"},
        BadFile{
            "size_mismatch", raw_file(entry(kF32x2 + R"(,"data_offsets":[0,4])"), "abcd"),
            "entry 'a': data_offsets [0, 4] span 4 bytes but shape [2] of F32 needs 8"},
        BadFile{
            "out_of_buffer", raw_file(entry(kF32x2 + R"(,"data_offsets":[0,8])"), "abcd"),
            "entry 'a': data_offsets [0, 8] reach past the end of the data buffer (4 bytes)"},
        BadFile{
            "overlap",
            raw_file(
                R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                R"("b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})",
                std::string(12, '\0')),
            "entries 'a' [0, 8] and 'b' [4, 12] overlap"},
        BadFile{
            "empty_inside_another",
            raw_file(
                R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                R"("b":{"dtype":"F32","shape":[0],"data_offsets":[4,4]}})",
                std::string(8, '\0')),
            "entries 'a' [0, 8] and 'b' [4, 4] overlap"},
        BadFile{
            "gap",
            raw_file(
                R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                R"("b":{"dtype":"F32","shape":[2],"data_offsets":[12,20]}})",
                std::string(20, '\0')),
            "gap in the data buffer: bytes [8, 12) belong to no tensor"},
        BadFile{
            "gap_at_start",
            raw_file(entry(kF32x2 + R"(,"data_offsets":[4,12])"), std::string(12, '\0')),
            "gap in the data buffer: bytes [0, 4) belong to no tensor"},
        BadFile{
            "trailing_bytes",
            raw_file(entry(kF32x2 + R"(,"data_offsets":[0,8])"), std::string(12, '\0')),
            "data buffer has 12 bytes but the tensors cover only 8 (4 trailing bytes)"},
        BadFile{
            "data_without_tensors", raw_file("{}", "xyz"),
            "data buffer has 3 bytes but the tensors cover only 0 (3 trailing bytes)"},
        BadFile{
            "metadata_not_object", raw_file(R"({"__metadata__":["k"]})"),
            "__metadata__ must be an object of strings, got array [\"k\"]"},
        BadFile{
            "metadata_not_string", raw_file(R"({"__metadata__":{"k":1}})"),
            "__metadata__ value of key 'k' must be a string, got 1"},
        BadFile{
            "bad_bool",
            raw_file(
                entry(R"("dtype":"BOOL","shape":[3],"data_offsets":[0,3])"),
                std::string("\x01\x00\x02", 3)),
            "entry 'a' of BOOL holds byte 2 at element 2; only 0 and 1 are allowed"},
        // Hostile or unusual inputs beyond the first list.
        BadFile{
            "header_length_u64_max", with_length(UINT64_MAX, "{}"),
            "header length 18446744073709551615 is over the limit of 104857600 bytes"},
        BadFile{
            "header_length_only", with_length(1, ""),
            "header length 1 is larger than the rest of the file (0 bytes)"},
        BadFile{
            "header_one_past_end", with_length(3, "{}"),
            "header length 3 is larger than the rest of the file (2 bytes)"},
        BadFile{
            "utf8_lone_continuation", raw_file("{\"\x80\":1}"),
            "header is not valid UTF-8 (bad byte 0x80 at header offset 2)"},
        BadFile{
            "utf8_cut_short", raw_file("{}\xe2\x82"),
            "header is not valid UTF-8 (bad byte 0xe2 at header offset 2)"},
        BadFile{
            "utf8_surrogate", raw_file("{\"\xed\xa0\x80\":1}"),
            "header is not valid UTF-8 (bad byte 0xed at header offset 2)"},
        BadFile{
            "utf8_past_u10ffff", raw_file("{\"\xf4\x90\x80\x80\":1}"),
            "header is not valid UTF-8 (bad byte 0xf4 at header offset 2)"},
        BadFile{"json_nul", raw_file(std::string("{\"a\":\0}", 7)), "header is not valid JSON: "},
        BadFile{"json_comment", raw_file("{/* c */}"), "header is not valid JSON: "},
        BadFile{"json_nan", raw_file(entry(R"("shape":[NaN])")), "header is not valid JSON: "},
        BadFile{"only_spaces", raw_file("        "), "header is not valid JSON: "},
        BadFile{"header_string", raw_file(R"("abc")"), "header is not a JSON object, got string"},
        BadFile{
            "deep_metadata",
            raw_file(
                "{\"__metadata__\":" + std::string(100000, '[') + std::string(100000, ']') + "}"),
            "header nests objects and lists deeper than 64 levels"},
        BadFile{
            "deep_unclosed", raw_file(std::string(1 << 20, '[')),
            "header nests objects and lists deeper than 64 levels"},
        BadFile{
            "deep_shape",
            raw_file(entry(
                R"("dtype":"F32","shape":)" + std::string(70, '[') + std::string(70, ']') +
                R"(,"data_offsets":[0,0])")),
            "header nests objects and lists deeper than 64 levels"},
        BadFile{
            "duplicate_metadata", raw_file(R"({"__metadata__":{},"__metadata__":{}})"),
            "header has duplicate key '__metadata__'"},
        BadFile{
            "duplicate_in_metadata", raw_file(R"({"__metadata__":{"k":"1","k":"2"}})"),
            "header has duplicate key 'k' inside '__metadata__'"},
        BadFile{
            "metadata_null", raw_file(R"({"__metadata__":{"k":null}})"),
            "__metadata__ value of key 'k' must be a string, got null"},
        BadFile{
            "metadata_nested", raw_file(R"({"__metadata__":{"k":{"x":"y"}}})"),
            "__metadata__ value of key 'k' must be a string, got {\"x\":\"y\"}"},
        BadFile{"entry_null", raw_file(R"({"a":null})"), "entry 'a' is not an object, got null"},
        BadFile{
            "dtype_lowercase", raw_file(entry(R"("dtype":"f32","shape":[],"data_offsets":[0,4])")),
            "entry 'a' has unsupported dtype \"f32\""},
        BadFile{
            "dtype_fp8", raw_file(entry(R"("dtype":"F8_E4M3","shape":[],"data_offsets":[0,1])")),
            "entry 'a' has unsupported dtype \"F8_E4M3\""},
        BadFile{
            "shape_past_int64",
            raw_file(entry(R"("dtype":"U8","shape":[9223372036854775808],"data_offsets":[0,1])")),
            "entry 'a': shape must be a list of non-negative integers, got [9223372036854775808]"},
        BadFile{
            "shape_bool", raw_file(entry(R"("dtype":"U8","shape":[true],"data_offsets":[0,1])")),
            "entry 'a': shape must be a list of non-negative integers, got [true]"},
        BadFile{
            "shape_overflow_f64",
            raw_file(entry(R"("dtype":"F64","shape":[1152921504606846976],"data_offsets":[0,8])")),
            "entry 'a': shape [1152921504606846976] of F64 is too large"},
        BadFile{
            "huge_claim_small_file",
            raw_file(entry(R"("dtype":"U8","shape":[4611686018427387904],)"
                           R"("data_offsets":[0,4611686018427387904])")),
            "entry 'a': data_offsets [0, 4611686018427387904] reach past the end of the data "
            "buffer (0 bytes)"},
        BadFile{
            "offsets_past_int64",
            raw_file(entry(kF32x2 + R"(,"data_offsets":[0,9223372036854775808])")),
            "entry 'a': data_offsets must be two non-negative integers [begin, end], got "
            "[0,9223372036854775808]"},
        BadFile{
            "offsets_three", raw_file(entry(kF32x2 + R"(,"data_offsets":[0,8,8])")),
            "entry 'a': data_offsets must be two non-negative integers [begin, end], got [0,8,8]"},
        BadFile{
            "same_bytes_twice",
            raw_file(
                R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                R"("b":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})",
                std::string(8, '\0')),
            "entries 'a' [0, 8] and 'b' [0, 8] overlap"},
        BadFile{
            "overlap_listed_backwards",
            raw_file(
                R"({"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]},)"
                R"("a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})",
                std::string(12, '\0')),
            "entries 'a' [0, 8] and 'b' [4, 12] overlap"}),
    [](const ::testing::TestParamInfo<BadFile>& info) { return info.param.label; });

TEST_F(SafetensorsFileTest, SavesAndLoadsAFile) {
  NamedTensors tensors = {{"w", torch::eye(3)}, {"b", torch::arange(3)}};
  hnet::io::save_safetensors(path("m.safetensors"), tensors, {{"epoch", "3"}});
  EXPECT_EQ(listing(), std::vector<std::string>{"m.safetensors"});  // no temporary left
  auto file = hnet::io::load_safetensors(path("m.safetensors"));
  EXPECT_TRUE(torch::equal(file.get("w"), torch::eye(3)));
  EXPECT_TRUE(torch::equal(file.get("b"), torch::arange(3)));
  EXPECT_EQ(file.metadata.at("epoch"), "3");

  // Overwriting replaces the whole file.
  hnet::io::save_safetensors(path("m.safetensors"), {{"v", torch::ones({1})}});
  auto again = hnet::io::load_safetensors(path("m.safetensors"));
  ASSERT_EQ(again.tensors.size(), 1u);
  EXPECT_EQ(again.tensors[0].first, "v");
}

TEST_F(SafetensorsFileTest, LoadErrorsNameTheFile) {
  std::string missing = path("missing.safetensors");
  EXPECT_THAT(
      [&] { hnet::io::load_safetensors(missing); },
      ThrowsMessage<c10::Error>(HasSubstr(missing + ": cannot open: No such file or directory")));
  std::ofstream(path("short.safetensors")) << "abc";
  EXPECT_THAT(
      [&] { hnet::io::load_safetensors(path("short.safetensors")); },
      ThrowsMessage<c10::Error>(HasSubstr(
          "safetensors: " + path("short.safetensors") + ": file is 3 bytes, shorter than")));
}

TEST_F(SafetensorsFileTest, FailedSaveLeavesTheOldFileAndNoTemporary) {
  std::string target = path("m.safetensors");
  hnet::io::save_safetensors(target, {{"old", torch::ones({2})}});
  // Encoding fails before anything is written.
  EXPECT_THROW(hnet::io::save_safetensors(target, {{"", torch::ones({2})}}), c10::Error);
  EXPECT_EQ(hnet::io::load_safetensors(target).tensors[0].first, "old");

  std::string nowhere = path("no/such/folder/m.safetensors");
  EXPECT_THAT(
      [&] {
        hnet::io::save_safetensors(nowhere, {{"w", torch::ones({2})}});
      },
      ThrowsMessage<c10::Error>(
          HasSubstr(nowhere + ": cannot create a temporary file next to it")));
  EXPECT_EQ(listing(), std::vector<std::string>{"m.safetensors"});
}

}  // namespace
