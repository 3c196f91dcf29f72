#include "hnet/generators/layerwise_generator.h"

#include "generator_internal.h"
#include "hnet/kernels/linear.h"

namespace hnet {

LayerwiseGeneratorImpl::LayerwiseGeneratorImpl(
    std::shared_ptr<const Spec> spec, GeneratorOptions options)
    : options(std::move(options)), spec_(std::move(spec)) {
  reset();
}

void LayerwiseGeneratorImpl::reset() {
  TORCH_CHECK(spec_ && spec_->numel() > 0, "LayerwiseGenerator: spec must not be empty");
  detail::check_generator_options(options, "LayerwiseGenerator");
  const int64_t entries = static_cast<int64_t>(spec_->size());
  layer_embeddings =
      register_parameter("layer_embeddings", torch::empty({entries, options.embedding_dim()}));
  trunk = register_module(
      "trunk", Trunk(
                   options.condition_dim() + options.embedding_dim(), options.hidden(),
                   options.activation()));
  // Groups in order of first appearance, so names are stable.
  std::map<std::vector<int64_t>, size_t> group_of_shape;
  std::vector<std::vector<int64_t>> members;
  placement_.clear();
  heads.clear();
  for (int64_t i = 0; i < entries; ++i) {
    const auto& shape = (*spec_)[i].shape;
    auto [it, added] = group_of_shape.emplace(shape, members.size());
    if (added) {
      members.emplace_back();
      heads.push_back(register_module(
          "head" + std::to_string(heads.size()),
          torch::nn::Linear(trunk->output_dim(), (*spec_)[i].numel)));
    }
    placement_.emplace_back(it->second, static_cast<int64_t>(members[it->second].size()));
    members[it->second].push_back(i);
  }
  group_entries_.clear();
  group_entries_ = std::move(members);
  output = register_module("output", OutputParametrization(spec_, options.output()));
  reset_parameters();
}

void LayerwiseGeneratorImpl::reset_parameters() {
  {
    torch::NoGradGuard no_grad;
    layer_embeddings.normal_();
  }
  const double m2 = trunk->output_second_moment(detail::paired_calibration_sample(options));
  for (auto& head : heads) detail::init_head(head->weight, head->bias, m2, output->head_variance());
  detail::calibrate_output(
      *output, [this](const torch::Tensor& c) { return raw(c); }, options);
}

void LayerwiseGeneratorImpl::pretty_print(std::ostream& stream) const {
  stream << "hnet::LayerwiseGenerator(condition_dim=" << options.condition_dim()
         << ", hidden=" << shape_str(options.hidden()) << ", entries=" << spec_->size()
         << ", groups=" << groups() << ", outputs=" << spec_->numel() << ")";
}

torch::Tensor LayerwiseGeneratorImpl::forward(const torch::Tensor& cond) {
  return output->forward(raw(cond));
}

torch::Tensor LayerwiseGeneratorImpl::raw(const torch::Tensor& cond) {
  detail::check_condition(cond, options.condition_dim(), "LayerwiseGenerator");
  const int64_t b = cond.size(0), entries = layer_embeddings.size(0);
  auto h = trunk->forward_pairs(cond, layer_embeddings).view({b, entries, -1});
  std::vector<torch::Tensor> per_group;
  per_group.reserve(heads.size());
  for (size_t g = 0; g < heads.size(); ++g) {
    // Index lists are plain vectors (a module's .to(dtype) would convert an
    // int64 buffer); the tiny index tensor follows h's device.
    auto idx = torch::tensor(group_entries_[g], torch::dtype(torch::kLong).device(h.device()));
    auto rows = h.index_select(1, idx);  // [B, m_g, hidden]
    per_group.push_back(
        kernels::linear(rows.reshape({-1, rows.size(2)}), heads[g]->weight, heads[g]->bias)
            .view({rows.size(0), rows.size(1), -1}));  // [B, m_g, numel_g]
  }
  std::vector<torch::Tensor> pieces;
  pieces.reserve(placement_.size());
  for (const auto& [g, row] : placement_) pieces.push_back(per_group[g].select(1, row));
  return torch::cat(pieces, 1);
}

}  // namespace hnet
