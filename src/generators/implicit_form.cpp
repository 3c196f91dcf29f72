#include "implicit_form.h"

#include <cmath>

#include "hnet/kernels/linear.h"

namespace hnet::detail {
namespace {

// pre + extra, where an undefined extra (an embedding a layer does not use)
// adds nothing.
torch::Tensor plus_if(const torch::Tensor& pre, const torch::Tensor& extra) {
  return extra.defined() ? pre + extra : pre;
}

// g(l, o, i, w) = net(features of l, o, i, w and the bias flag).
class AdditiveForm : public ImplicitForm {
 public:
  explicit AdditiveForm(CoordinateTowerImpl& net) : net_(net) {}

  torch::Tensor at_points(const WeightFeatures& f) const override {
    auto pre = net_.first_product({f.layer, f.out, f.in, f.width, f.flag}, f.in_embedding);
    return net_.finish(plus_if(pre, f.out_embedding)).squeeze(1);
  }

  // The first product split into its output-neuron part and the rest (input
  // neuron, layer, width, flag), each computed once and broadcast-added.
  torch::Tensor on_grid(const WeightFeatures& f, bool centred, int64_t) const override {
    const int64_t out_column = f.layer.size(1), in_column = out_column + f.out.size(1);
    const int64_t width_column = in_column + f.in.size(1);
    const int64_t flag_column = width_column + f.width.size(1);
    auto shared =
        net_.first_part(f.layer, 0) + net_.first_part(f.width, width_column) + net_.first->bias;
    auto cols = plus_if(
        net_.first_part(f.in, in_column) + net_.first_part(f.flag, flag_column) + shared,
        f.in_embedding);
    auto rows = plus_if(net_.first_part(f.out, out_column), f.out_embedding);
    const int64_t m = rows.size(0), n = cols.size(0);
    auto values =
        net_.finish((rows.unsqueeze(1) + cols.unsqueeze(0)).view({m * n, -1})).view({m, n});
    if (!centred) return values;
    auto weights = values.narrow(1, 0, n - 1);
    return torch::cat({weights - weights.mean(1, true), values.narrow(1, n - 1, 1)}, 1);
  }

  void standardise(double mean, double std) override {
    net_.head->weight.div_(std);
    net_.head->bias.sub_(mean).div_(std);
  }

 private:
  CoordinateTowerImpl& net_;
};

// g(l, o, i, w) = <u(l, o, w), v(l, i, w, flag)> / sqrt(K).
class BilinearForm : public ImplicitForm {
 public:
  BilinearForm(CoordinateTowerImpl& rows, CoordinateTowerImpl& cols, torch::Tensor row_offsets)
      : rows_(rows), cols_(cols), row_offsets_(std::move(row_offsets)) {}

  torch::Tensor at_points(const WeightFeatures& f) const override {
    return (u(f) * v(f)).sum(1) / root_k();
  }

  // Each tower runs once per neuron, its first product broadcasting the
  // shared layer and width features; the layer is one product.
  torch::Tensor on_grid(const WeightFeatures& f, bool centred, int64_t layer) const override {
    auto cols = v(f);
    if (centred) {
      // Centring every row of u v^T is centring v over the input neurons.
      const int64_t n_in = cols.size(0) - 1;
      auto weights = cols.narrow(0, 0, n_in);
      cols = torch::cat(
          {weights - weights.mean(0, true) + row_offsets_[layer], cols.narrow(0, n_in, 1)});
    }
    return kernels::linear(u(f), cols, {}) / root_k();
  }

  void standardise(double, double std) override {
    rows_.head->weight.div_(std);
    rows_.head->bias.div_(std);
  }

 private:
  torch::Tensor u(const WeightFeatures& f) const {
    return rows_.finish(rows_.first_product({f.layer, f.out, f.width}, f.out_embedding));
  }
  torch::Tensor v(const WeightFeatures& f) const {
    return cols_.finish(cols_.first_product({f.layer, f.in, f.width, f.flag}, f.in_embedding));
  }
  double root_k() const {
    return std::sqrt(static_cast<double>(rows_.out_dim));
  }

  CoordinateTowerImpl& rows_;
  CoordinateTowerImpl& cols_;
  torch::Tensor row_offsets_;
};

}  // namespace

std::unique_ptr<ImplicitForm> additive_form(CoordinateTowerImpl& net) {
  return std::make_unique<AdditiveForm>(net);
}

std::unique_ptr<ImplicitForm> bilinear_form(
    CoordinateTowerImpl& rows, CoordinateTowerImpl& cols, const torch::Tensor& row_offsets) {
  return std::make_unique<BilinearForm>(rows, cols, row_offsets);
}

}  // namespace hnet::detail
