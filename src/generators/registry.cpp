#include "hnet/generators/registry.h"

#include <c10/util/StringUtil.h>

#include <functional>
#include <initializer_list>
#include <set>

#include "generator_internal.h"
#include "hnet/count.h"
#include "hnet/errors.h"
#include "hnet/generators/chunked_generator.h"
#include "hnet/generators/full_generator.h"
#include "hnet/generators/layerwise_generator.h"
#include "hnet/generators/recurrent_generator.h"

namespace hnet {
namespace {

using Factory = std::function<std::shared_ptr<WeightGenerator>(
    std::shared_ptr<const Spec>, const GeneratorOptions&, const LowRankOptions&)>;
using Counter = std::function<int64_t(const Spec&, const GeneratorOptions&, const LowRankOptions&)>;

struct Kind {
  std::string name;
  Factory make;
  Counter parameters;  // what `make` would allocate, counted without allocating
  bool supports_interval;
};

// The parameter counts below mirror the constructors of each class; the
// registry test holds them equal to parameter_count of a built generator.

int64_t trunk_parameters(int64_t in, const std::vector<int64_t>& hidden) {
  int64_t n = 0;
  for (int64_t h : hidden) {
    n = count_add(n, count_linear(in, h));
    in = h;
  }
  return n;
}

int64_t trunk_width(int64_t in, const std::vector<int64_t>& hidden) {
  return hidden.empty() ? in : hidden.back();
}

// theta0 of a MIP output parametrization.
int64_t output_parameters(const Spec& spec, const GeneratorOptions& o) {
  return o.output().mode() == OutputMode::kMip ? spec.numel() : 0;
}

int64_t chunks(const Spec& spec, const GeneratorOptions& o) {
  return detail::chunk_count(spec.numel(), o.chunk_size());
}

// Sums that saturate (see count.h).
int64_t total(std::initializer_list<int64_t> parts) {
  int64_t n = 0;
  for (int64_t p : parts) n = count_add(n, p);
  return n;
}

int64_t full_parameters(const Spec& spec, const GeneratorOptions& o, const LowRankOptions&) {
  const int64_t in = o.condition_dim();
  return total(
      {trunk_parameters(in, o.hidden()), count_linear(trunk_width(in, o.hidden()), spec.numel()),
       output_parameters(spec, o)});
}

int64_t chunked_parameters(const Spec& spec, const GeneratorOptions& o, const LowRankOptions&) {
  const int64_t in = o.condition_dim() + o.embedding_dim();
  return total(
      {count_mul(chunks(spec, o), o.embedding_dim()), trunk_parameters(in, o.hidden()),
       count_linear(trunk_width(in, o.hidden()), o.chunk_size()), output_parameters(spec, o)});
}

int64_t layerwise_parameters(const Spec& spec, const GeneratorOptions& o, const LowRankOptions&) {
  const int64_t in = o.condition_dim() + o.embedding_dim();
  int64_t n = total(
      {count_mul(static_cast<int64_t>(spec.size()), o.embedding_dim()),
       trunk_parameters(in, o.hidden()), output_parameters(spec, o)});
  std::set<std::vector<int64_t>> shapes;  // one head per distinct shape
  for (size_t i = 0; i < spec.size(); ++i) {
    if (shapes.insert(spec[i].shape).second)
      n = count_add(n, count_linear(trunk_width(in, o.hidden()), spec[i].numel));
  }
  return n;
}

int64_t recurrent_parameters(const Spec& spec, const GeneratorOptions& o, const LowRankOptions&) {
  const int64_t h = o.hidden().empty() ? 0 : o.hidden()[0];
  int64_t n = total(
      {count_mul(chunks(spec, o), o.embedding_dim()), count_linear(h, o.chunk_size()),
       output_parameters(spec, o)});
  int64_t in = o.condition_dim() + o.embedding_dim();
  for (size_t layer = 0; layer < o.hidden().size(); ++layer) {
    // input and hidden weights, two biases
    n = total({n, count_mul(4 * h, in + h), 8 * h});
    in = h;
  }
  return n;
}

int64_t low_rank_parameters(const Spec& spec, const GeneratorOptions& o, const LowRankOptions& r) {
  // The decoder is a chunked generator over the factors.
  auto shared = std::shared_ptr<const Spec>(std::shared_ptr<const Spec>(), &spec);
  return chunked_parameters(*LowRankLayout(shared, r).factor_spec(), o, r);
}

// The factory of a generator that reads GeneratorOptions only.
template <typename Holder>
Factory reads_options() {
  return [](std::shared_ptr<const Spec> spec, const GeneratorOptions& o, const LowRankOptions&) {
    return Holder(std::move(spec), o).ptr();
  };
}

const std::vector<Kind>& kinds() {
  static const std::vector<Kind> table{
      {"chunked", reads_options<ChunkedGenerator>(), chunked_parameters, true},
      {"full", reads_options<FullGenerator>(), full_parameters, true},
      {"layerwise", reads_options<LayerwiseGenerator>(), layerwise_parameters, false},
      {"lowrank",
       [](std::shared_ptr<const Spec> spec, const GeneratorOptions& o, const LowRankOptions& r) {
         return LowRankGenerator(std::move(spec), o, r).ptr();
       },
       low_rank_parameters, false},
      {"recurrent", reads_options<RecurrentGenerator>(), recurrent_parameters, false},
  };
  return table;
}

const Kind& find_kind(const std::string& name) {
  for (const auto& k : kinds()) {
    if (k.name == name) return k;
  }
  HNET_CHECK_INPUT(
      false, "generator kind must be one of [", c10::Join(", ", generator_kinds()), "], got '",
      name, "'");
}

}  // namespace

std::shared_ptr<WeightGenerator> make_generator(
    const std::string& kind, std::shared_ptr<const Spec> spec, const GeneratorOptions& options,
    const LowRankOptions& low_rank) {
  return find_kind(kind).make(std::move(spec), options, low_rank);
}

int64_t generator_parameter_count(
    const std::string& kind, const Spec& spec, const GeneratorOptions& options,
    const LowRankOptions& low_rank) {
  return find_kind(kind).parameters(spec, options, low_rank);
}

const std::vector<std::string>& generator_kinds() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> out;
    for (const auto& k : kinds()) out.push_back(k.name);
    return out;
  }();
  return names;
}

bool generator_supports_interval(const std::string& kind) {
  return find_kind(kind).supports_interval;
}

std::vector<std::string> interval_generator_kinds() {
  std::vector<std::string> out;
  for (const auto& k : kinds()) {
    if (k.supports_interval) out.push_back(k.name);
  }
  return out;
}

}  // namespace hnet

namespace hnet::detail {

void throw_interval_unsupported(const std::string& what) {
  TORCH_CHECK(
      false, what,
      "; the generator kinds that support it: ", c10::Join(", ", interval_generator_kinds()));
}

}  // namespace hnet::detail
