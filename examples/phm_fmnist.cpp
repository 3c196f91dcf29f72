// Hypercomplex (PHM) layers on Fashion-MNIST (Grassucci, Zhang, Comminiello
// 2021, "PHNNs: Lightweight neural networks via parameterized hypercomplex
// convolutions"): the same ConvNet trained twice, with dense layers and with
// conv2 and fc1 as PHM layers of n Kronecker terms, on the full training set
// with the same seed, batches and schedule; both test accuracies and target
// parameter counts are printed and written as JSON.
//
// The weights are trained directly (one flat learned vector laid out by the
// target's Spec), so the comparison is of the layer types alone. A generator
// given the PHM target's Spec emits the same small factors.
//
// Usage: phm_fmnist [--n 4] [--steps 4000] [--threads 2] [--out summary.json]
#include <hnet/hnet.h>
#include <torch/torch.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cmath>
#include <iostream>
#include <nlohmann/json.hpp>

namespace {

std::string first_line(const std::string& text) {
  return text.substr(0, text.find('\n'));
}

// "must be > 0, got -1" rather than CLI11's range with its 300-digit bound.
const CLI::Validator positive(
    [](std::string& text) {
      size_t used = 0;
      double value = 0;
      try {
        value = std::stod(text, &used);
      } catch (const std::exception&) {
      }
      return used == text.size() && value > 0 && std::isfinite(value)
                 ? std::string()
                 : "must be a number > 0, got '" + text + "'";
    },
    "> 0");

struct Result {
  int64_t params = 0;
  double test_accuracy = 0;
  double seconds = 0;
};

hnet::ConvNetOptions convnet(int64_t phm) {
  return hnet::ConvNetOptions().channels({32, 64}).hidden(256).phm(phm);
}

Result train(
    int64_t phm, int64_t steps, int64_t batch_size, double lr, uint64_t seed,
    const hnet::data::Dataset& train_set, const hnet::data::Dataset& test_set) {
  torch::manual_seed(seed);
  hnet::ConvNet net(convnet(phm));
  const auto& spec = net->spec();
  auto flat = torch::addcmul(
                  spec->init_mean(), spec->init_std(hnet::Fan::kIn), torch::randn({spec->numel()}))
                  .requires_grad_();
  torch::optim::Adam adam({flat}, lr);
  const auto start = std::chrono::steady_clock::now();
  hnet::data::EpochSampler batches(train_set.size(), batch_size, seed);
  double running = 0;
  for (int64_t step = 1; step <= steps; ++step) {
    auto idx = batches.next();
    auto loss = torch::nn::functional::cross_entropy(
        net->forward(train_set.images.index_select(0, idx), hnet::Weights(spec, flat)),
        train_set.labels.index_select(0, idx));
    adam.zero_grad();
    loss.backward();
    adam.step();
    running += loss.item<double>();
    if (step % 500 == 0) {
      std::cout << (phm ? "phm n=" + std::to_string(phm) : std::string("dense")) << "  step "
                << step << "/" << steps << "  loss " << running / 500 << std::endl;
      running = 0;
    }
  }
  Result r;
  r.params = spec->numel();
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  torch::NoGradGuard no_grad;
  r.test_accuracy = hnet::accuracy(*net, hnet::Weights(spec, flat), test_set, 1000);
  return r;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Dense vs PHM ConvNet on Fashion-MNIST"};
  int64_t n = 4, steps = 4000, threads = 2, batch_size = 128, seed = 1;
  double lr = 1e-3;
  std::string out;
  app.add_option("--n", n, "Kronecker terms of the PHM layers")->check(positive);
  app.add_option("--steps", steps, "training steps per network")->check(positive);
  app.add_option("--batch-size", batch_size, "batch size")->check(positive);
  app.add_option("--lr", lr, "Adam learning rate")->check(positive);
  app.add_option("--threads", threads, "LibTorch threads")->check(positive);
  app.add_option("--seed", seed, "seed of initialisation and batches")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--out", out, "write the results as JSON to this file");
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::cerr << "phm_fmnist: " << e.what() << "\n";
    return 2;
  }
  try {
    hnet::ConvNet check(convnet(n));  // the PHM rule, before minutes of dense training
    torch::set_num_threads(static_cast<int>(threads));
    const auto root = hnet::data::default_data_root();
    const auto train_set = hnet::data::load_fashion_mnist(root, hnet::data::Split::kTrain);
    const auto test_set = hnet::data::load_fashion_mnist(root, hnet::data::Split::kTest);
    const auto dense = train(0, steps, batch_size, lr, seed, train_set, test_set);
    const auto phm = train(n, steps, batch_size, lr, seed, train_set, test_set);
    nlohmann::json j = {
        {"steps", steps},
        {"threads", threads},
        {"n", n},
        {"dense",
         {{"params", dense.params},
          {"test_accuracy", dense.test_accuracy},
          {"seconds", dense.seconds}}},
        {"phm",
         {{"params", phm.params}, {"test_accuracy", phm.test_accuracy}, {"seconds", phm.seconds}}},
        {"param_ratio", static_cast<double>(phm.params) / dense.params},
        {"accuracy_gap", dense.test_accuracy - phm.test_accuracy}};
    std::cout << "dense: " << dense.params << " params, test accuracy " << dense.test_accuracy
              << "\nphm n=" << n << ": " << phm.params << " params ("
              << j["param_ratio"].get<double>() << " of dense), test accuracy " << phm.test_accuracy
              << std::endl;
    if (!out.empty()) hnet::io::write_file_atomic(out, j.dump(2) + "\n");
  } catch (const c10::Error& e) {  // bad input: a rule hnet checks
    std::cerr << "phm_fmnist: " << first_line(e.what_without_backtrace()) << "\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "phm_fmnist: error: " << first_line(e.what()) << "\n";
    return 1;
  }
  return 0;
}
