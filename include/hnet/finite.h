#pragma once
/// \file
/// Finding NaN and infinite values, for the checks that stop a run on them.

#include <torch/types.h>

#include <string>

namespace hnet {

/// "" when every element of `t` is finite (or `t` is undefined, or not of a
/// floating dtype); else where it is not, for an error message:
/// "2 NaN and 1 infinite values, the first at [5, 0]".
///
/// One reduction and one synchronisation when all is well; the element
/// search only runs on failure.
///
/// Example:
///   auto what = describe_nonfinite(images);
///   TORCH_CHECK(what.empty(), "task 2: the training images hold ", what);
std::string describe_nonfinite(const torch::Tensor& t);

}  // namespace hnet
