#pragma once
/// \file
/// Multi-task dense prediction on Fashion-MNIST images with a shared (often
/// frozen) encoder, the setting of Polyhistor (Liu et al. 2022) scaled to
/// this data: per-task decoders, per-task losses and metrics, and the
/// average relative improvement Delta_m over a reference.
///
/// The tasks' labels are derived from the images, deterministically:
///   segment   11-class per-pixel labels: a pixel brighter than 0.1 gets the
///             image's class (0..9), any other pixel the background class
///             10. Cross-entropy; metric mIoU over the 11 classes.
///   edges     the Sobel gradient magnitude of the image, divided by 4 (so
///             that it lies in [0, ~1.42]). Mean squared error; metric PSNR
///             (peak 1) of the whole set's mean squared error.
///   distance  for foreground pixels, the chessboard distance to the
///             nearest background pixel (erosions until the pixel is gone),
///             divided by 8; 0 on the background: a depth-like map. MSE;
///             metric PSNR as for edges.
///
/// PSNR rather than MSE enters Delta_m: relative changes of an MSE near 0
/// (a ratio of 10 is -900 %) would drown every other task.
///   classify  the image's class, 10-way. Cross-entropy; metric accuracy.

#include <torch/nn/module.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/pimpl.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "hnet/adapters/encoder.h"
#include "hnet/data/fashion_mnist.h"

namespace hnet::multitask {

enum class TaskKind { kSegment, kEdges, kDistance, kClassify };

struct TaskInfo {
  std::string name;
  TaskKind kind;
  std::string metric;    ///< "miou", "psnr" (dB, peak 1) or "acc"
  bool lower_is_better;  ///< for Delta_m
  int64_t outputs;       ///< decoder output channels (or classes)
};

/// The task called `name`; c10::ValueError naming it and the known tasks otherwise.
TaskInfo task_info(const std::string& name);
/// Every known task name, in the default order.
std::vector<std::string> task_names();

constexpr int64_t kSegmentClasses = data::kFashionMnistClasses + 1;

/// Images with every task's labels (see the file comment).
struct TaskData {
  torch::Tensor images;    ///< float [N, 1, 28, 28]
  torch::Tensor labels;    ///< int64 [N]
  torch::Tensor segment;   ///< int64 [N, 28, 28] in 0..10
  torch::Tensor edges;     ///< float [N, 1, 28, 28]
  torch::Tensor distance;  ///< float [N, 1, 28, 28]
  int64_t size() const {
    return images.defined() ? images.size(0) : 0;
  }
  /// Rows `index` of every field.
  TaskData rows(const torch::Tensor& index) const;
};
TaskData derive_task_data(const data::Dataset& d);

/// A per-task decoder on an encoder's stage feature maps. Dense tasks: each
/// stage through a 1x1 conv to `dim` channels, upsampled (bilinear) to the
/// input size and summed, ReLU, then a 3x3 conv to the task's outputs.
/// Classification: the last stage averaged over space, then a linear layer.
class DecoderImpl : public torch::nn::Module {
 public:
  DecoderImpl(
      const std::vector<int64_t>& stage_widths, const TaskInfo& task, int64_t dim,
      int64_t image_size);
  torch::Tensor forward(const std::vector<torch::Tensor>& stages);

 private:
  bool dense_;
  int64_t image_size_;
  std::vector<torch::nn::Conv2d> lateral_;
  torch::nn::Conv2d out_conv_{nullptr};
  torch::nn::Linear classifier_{nullptr};
};
TORCH_MODULE(Decoder);

/// The training loss of `task` on decoder `output` for `batch`'s labels.
torch::Tensor task_loss(const TaskInfo& task, const torch::Tensor& output, const TaskData& batch);

/// An encoder, its adaptation (may be null) and one decoder per task.
struct MultitaskModel {
  adapters::Encoder encoder{nullptr};
  std::shared_ptr<adapters::Adaptation> adaptation;
  std::vector<Decoder> decoders;
  std::vector<TaskInfo> tasks;
  /// Outputs of every task for `images`; the encoder runs once when there
  /// is no adaptation, else once per task.
  std::vector<torch::Tensor> forward(const torch::Tensor& images);
};

struct MultitaskTrainingOptions {
  int64_t steps = 1000;
  int64_t batch_size = 64;
  double lr = 1e-3;
  uint64_t seed = 1;
  bool train_encoder = false;  ///< full fine-tuning; else the encoder is frozen
};

/// The parameters `options` trains: the adaptation's and the decoders', and
/// the encoder's with train_encoder.
std::vector<torch::Tensor> trainable_parameters(
    MultitaskModel& model, const MultitaskTrainingOptions& options);

/// Adam on the sum of the tasks' losses, each divided by its value at the
/// first step (plus the adaptation's penalty),
/// `steps` batches drawn with replacement from `train` by `seed`.
/// `on_step(step, loss)` after each step with that scaled sum (may be empty).
void train_multitask(
    MultitaskModel& model, const TaskData& train, const MultitaskTrainingOptions& options,
    const std::function<void(int64_t, double)>& on_step);

/// Every task's metric on `d` (eval mode, no gradients, batches of `batch_size`).
std::vector<double> evaluate_multitask(
    MultitaskModel& model, const TaskData& d, int64_t batch_size);

/// Delta_m (Maninis et al. 2019, as Polyhistor reports it), in percent:
/// mean over tasks of (-1)^{lower_is_better} (metric - reference) / |reference| * 100.
/// c10::ValueError when the sizes differ or a reference is 0.
double delta_m(
    const std::vector<TaskInfo>& tasks, const std::vector<double>& metrics,
    const std::vector<double>& reference);

/// Pretrains `encoder` with a linear head (dropped afterwards) on the
/// images of classes 0..classes-1 of `train`: `steps` Adam steps at `lr`.
void pretrain_encoder(
    adapters::Encoder& encoder, const data::Dataset& train, int64_t classes, int64_t steps,
    int64_t batch_size, double lr, uint64_t seed,
    const std::function<void(int64_t, double)>& on_step);

}  // namespace hnet::multitask
