// `hnet ghn finetune`: predicted parameters as an initialisation, against
// He initialisation, on the held-out architectures (GHN-2/3's fine-tuning
// comparison: Knyazev et al. 2021, 2023).

#include <torch/nn/functional/loss.h>
#include <torch/nn/init.h>
#include <torch/optim/sgd.h>

#include <nlohmann/json.hpp>
#include <numeric>

#include "ghn_folder.h"
#include "hnet/app/ghn_run.h"
#include "hnet/data/epoch_sampler.h"
#include "hnet/errors.h"
#include "hnet/ghn/ghn_training.h"

namespace hnet {
namespace {

using json = nlohmann::json;

// He (Kaiming normal, fan-in, ReLU gain) weights, zero biases, unit norms.
void he_initialize(ArchNet& net) {
  torch::NoGradGuard no_grad;
  for (auto& p : net->named_parameters()) {
    const bool weight = p.key().size() > 7 && p.key().substr(p.key().size() - 7) == ".weight";
    if (weight && p.value().dim() >= 2) {
      torch::nn::init::kaiming_normal_(p.value(), 0, torch::kFanIn, torch::kReLU);
    } else if (weight) {
      p.value().fill_(1);  // a norm's gain
    } else {
      p.value().zero_();
    }
  }
}

// Test accuracy of `net` trained from its current parameters, at each point.
std::vector<double> finetune_curve(
    ArchNet& net, const GhnData& d, int64_t steps, double lr, const std::vector<int64_t>& points,
    int64_t batch, uint64_t seed, int64_t eval_batch) {
  torch::optim::SGD sgd(net->parameters(), torch::optim::SGDOptions(lr).momentum(0.9));
  data::EpochSampler batches(d.train.size(), batch, seed);
  std::vector<double> acc;
  size_t next = 0;
  auto measure_due = [&](int64_t step) {
    while (next < points.size() && points[next] == step) {
      acc.push_back(network_accuracy(net, d.test, eval_batch));
      ++next;
    }
  };
  measure_due(0);
  net->train();
  const auto device = net->parameters().front().device();
  for (int64_t step = 1; step <= steps; ++step) {
    const auto idx = batches.next();
    const auto x =
        architecture_input(net->architecture(), d.train.images.index_select(0, idx).to(device));
    const auto loss = torch::nn::functional::cross_entropy(
        net->forward(x), d.train.labels.index_select(0, idx).to(device));
    sgd.zero_grad();
    loss.backward();
    sgd.step();
    measure_due(step);
  }
  return acc;
}

double mean(const std::vector<double>& v) {
  return std::accumulate(v.begin(), v.end(), 0.0) / static_cast<double>(v.size());
}

}  // namespace

std::string FinetuneResult::to_json() const {
  return json{
      {"steps", steps},
      {"predicted_acc", predicted_acc},
      {"he_acc", he_acc},
      {"predicted_per_arch", predicted_per_arch},
      {"he_per_arch", he_per_arch}}
      .dump(2);
}

FinetuneResult finetune_ghn(
    TrainedGhn& run, const std::string& set, int64_t archs, int64_t steps, double lr,
    const std::vector<int64_t>& points, std::ostream* log) {
  HNET_CHECK_INPUT(archs > 0, "finetune: the number of architectures must be > 0, got ", archs);
  HNET_CHECK_INPUT(steps > 0, "finetune: steps must be > 0, got ", steps);
  HNET_CHECK_INPUT(lr > 0, "finetune: the learning rate must be > 0, got ", lr);
  for (size_t i = 0; i < points.size(); ++i) {
    HNET_CHECK_INPUT(
        points[i] >= 0 && points[i] <= steps && (i == 0 || points[i] > points[i - 1]),
        "finetune: measuring points must rise within [0, ", steps, "], got ", points[i]);
  }
  const auto& all = run.sets.named(set);
  const size_t n = std::min<size_t>(static_cast<size_t>(archs), all.size());
  const auto d = load_ghn_data(run.config);
  const int64_t batch = run.config.get_int("optimizer.batch_size");
  const int64_t eval_batch = run.config.get_int("eval.batch_size");
  const uint64_t seed = static_cast<uint64_t>(run.config.get_int("seed"));
  FinetuneResult r;
  r.steps = points;
  r.predicted_per_arch.assign(points.size(), {});
  r.he_per_arch.assign(points.size(), {});
  for (size_t a = 0; a < n; ++a) {
    torch::manual_seed(seed + a);
    ArchNet predicted(all[a]), he(all[a]);
    predict_into(*run.ghn, predicted);
    he_initialize(he);
    const auto p = finetune_curve(predicted, d, steps, lr, points, batch, seed + a, eval_batch);
    const auto h = finetune_curve(he, d, steps, lr, points, batch, seed + a, eval_batch);
    for (size_t k = 0; k < points.size(); ++k) {
      r.predicted_per_arch[k].push_back(p[k]);
      r.he_per_arch[k].push_back(h[k]);
    }
    if (log) {
      *log << set << " architecture " << a + 1 << "/" << n << ": predicted " << p.back() << ", He "
           << h.back() << " after " << points.back() << " steps\n";
    }
  }
  for (size_t k = 0; k < points.size(); ++k) {
    r.predicted_acc.push_back(mean(r.predicted_per_arch[k]));
    r.he_acc.push_back(mean(r.he_per_arch[k]));
  }
  return r;
}

}  // namespace hnet
