#include "hnet/data/fashion_mnist.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>
#include <zlib.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>

#include "support/idx_files.h"
#include "support/test_support.h"

namespace {

using ::hnet::test::GzFile;
using ::hnet::test::idx_bytes;

namespace fs = std::filesystem;
using hnet::data::default_data_root;
using hnet::data::load_fashion_mnist;
using hnet::data::Split;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::ThrowsMessage;

constexpr const char* kDebianRoot = "/usr/share/datasets/fashion-mnist";

using ::hnet::test::ScopedEnv;

class FashionMnistFilesTest : public ::hnet::test::ScratchDirTest {
 protected:
  std::string root() const {
    return dir_.string();
  }
  std::string write_gz(const std::string& name, const std::string& bytes) const {
    std::string p = (dir_ / name).string();
    GzFile f(gzopen(p.c_str(), "wb"));
    EXPECT_TRUE(f);
    gzwrite(f.get(), bytes.data(), static_cast<unsigned>(bytes.size()));
    return p;
  }
  // `n` test images whose pixels are all `pixel`, and `labels`.
  void write_test_split(uint32_t n, unsigned char pixel, const std::string& labels) const {
    write_gz(
        "t10k-images-idx3-ubyte.gz",
        idx_bytes({n, 28, 28}, std::string(n * 28 * 28, static_cast<char>(pixel))));
    write_gz("t10k-labels-idx1-ubyte.gz", idx_bytes({uint32_t(labels.size())}, labels));
  }
};

TEST(FashionMnistTest, RealDataHasTheKnownShapeAndBalance) {
  if (!fs::is_directory(kDebianRoot)) GTEST_SKIP() << kDebianRoot << " not installed";
  auto train = load_fashion_mnist(kDebianRoot, Split::kTrain);
  auto test = load_fashion_mnist(kDebianRoot, Split::kTest);
  EXPECT_EQ(train.size(), 60000);
  EXPECT_EQ(test.size(), 10000);
  for (const auto* d : {&train, &test}) {
    EXPECT_EQ(d->images.scalar_type(), torch::kFloat32);
    EXPECT_EQ(d->labels.scalar_type(), torch::kInt64);
    EXPECT_EQ(d->images.sizes(), torch::IntArrayRef({d->size(), 1, 28, 28}));
    EXPECT_GE(d->images.min().item<float>(), 0.0f);
    EXPECT_LE(d->images.max().item<float>(), 1.0f);
    EXPECT_EQ(d->images.max().item<float>(), 1.0f);  // some pixel is saturated
    EXPECT_EQ(d->labels.min().item<int64_t>(), 0);
    EXPECT_EQ(d->labels.max().item<int64_t>(), 9);
  }
  EXPECT_TRUE(torch::equal(train.labels.bincount(), torch::full({10}, 6000, torch::kInt64)));
  EXPECT_TRUE(torch::equal(test.labels.bincount(), torch::full({10}, 1000, torch::kInt64)));
}

TEST(FashionMnistTest, HnetDataOverridesTheDefaultRoot) {
  {
    ScopedEnv env("HNET_DATA", "/data/fmnist");
    EXPECT_EQ(default_data_root(), "/data/fmnist");
  }
  {
    ScopedEnv env("HNET_DATA", "");
    EXPECT_EQ(default_data_root(), kDebianRoot);
  }
  {
    ScopedEnv env("HNET_DATA", nullptr);
    EXPECT_EQ(default_data_root(), kDebianRoot);
  }
  EXPECT_EQ(hnet::data::Dataset().size(), 0);
}

TEST_F(FashionMnistFilesTest, LoadsAndScalesASmallSplit) {
  write_test_split(3, 255, std::string("\x00\x09\x04", 3));
  auto d = load_fashion_mnist(root(), Split::kTest);
  EXPECT_EQ(d.size(), 3);
  EXPECT_EQ(d.images.sizes(), torch::IntArrayRef({3, 1, 28, 28}));
  EXPECT_TRUE(torch::equal(d.images, torch::ones({3, 1, 28, 28})));
  EXPECT_TRUE(torch::equal(d.labels, torch::tensor({0, 9, 4}, torch::kInt64)));

  // Uncompressed files are found when the .gz ones are absent.
  fs::path plain = dir_ / "plain";
  fs::create_directories(plain);
  std::ofstream(plain / "train-images-idx3-ubyte", std::ios::binary)
      << idx_bytes({1, 28, 28}, std::string(28 * 28, '\x33'));
  std::ofstream(plain / "train-labels-idx1-ubyte", std::ios::binary)
      << idx_bytes({1}, std::string(1, '\x07'));
  auto p = load_fashion_mnist(plain.string(), Split::kTrain);
  EXPECT_FLOAT_EQ(p.images[0][0][5][5].item<float>(), 0x33 / 255.0f);
  EXPECT_EQ(p.labels[0].item<int64_t>(), 7);
}

TEST_F(FashionMnistFilesTest, MissingFolderOrFileSaysWhereToGetTheData) {
  std::string nowhere = (dir_ / "nowhere").string();
  EXPECT_THAT(
      [&] { load_fashion_mnist(nowhere, Split::kTrain); },
      ThrowsMessage<c10::Error>(AllOf(
          HasSubstr("fashion_mnist: data folder " + nowhere + " does not exist"),
          HasSubstr("dataset-fashion-mnist"), HasSubstr("HNET_DATA"))));
  EXPECT_THAT(
      [&] { load_fashion_mnist(root(), Split::kTrain); },
      ThrowsMessage<c10::Error>(AllOf(
          HasSubstr("fashion_mnist: file " + root() + "/train-images-idx3-ubyte.gz does not exist"),
          HasSubstr("dataset-fashion-mnist"), HasSubstr("HNET_DATA"))));
  write_gz("t10k-images-idx3-ubyte.gz", idx_bytes({1, 28, 28}, std::string(784, '\0')));
  EXPECT_THAT(
      [&] { load_fashion_mnist(root(), Split::kTest); },
      ThrowsMessage<c10::Error>(HasSubstr(
          "fashion_mnist: file " + root() + "/t10k-labels-idx1-ubyte.gz does not exist")));
}

TEST_F(FashionMnistFilesTest, RejectsInconsistentFiles) {
  const std::string images = root() + "/t10k-images-idx3-ubyte.gz";
  const std::string labels = root() + "/t10k-labels-idx1-ubyte.gz";
  auto fails_with = [&](const std::string& message) {
    EXPECT_THAT(
        [&] { load_fashion_mnist(root(), Split::kTest); },
        ThrowsMessage<c10::Error>(HasSubstr(message)));
  };
  write_gz("t10k-images-idx3-ubyte.gz", idx_bytes({2, 28, 27}, std::string(2 * 28 * 27, '\0')));
  write_gz("t10k-labels-idx1-ubyte.gz", idx_bytes({2}, std::string(2, '\0')));
  fails_with(
      "fashion_mnist: " + images + ": images have dims [2, 28, 27] but [N, 28, 28] is required");

  write_test_split(2, 0, std::string(3, '\0'));
  fails_with("fashion_mnist: " + labels + " holds 3 labels but " + images + " holds 2 images");

  write_test_split(3, 0, std::string("\x01\x0a\x02", 3));
  fails_with(
      "fashion_mnist: " + labels + ": label 10 at index 1 is out of range; labels must be 0..9");

  write_test_split(1, 0, std::string(1, '\0'));
  write_gz("t10k-labels-idx1-ubyte.gz", idx_bytes({1, 1}, std::string(1, '\0')));
  fails_with("fashion_mnist: " + labels + ": labels have dims [1, 1] but [N] is required");
}

}  // namespace
