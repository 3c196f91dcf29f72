#include "hnet/targets/neuron_order.h"

#include <limits>

#include "hnet/spec.h"

namespace hnet {
namespace {

// Where fc{l+1}.weight starts in the flat layout; fc{l+1}.bias follows it.
std::vector<int64_t> layer_offsets(const std::vector<int64_t>& sizes) {
  std::vector<int64_t> offsets{0};
  for (size_t l = 0; l + 1 < sizes.size(); ++l) {
    offsets.push_back(offsets.back() + (sizes[l] + 1) * sizes[l + 1]);
  }
  return offsets;
}

void check_mlp(const std::vector<int64_t>& sizes, const torch::Tensor& flat, const char* who) {
  TORCH_CHECK(
      sizes.size() >= 2, who, ": sizes must list at least 2 widths, got ", shape_str(sizes));
  for (int64_t s : sizes) TORCH_CHECK(s > 0, who, ": sizes must be > 0, got ", shape_str(sizes));
  const int64_t numel = layer_offsets(sizes).back();
  TORCH_CHECK(
      flat.dim() == 1 && flat.size(0) == numel, who, ": flat must be [", numel, "] for an MLP ",
      shape_str(sizes), ", got ", shape_str(flat.sizes()));
}

// Views of layer l's weight [out, in] and bias [out] in `flat`.
std::pair<torch::Tensor, torch::Tensor> layer_views(
    const torch::Tensor& flat, const std::vector<int64_t>& sizes, size_t l) {
  const int64_t at = layer_offsets(sizes)[l], in = sizes[l], out = sizes[l + 1];
  return {flat.narrow(0, at, out * in).view({out, in}), flat.narrow(0, at + out * in, out)};
}

// Length of the greedy nearest-neighbour path from `start`, written to `path`.
double greedy_path(
    const torch::TensorAccessor<double, 2>& d, int64_t start, std::vector<int64_t>& path) {
  const int64_t n = d.size(0);
  std::vector<char> seen(n, 0);
  path.assign(1, start);
  seen[start] = 1;
  double length = 0;
  for (int64_t step = 1; step < n; ++step) {
    const int64_t from = path.back();
    int64_t best = -1;
    double best_d = std::numeric_limits<double>::infinity();
    for (int64_t j = 0; j < n; ++j) {
      if (!seen[j] && (best < 0 || d[from][j] < best_d)) {
        best = j;
        best_d = d[from][j];
      }
    }
    seen[best] = 1;
    path.push_back(best);
    length += best_d;
  }
  return length;
}

}  // namespace

std::vector<int64_t> greedy_path_order(const torch::Tensor& points) {
  TORCH_CHECK(
      points.dim() == 2 && points.size(0) >= 1 && points.is_floating_point(),
      "greedy_path_order: points must be a floating-point [n, d] tensor with n >= 1, got ",
      shape_str(points.sizes()), " ", points.scalar_type());
  auto p = points.detach().to(torch::kDouble).contiguous();
  auto dist = torch::cdist(p, p).contiguous();
  const auto d = dist.accessor<double, 2>();
  std::vector<int64_t> best, path;
  double best_length = std::numeric_limits<double>::infinity();
  for (int64_t start = 0; start < p.size(0); ++start) {
    const double length = greedy_path(d, start, path);
    if (best.empty() || length < best_length) {
      best_length = length;
      best = path;
    }
  }
  return best;
}

torch::Tensor permute_mlp_neurons(
    const std::vector<int64_t>& sizes, const torch::Tensor& flat,
    const std::vector<std::vector<int64_t>>& orders) {
  check_mlp(sizes, flat, "permute_mlp_neurons");
  TORCH_CHECK(
      orders.size() == sizes.size() - 2, "permute_mlp_neurons: need one order per hidden layer (",
      sizes.size() - 2, "), got ", orders.size());
  auto out = flat.clone();
  for (size_t l = 0; l < orders.size(); ++l) {
    const int64_t width = sizes[l + 1];
    std::vector<char> hit(width, 0);
    bool ok = static_cast<int64_t>(orders[l].size()) == width;
    for (int64_t i : orders[l]) ok = ok && i >= 0 && i < width && !hit[i]++;
    TORCH_CHECK(
        ok, "permute_mlp_neurons: order of hidden layer ", l, " must be a permutation of 0..",
        width - 1, ", got ", shape_str(orders[l]));
    const auto idx = torch::tensor(orders[l], torch::kLong);
    auto [w, b] = layer_views(out, sizes, l);
    auto [next_w, next_b] = layer_views(out, sizes, l + 1);
    w.copy_(w.index_select(0, idx));
    b.copy_(b.index_select(0, idx));
    next_w.copy_(next_w.index_select(1, idx));
  }
  return out;
}

NeuronOrder order_mlp_neurons(
    const std::vector<int64_t>& sizes, const torch::Tensor& flat,
    const NeuronOrderOptions& options) {
  check_mlp(sizes, flat, "order_mlp_neurons");
  NeuronOrder result;
  result.flat = flat.detach().clone();
  for (size_t l = 0; l + 2 < sizes.size(); ++l) {
    // Layer l's rows already read the previous layer in its new order.
    auto [w, b] = layer_views(result.flat, sizes, l);
    std::vector<torch::Tensor> parts{w, b.unsqueeze(1)};
    if (options.outgoing()) parts.push_back(layer_views(result.flat, sizes, l + 1).first.t());
    std::vector<std::vector<int64_t>> orders(sizes.size() - 2);
    for (size_t k = 0; k < orders.size(); ++k) {
      orders[k].resize(sizes[k + 1]);
      for (int64_t i = 0; i < sizes[k + 1]; ++i) orders[k][i] = i;
    }
    orders[l] = greedy_path_order(torch::cat(parts, 1));
    result.flat = permute_mlp_neurons(sizes, result.flat, orders);
    result.orders.push_back(orders[l]);
  }
  return result;
}

}  // namespace hnet
