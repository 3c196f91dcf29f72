// Hypernetize an existing torch::nn::Sequential: its weights now come from a
// generator conditioned on a learned embedding; one training step on
// random data shows gradients reaching the generator.
#include <hnet/hnet.h>
#include <torch/torch.h>

#include <iostream>

int main() {
  namespace nn = torch::nn;
  nn::Sequential net(nn::Linear(784, 100), nn::ReLU(), nn::Linear(100, 10));
  hnet::ModuleAdapter target(net);  // the module, with generated parameters
  hnet::ChunkedGenerator generator(target->spec(), hnet::GeneratorOptions(8).chunk_size(500));
  auto embedding = torch::randn({1, 8}, torch::requires_grad());

  auto params = generator->parameters();
  params.push_back(embedding);
  torch::optim::Adam adam(params, 1e-3);

  auto x = torch::rand({32, 784});
  auto y = torch::randint(10, {32}, torch::kLong);
  hnet::Weights w(target->spec(), generator->forward(embedding)[0]);  // views, no copies
  auto loss = torch::nn::functional::cross_entropy(target->forward(x, w), y);
  adam.zero_grad();
  loss.backward();
  adam.step();
  std::cout << "generated " << target->spec()->numel() << " weights; loss " << loss.item<float>()
            << "\n";
}
