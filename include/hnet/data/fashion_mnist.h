#pragma once
/// \file
/// The Fashion-MNIST data set (Xiao, Rasul, Vollgraf 2017): 28x28 grey-scale
/// images of clothing in 10 classes, 60000 for training and 10000 for testing.
///
/// On Debian the files come with the `dataset-fashion-mnist` package, under
/// /usr/share/datasets/fashion-mnist; `HNET_DATA` (or a config's `data.root`)
/// points elsewhere.

#include <torch/types.h>

#include <cstdint>
#include <string>

namespace hnet::data {

/// One image is kFashionMnistSide x kFashionMnistSide grey pixels; the
/// classes are 0..kFashionMnistClasses-1; `load_fashion_mnist` divides the
/// IDX bytes (0..255) by kPixelDivisor.
constexpr int64_t kFashionMnistSide = 28;
constexpr int64_t kFashionMnistClasses = 10;
constexpr double kPixelDivisor = 255.0;

/// Which half of the data set.
enum class Split {
  kTrain,  ///< 60000 examples: train-{images-idx3,labels-idx1}-ubyte.gz
  kTest,   ///< 10000 examples: t10k-{images-idx3,labels-idx1}-ubyte.gz
};

/// Images and labels of one split, on the CPU.
struct Dataset {
  torch::Tensor images;  ///< float32 [N, 1, 28, 28], the IDX bytes / kPixelDivisor
  torch::Tensor labels;  ///< int64 [N], class indices 0..9

  /// N, the number of examples (0 for a default-constructed Dataset).
  int64_t size() const;
};

/// `$HNET_DATA` when set and non-empty, else
/// "/usr/share/datasets/fashion-mnist".
///
/// Example:
///   auto train = load_fashion_mnist(default_data_root(), Split::kTrain);
std::string default_data_root();

/// Loads `split` from the folder `root`.
///
/// Each file is looked up as `<name>.gz` first, then uncompressed as `<name>`.
///
/// requires: `root` holds the split's image and label IDX files; images have
///           dims [N, 28, 28]; labels have dims [N] with values 0..9.
/// ensures:  `images` and `labels` have N rows each (see `Dataset`); a missing
///           folder or file raises a `c10::Error` naming the path and how to
///           get the data (Debian's `dataset-fashion-mnist`, `HNET_DATA`).
///
/// Example:
///   Dataset test = load_fashion_mnist("/usr/share/datasets/fashion-mnist",
///   Split::kTest); test.images.sizes();  // [10000, 1, 28, 28]
Dataset load_fashion_mnist(const std::string& root, Split split);

}  // namespace hnet::data
