#include "hnet/data/fashion_mnist.h"

#include <c10/util/Exception.h>

#include <cstdlib>
#include <filesystem>

#include "hnet/data/idx.h"
#include "hnet/errors.h"
#include "hnet/spec.h"

namespace hnet::data {
namespace {

constexpr const char* kDefaultRoot = "/usr/share/datasets/fashion-mnist";
constexpr const char* kHowToGet =
    "Debian's dataset-fashion-mnist package provides these files (apt install "
    "dataset-fashion-mnist); or set HNET_DATA / data.root to a folder holding them";

// `<root>/<name>.gz`, else `<root>/<name>` uncompressed.
std::string find_file(const std::string& root, const std::string& name) {
  namespace fs = std::filesystem;
  std::string gz = (fs::path(root) / (name + ".gz")).string();
  std::string raw = (fs::path(root) / name).string();
  std::error_code ec;
  if (fs::is_regular_file(gz, ec)) return gz;
  if (fs::is_regular_file(raw, ec)) return raw;
  HNET_CHECK_INPUT(
      false, "fashion_mnist: file ", gz, " does not exist (nor ", raw, "); ", kHowToGet);
}

}  // namespace

int64_t Dataset::size() const {
  return labels.defined() ? labels.size(0) : 0;
}

std::string default_data_root() {
  const char* env = std::getenv("HNET_DATA");
  return env && *env ? std::string(env) : std::string(kDefaultRoot);
}

Dataset load_fashion_mnist(const std::string& root, Split split) {
  std::error_code ec;
  HNET_CHECK_INPUT(
      std::filesystem::is_directory(root, ec), "fashion_mnist: data folder ", root,
      " does not exist; ", kHowToGet);
  const std::string prefix = split == Split::kTrain ? "train" : "t10k";
  const std::string images_path = find_file(root, prefix + "-images-idx3-ubyte");
  const std::string labels_path = find_file(root, prefix + "-labels-idx1-ubyte");

  torch::Tensor images = read_idx(images_path);
  HNET_CHECK_INPUT(
      images.dim() == 3 && images.size(1) == kFashionMnistSide &&
          images.size(2) == kFashionMnistSide,
      "fashion_mnist: ", images_path, ": images have dims ", shape_str(images.sizes()),
      " but [N, 28, 28] is required");
  torch::Tensor labels = read_idx(labels_path);
  HNET_CHECK_INPUT(
      labels.dim() == 1, "fashion_mnist: ", labels_path, ": labels have dims ",
      shape_str(labels.sizes()), " but [N] is required");
  HNET_CHECK_INPUT(
      labels.size(0) == images.size(0), "fashion_mnist: ", labels_path, " holds ", labels.size(0),
      " labels but ", images_path, " holds ", images.size(0), " images");
  int64_t max_label = labels.max().item<int64_t>();
  if (max_label >= kFashionMnistClasses) {
    int64_t at = labels.argmax().item<int64_t>();
    HNET_CHECK_INPUT(
        false, "fashion_mnist: ", labels_path, ": label ", max_label, " at index ", at,
        " is out of range; labels must be 0..", kFashionMnistClasses - 1);
  }

  Dataset out;
  out.images = images.to(torch::kFloat32).div_(kPixelDivisor).unsqueeze(1);
  out.labels = labels.to(torch::kInt64);
  return out;
}

}  // namespace hnet::data
