#include "hnet/ghn/ghn_training.h"

#include <ATen/CPUGeneratorImpl.h>
#include <torch/nn/functional/loss.h>
#include <torch/nn/utils/clip_grad.h>

#include <memory>
#include <vector>

#include "hnet/errors.h"
#include "hnet/ghn/graph.h"
#include "hnet/targets/module_adapter.h"

namespace hnet {
namespace {

// A sampled network ready for prediction: its module, the adapter that
// takes predicted parameters, and its graph.
struct PredictedNet {
  ArchNet net;
  ModuleAdapter target;
  ComputationGraph graph;

  explicit PredictedNet(const Architecture& arch)
      : net(arch), target(net), graph(graph_of(*target, example_input(arch))) {
    // Batch statistics in every forward (see the header).
    target->train();
  }

  static torch::Tensor example_input(const Architecture& arch) {
    std::vector<int64_t> shape{1};
    shape.insert(shape.end(), arch.input.begin(), arch.input.end());
    return torch::zeros(shape);
  }
};

// The seed of step k's draws: distinct (seed, k) give unrelated streams.
uint64_t step_seed(uint64_t seed, int64_t k) {
  uint64_t x = seed * 0x9E3779B97F4A7C15ULL + static_cast<uint64_t>(k);
  x ^= x >> 31;
  x *= 0xBF58476D1CE4E5B9ULL;
  return x ^ (x >> 29);
}

}  // namespace

GhnTrainer::GhnTrainer(
    GhnImpl& ghn, ArchSpaceOptions space, std::set<std::string> held_out,
    const data::Dataset& train, GhnTrainingOptions options, const distributed::Communicator* comm)
    : ghn_(ghn),
      space_(std::move(space)),
      held_out_(std::move(held_out)),
      train_(train),
      options_(options),
      comm_(comm),
      adam_(
          ghn.parameters(),
          torch::optim::AdamOptions(options.lr()).weight_decay(options.weight_decay())) {
  const auto& o = options_;
  HNET_CHECK_INPUT(
      o.meta_batch() > 0, "ghn training: 'meta_batch' must be > 0, got ", o.meta_batch());
  HNET_CHECK_INPUT(
      o.batch_size() > 1,
      "ghn training: 'batch_size' must be > 1 (batch norms need two "
      "images), got ",
      o.batch_size());
  HNET_CHECK_INPUT(o.lr() > 0, "ghn training: 'lr' must be > 0, got ", o.lr());
  HNET_CHECK_INPUT(
      o.grad_clip() >= 0, "ghn training: 'grad_clip' must be >= 0, got ", o.grad_clip());
  HNET_CHECK_INPUT(train_.size() > 1, "ghn training: the training set has fewer than 2 images");
  ArchitectureSampler check(space_, 0);  // throws on a bad space
  if (comm_ && comm_->world_size() > 1) {
    HNET_CHECK_INPUT(
        o.meta_batch() % comm_->world_size() == 0, "ghn training: 'meta_batch' ", o.meta_batch(),
        " does not split evenly over ", comm_->world_size(), " ranks");
    torch::NoGradGuard no_grad;
    comm_->broadcast(ghn_.parameters());
    comm_->broadcast(ghn_.buffers());
  }
}

double GhnTrainer::step(int64_t k) {
  HNET_CHECK_INPUT(k >= 1, "ghn training: steps count from 1, got ", k);
  const auto& o = options_;
  ghn_.train();
  const uint64_t seed = step_seed(o.seed(), k);
  ArchitectureSampler sampler(space_, seed);
  std::vector<std::unique_ptr<PredictedNet>> nets;
  std::vector<const ComputationGraph*> graphs;
  std::vector<const Spec*> specs;
  const auto device = ghn_.parameters().front().device();
  const bool parallel = comm_ && comm_->world_size() > 1;
  const int64_t share = parallel ? o.meta_batch() / comm_->world_size() : o.meta_batch();
  const int64_t first = parallel ? comm_->rank() * share : 0;
  for (int64_t i = 0; i < o.meta_batch(); ++i) {
    auto arch = sampler.next(held_out_);  // every rank draws all, in order
    if (i < first || i >= first + share) continue;
    nets.push_back(std::make_unique<PredictedNet>(arch));
    nets.back()->target->to(device);
    graphs.push_back(&nets.back()->graph);
    specs.push_back(nets.back()->target->spec().get());
  }
  auto gen = at::make_generator<at::CPUGeneratorImpl>(seed);
  const auto idx = torch::randperm(train_.size(), gen, torch::kLong)
                       .narrow(0, 0, std::min(o.batch_size(), train_.size()));
  const auto images = train_.images.index_select(0, idx).to(device);
  const auto labels = train_.labels.index_select(0, idx).to(device);
  const auto flats = ghn_.predict(graphs, specs);
  torch::Tensor loss;
  for (size_t i = 0; i < nets.size(); ++i) {
    auto& n = *nets[i];
    const auto logits = n.target->forward(
        architecture_input(n.net->architecture(), images), Weights(n.target->spec(), flats[i]));
    const auto ce = torch::nn::functional::cross_entropy(logits, labels);
    loss = i == 0 ? ce : loss + ce;
  }
  loss = loss / static_cast<double>(o.meta_batch());
  adam_.zero_grad();
  loss.backward();
  auto value = loss.detach().to(torch::kCPU, torch::kDouble).reshape({1});
  if (parallel) {
    distributed::all_reduce_gradients(*comm_, ghn_.parameters());
    comm_->all_reduce_sum({value});
  }
  if (o.grad_clip() > 0) torch::nn::utils::clip_grad_norm_(ghn_.parameters(), o.grad_clip());
  adam_.step();
  return value.item<double>();
}

void train_ghn(
    GhnImpl& ghn, const ArchSpaceOptions& space, const std::set<std::string>& held_out,
    const data::Dataset& train, const GhnTrainingOptions& options,
    const std::function<void(const GhnStep&)>& on_step) {
  HNET_CHECK_INPUT(options.steps() > 0, "ghn training: 'steps' must be > 0, got ", options.steps());
  GhnTrainer trainer(ghn, space, held_out, train, options);
  for (int64_t k = 1; k <= options.steps(); ++k) {
    const double loss = trainer.step(k);
    if (on_step) on_step({k, loss});
  }
}

torch::Tensor architecture_input(const Architecture& arch, const torch::Tensor& images) {
  std::vector<int64_t> shape{images.size(0)};
  shape.insert(shape.end(), arch.input.begin(), arch.input.end());
  return images.reshape(shape);
}

double network_accuracy(ArchNet& net, const data::Dataset& test, int64_t batch) {
  HNET_CHECK_INPUT(batch > 1, "accuracy: batch must be > 1, got ", batch);
  HNET_CHECK_INPUT(test.size() > 0, "accuracy: the test set is empty");
  torch::NoGradGuard no_grad;
  const auto device = net->parameters().front().device();
  const bool was_training = net->is_training();
  net->train();  // batch statistics (see the header)
  int64_t correct = 0;
  for (int64_t start = 0; start < test.size(); start += batch) {
    const int64_t len = std::min(batch, test.size() - start);
    const auto x =
        architecture_input(net->architecture(), test.images.narrow(0, start, len).to(device));
    const auto y = test.labels.narrow(0, start, len).to(device);
    correct += net->forward(x).argmax(1).eq(y).sum().item<int64_t>();
  }
  net->train(was_training);
  return static_cast<double>(correct) / static_cast<double>(test.size());
}

void predict_into(GhnImpl& ghn, ArchNet& net) {
  net->to(ghn.parameters().front().device());
  predict_parameters(
      ghn, net,
      PredictedNet::example_input(net->architecture()).to(ghn.parameters().front().device()));
}

double predicted_accuracy(
    GhnImpl& ghn, const Architecture& arch, const data::Dataset& test, int64_t batch) {
  ArchNet net(arch);
  predict_into(ghn, net);
  return network_accuracy(net, test, batch);
}

}  // namespace hnet
