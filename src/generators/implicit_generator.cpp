#include "hnet/generators/implicit_generator.h"

#include <cmath>

#include "hnet/kernels/linear.h"
#include "hnet/spec.h"
#include "implicit_form.h"

namespace hnet {
namespace {

constexpr const char* kWho = "ImplicitGenerator";

// Columns of a coordinate row (kImplicitCoordinateDim of them).
enum Column : int64_t { kLayer = 0, kOut = 1, kIn = 2, kWidth = 3, kFlag = 4 };

// (j + 1/2) / n for j < n: neuron j at the centre of its share of [0, 1].
torch::Tensor centres(int64_t n, const torch::TensorOptions& opts) {
  return (torch::arange(n, opts) + 0.5) / static_cast<double>(n);
}

void check_options(const ImplicitGeneratorOptions& o) {
  TORCH_CHECK(o.inputs() > 0, kWho, ": inputs must be > 0, got ", o.inputs());
  TORCH_CHECK(o.outputs() > 0, kWho, ": outputs must be > 0, got ", o.outputs());
  TORCH_CHECK(o.min_width() > 0, kWho, ": min_width must be > 0, got ", o.min_width());
  TORCH_CHECK(
      o.max_width() >= o.min_width(), kWho, ": max_width must be >= min_width (", o.min_width(),
      "), got ", o.max_width());
  TORCH_CHECK(
      o.hidden_layers() >= 1, kWho, ": hidden_layers must be >= 1, got ", o.hidden_layers());
  TORCH_CHECK(!o.frequencies().empty(), kWho, ": frequencies must not be empty");
  for (const auto* list : {&o.frequencies(), &o.width_frequencies()}) {
    for (size_t k = 0; k < list->size(); ++k) {
      const double f = (*list)[k];
      TORCH_CHECK(
          f > 0 && std::isfinite(f), kWho, ": ",
          list == &o.frequencies() ? "frequencies" : "width_frequencies", " must be > 0, got ", f,
          " at index ", k);
    }
  }
  TORCH_CHECK(!o.hidden().empty(), kWho, ": hidden must list at least one width");
  for (int64_t h : o.hidden()) {
    TORCH_CHECK(h > 0, kWho, ": hidden widths must be > 0, got ", shape_str(o.hidden()));
  }
  TORCH_CHECK(
      o.coordinate_noise() >= 0 && std::isfinite(o.coordinate_noise()), kWho,
      ": coordinate_noise must be >= 0, got ", o.coordinate_noise());
  TORCH_CHECK(o.rank() >= 0, kWho, ": rank must be >= 0 (0: additive form), got ", o.rank());
}

// The form of `g`'s coordinate function, over its registered towers.
std::unique_ptr<detail::ImplicitForm> form_of(ImplicitGeneratorImpl& g) {
  if (g.bilinear()) return detail::bilinear_form(*g.rows_tower, *g.cols_tower, g.row_offsets);
  return detail::additive_form(*g.net);
}

}  // namespace

ImplicitGeneratorImpl::ImplicitGeneratorImpl(ImplicitGeneratorOptions options)
    : options(std::move(options)) {
  reset();
}

void ImplicitGeneratorImpl::reset() {
  const auto& o = options;
  check_options(o);
  auto angular = [](const std::vector<double>& f) {
    return torch::tensor(f, torch::kDouble).mul(M_PI).to(torch::kFloat);
  };
  frequencies = register_buffer("frequencies", angular(o.frequencies()));
  width_frequencies = register_buffer(
      "width_frequencies",
      angular(o.width_frequencies().empty() ? o.frequencies() : o.width_frequencies()));
  // Feature widths: 2F per coordinate, 2Fw for the width, 1 for the flag.
  const int64_t f2 = 2 * frequencies.size(0), fw2 = 2 * width_frequencies.size(0);
  net = rows_tower = cols_tower = nullptr;
  if (bilinear()) {
    // u reads layer, out, width; v layer, in, width and the bias flag.
    rows_tower = register_module(
        "rows_tower", CoordinateTower(2 * f2 + fw2, o.hidden(), o.rank(), o.activation()));
    cols_tower = register_module(
        "cols_tower", CoordinateTower(2 * f2 + fw2 + 1, o.hidden(), o.rank(), o.activation()));
  } else {
    net = register_module("net", CoordinateTower(3 * f2 + fw2 + 1, o.hidden(), 1, o.activation()));
  }
  row_offsets = input_embedding = output_embedding = torch::Tensor();
  if (bilinear() && o.center_rows()) {
    row_offsets = register_parameter("row_offsets", torch::zeros({layers(), o.rank()}));
  }
  if (o.embed_fixed_neurons()) {
    input_embedding =
        register_parameter("input_embedding", torch::empty({o.inputs(), o.hidden().front()}));
    output_embedding =
        register_parameter("output_embedding", torch::empty({o.outputs(), o.hidden().front()}));
  }
  scales = register_buffer("scales", torch::ones({layers(), 2}));
  input_mean = register_buffer("input_mean", torch::zeros({o.inputs()}));
  reset_parameters();
}

void ImplicitGeneratorImpl::reset_parameters() {
  torch::NoGradGuard no_grad;
  // About the spread of the Fourier part of the first product.
  if (row_offsets.defined()) row_offsets.zero_();
  if (input_embedding.defined()) input_embedding.normal_(0.0, 0.5);
  if (output_embedding.defined()) output_embedding.normal_(0.0, 0.5);
  for (auto* tower : {&net, &rows_tower, &cols_tower}) {
    if (!tower->is_empty()) (*tower)->reset_parameters();
  }
  // Raw values share one offset at initialisation (ReLU features are
  // positive), which would make every generated weight of a layer alike;
  // standardise them over the full-width network, as hyperfan initialisation
  // standardises a generator's outputs.
  const bool was_training = is_training();
  train(false);
  std::vector<torch::Tensor> raw;
  for (int64_t l = 0; l < layers(); ++l) raw.push_back(raw_layer(l, options.max_width()).flatten());
  train(was_training);
  const auto all = torch::cat(raw);
  const double mean = all.mean().item<double>();
  const double std = all.numel() > 1 ? std::max(all.std().item<double>(), 1e-6) : 1.0;
  form_of(*this)->standardise(mean, std);
  // He scales at the reference width until calibrate_scales sees the network.
  const auto sizes = mlp_sizes(options.max_width());
  for (int64_t l = 0; l < layers(); ++l) {
    const double fan_in = static_cast<double>(sizes[l]);
    scales[l][0] = std::sqrt((l + 1 < layers() ? 2.0 : 1.0) / fan_in);
    scales[l][1] = std::sqrt(1.0 / (3.0 * fan_in));
  }
}

void ImplicitGeneratorImpl::pretty_print(std::ostream& stream) const {
  stream << "hnet::ImplicitGenerator(inputs=" << options.inputs()
         << ", outputs=" << options.outputs() << ", widths=[" << options.min_width() << ", "
         << options.max_width() << "], hidden_layers=" << options.hidden_layers()
         << ", frequencies=" << frequencies.size(0)
         << ", width_frequencies=" << width_frequencies.size(0)
         << ", hidden=" << shape_str(options.hidden())
         << ", activation=" << activation_name(options.activation())
         << ", coordinate_noise=" << options.coordinate_noise();
  if (bilinear()) stream << ", rank=" << options.rank();
  stream << ")";
}

void ImplicitGeneratorImpl::check_width(int64_t width) const {
  TORCH_CHECK(width > 0, kWho, ": width must be > 0, got ", width);
  TORCH_CHECK(
      options.allow_any_width() || (width >= options.min_width() && width <= options.max_width()),
      kWho, ": width ", width, " is outside the trained range [", options.min_width(), ", ",
      options.max_width(), "]; set allow_any_width to extrapolate");
}

std::vector<int64_t> ImplicitGeneratorImpl::mlp_sizes(int64_t width) const {
  check_width(width);
  std::vector<int64_t> sizes{options.inputs()};
  sizes.insert(sizes.end(), options.hidden_layers(), width);
  sizes.push_back(options.outputs());
  return sizes;
}

torch::Tensor ImplicitGeneratorImpl::features(const torch::Tensor& c, int64_t column) const {
  const auto& f = column == kWidth ? width_frequencies : frequencies;
  auto angles = c.unsqueeze(1) * f.to(c.scalar_type());
  return torch::cat({angles.sin(), angles.cos()}, 1);
}

const torch::Tensor& ImplicitGeneratorImpl::any_weight() const {
  return (bilinear() ? rows_tower : net)->first->weight;
}

torch::Tensor ImplicitGeneratorImpl::lookup(
    const torch::Tensor& table, const torch::Tensor& c) const {
  const int64_t n = table.size(0);
  auto idx = (c * static_cast<double>(n)).floor().clamp(0, n - 1).to(torch::kLong);
  return table.index_select(0, idx);
}

torch::Tensor ImplicitGeneratorImpl::forward(const torch::Tensor& coords) {
  TORCH_CHECK(
      coords.dim() == 2 && coords.size(1) == kImplicitCoordinateDim, kWho,
      ": coordinates must be [M, ", kImplicitCoordinateDim, "], got ", shape_str(coords.sizes()));
  TORCH_CHECK(
      coords.scalar_type() == any_weight().scalar_type(), kWho, ": coordinates must be ",
      any_weight().scalar_type(), " like the parameters, got ", coords.scalar_type());
  if (coords.numel() > 0) {
    // Only the width column may leave [0, 1], and only when extrapolating.
    auto bad = coords.isnan() | (coords < 0) | (coords > 1);
    if (options.allow_any_width()) bad.select(1, kWidth).copy_(coords.select(1, kWidth) < 0);
    if (bad.any().item<bool>()) {
      const auto at = bad.flatten().nonzero()[0].item<int64_t>();
      const int64_t row = at / kImplicitCoordinateDim, col = at % kImplicitCoordinateDim;
      TORCH_CHECK(
          false, kWho, ": coordinates must be in [0, 1], got ", coords[row][col].item<double>(),
          " at [", row, ", ", col, "]");
    }
  }
  detail::WeightFeatures f;
  f.layer = features(coords.select(1, kLayer), kLayer);
  f.out = features(coords.select(1, kOut), kOut);
  f.in = features(coords.select(1, kIn), kIn);
  f.width = features(coords.select(1, kWidth), kWidth);
  f.flag = coords.narrow(1, kFlag, 1);
  if (input_embedding.defined()) {
    // The first layer's weights (not its bias) read input neurons; the last
    // layer writes output neurons.
    const auto layer = coords.select(1, kLayer);
    const auto dtype = coords.scalar_type();
    auto first_in = ((layer == 0) & (f.flag.squeeze(1) == 0)).to(dtype).unsqueeze(1);
    auto last_out = (layer == (layers() > 1 ? 1.0 : 0.0)).to(dtype).unsqueeze(1);
    f.in_embedding = first_in * lookup(input_embedding, coords.select(1, kIn));
    f.out_embedding = last_out * lookup(output_embedding, coords.select(1, kOut));
  }
  return form_of(*this)->at_points(f);
}

torch::Tensor ImplicitGeneratorImpl::layer_coordinates(int64_t layer, int64_t width) const {
  TORCH_CHECK(
      layer >= 0 && layer < layers(), kWho, ": layer must be in [0, ", layers(), "), got ", layer);
  const auto sizes = mlp_sizes(width);
  const int64_t n_in = sizes[layer], n_out = sizes[layer + 1];
  const auto opts = any_weight().options();
  auto in = torch::cat({centres(n_in, opts), torch::zeros({1}, opts)});
  auto flag = torch::zeros({n_in + 1}, opts);
  flag[n_in] = 1;
  auto grid = torch::empty({n_out, n_in + 1, kImplicitCoordinateDim}, opts);
  grid.select(2, kLayer).fill_(layers() > 1 ? static_cast<double>(layer) / (layers() - 1) : 0.0);
  grid.select(2, kOut).copy_(centres(n_out, opts).unsqueeze(1).expand({n_out, n_in + 1}));
  grid.select(2, kIn).copy_(in.unsqueeze(0).expand({n_out, n_in + 1}));
  grid.select(2, kWidth).fill_(static_cast<double>(width) / options.max_width());
  grid.select(2, kFlag).copy_(flag.unsqueeze(0).expand({n_out, n_in + 1}));
  return grid.view({n_out * (n_in + 1), kImplicitCoordinateDim});
}

torch::Tensor ImplicitGeneratorImpl::raw_layer(
    int64_t layer, int64_t width, const torch::Tensor& rows) {
  return layer_pass(layer, width, rows, /*centred=*/false);
}

torch::Tensor ImplicitGeneratorImpl::layer_values(
    int64_t layer, int64_t width, const torch::Tensor& rows) {
  auto values = layer_pass(layer, width, rows, options.center_rows());
  if (layer > 0) return values;
  // In raw units, where W is scaled by scales[0][0] and b by scales[0][1]:
  // b - W mean becomes b_raw - (scales[0][0] / scales[0][1]) W_raw mean.
  const int64_t n_in = values.size(1) - 1;
  auto weights = values.narrow(1, 0, n_in);
  auto ratio = (scales[0][0] / scales[0][1]).to(values.scalar_type());
  auto shift = kernels::linear(weights, input_mean.to(values.scalar_type()).unsqueeze(0), {});
  return torch::cat({weights, values.narrow(1, n_in, 1) - ratio * shift}, 1);
}

torch::Tensor ImplicitGeneratorImpl::layer_pass(
    int64_t layer, int64_t width, const torch::Tensor& rows, bool centred) {
  TORCH_CHECK(
      layer >= 0 && layer < layers(), kWho, ": layer must be in [0, ", layers(), "), got ", layer);
  const auto sizes = mlp_sizes(width);
  const int64_t n_in = sizes[layer], n_out = sizes[layer + 1];
  const auto opts = any_weight().options();
  auto out_c = centres(n_out, opts);
  if (rows.defined()) {
    TORCH_CHECK(
        rows.dim() == 1 && rows.scalar_type() == torch::kLong, kWho,
        ": rows must be a 1-D int64 tensor, got ", shape_str(rows.sizes()), " ",
        rows.scalar_type());
    TORCH_CHECK(
        rows.numel() == 0 ||
            (rows.min().item<int64_t>() >= 0 && rows.max().item<int64_t>() < n_out),
        kWho, ": rows must be in [0, ", n_out, ") for layer ", layer);
    out_c = out_c.index_select(0, rows);
  }
  auto in_c = centres(n_in, opts);
  const double noise = is_training() ? options.coordinate_noise() : 0.0;
  if (noise > 0) {
    // Only hidden neurons move: the inputs and outputs are the same at every
    // width, so there is nothing between their positions to generalise to.
    if (layer + 1 < layers()) out_c = out_c + noise * torch::randn_like(out_c);
    if (layer > 0) in_c = in_c + noise * torch::randn_like(in_c);
  }
  const double layer_c = layers() > 1 ? static_cast<double>(layer) / (layers() - 1) : 0.0;
  const double width_c = static_cast<double>(width) / options.max_width();
  detail::WeightFeatures f;
  f.layer = features(torch::full({1}, layer_c, opts), kLayer);
  f.width = features(torch::full({1}, width_c, opts), kWidth);
  // The bias is the input coordinate 0 with the flag set.
  f.in = features(torch::cat({in_c, torch::zeros({1}, opts)}), kIn);
  f.out = features(out_c, kOut);
  f.flag = torch::zeros({n_in + 1, 1}, opts);
  f.flag[n_in][0] = 1;
  if (input_embedding.defined() && layer == 0) {
    f.in_embedding =
        torch::cat({input_embedding, torch::zeros({1, input_embedding.size(1)}, opts)});
  }
  if (output_embedding.defined() && layer + 1 == layers()) {
    f.out_embedding = rows.defined() ? output_embedding.index_select(0, rows) : output_embedding;
  }
  return form_of(*this)->on_grid(f, centred, layer);
}

torch::Tensor ImplicitGeneratorImpl::layer_scale(int64_t layer, int64_t width) const {
  const auto sizes = mlp_sizes(width);
  const int64_t n_in = sizes[layer];
  // sqrt, not the Riemann sum's max_width / w: that holds only for a smooth
  // weight function, and a rough one (any g at initialisation) would then
  // blow activations up by sqrt(max_width / w) a layer; g learns the rest
  // from the width coordinate.
  const double riemann =
      layer > 0 ? std::sqrt(static_cast<double>(options.max_width()) / width) : 1.0;
  auto s = scales[layer].to(any_weight().scalar_type());
  return torch::cat({(s[0] * riemann).expand({n_in}), s.narrow(0, 1, 1)}).unsqueeze(0);
}

torch::Tensor ImplicitGeneratorImpl::generate_layer(int64_t layer, int64_t width) {
  // The weight columns share one scale, so centring before scaling is the
  // same as after.
  return layer_values(layer, width) * layer_scale(layer, width);
}

torch::Tensor ImplicitGeneratorImpl::generate(int64_t width) {
  const auto sizes = mlp_sizes(width);
  std::vector<torch::Tensor> pieces;
  for (int64_t l = 0; l < layers(); ++l) {
    auto v = generate_layer(l, width);
    pieces.push_back(v.narrow(1, 0, sizes[l]).reshape(-1));
    pieces.push_back(v.select(1, sizes[l]));
  }
  return torch::cat(pieces);
}

void ImplicitGeneratorImpl::calibrate_scales(const torch::Tensor& reference) {
  const auto sizes = mlp_sizes(options.max_width());
  int64_t numel = 0;
  for (size_t l = 0; l + 1 < sizes.size(); ++l) numel += (sizes[l] + 1) * sizes[l + 1];
  TORCH_CHECK(
      reference.dim() == 1 && reference.size(0) == numel, kWho, ": reference must be the [", numel,
      "] flat weights of an MLP ", shape_str(sizes), ", got ", shape_str(reference.sizes()));
  torch::NoGradGuard no_grad;
  int64_t offset = 0;
  for (int64_t l = 0; l < layers(); ++l) {
    const int64_t nw = sizes[l] * sizes[l + 1], nb = sizes[l + 1];
    // A floor keeps a constant (e.g. all-zero) bias from giving a zero scale.
    for (auto [col, n] : {std::pair<int64_t, int64_t>{0, nw}, {1, nb}}) {
      auto part = reference.narrow(0, offset, n).to(torch::kDouble);
      const double std = n > 1 ? part.std().item<double>() : part.abs().item<double>();
      scales[l][col] = std::max(std, 1e-6);
      offset += n;
    }
  }
}

}  // namespace hnet
