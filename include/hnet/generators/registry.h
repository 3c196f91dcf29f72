#pragma once
/// \file
/// The generator kinds by name: one factory for the configuration, the
/// command line, the benchmarks and the tests, and the one record of what
/// each kind supports.
///
/// | kind        | class              | interval propagation |
/// |-------------|--------------------|----------------------|
/// | "chunked"   | ChunkedGenerator   | yes                  |
/// | "full"      | FullGenerator      | yes                  |
/// | "layerwise" | LayerwiseGenerator | no                   |
/// | "lowrank"   | LowRankGenerator   | no                   |
/// | "recurrent" | RecurrentGenerator | no                   |
///
/// ImplicitGenerator is not a `WeightGenerator` (its condition changes the
/// target's `Spec`) and so not a kind.

#include <memory>
#include <string>
#include <vector>

#include "hnet/generators/generator.h"
#include "hnet/generators/low_rank_generator.h"
#include "hnet/spec.h"

namespace hnet {

/// A new generator of kind `kind` for `spec`, built with `options` (and, for
/// "lowrank", `low_rank`; the default rank 4 is the configuration's).
///
/// requires: `kind` is one of generator_kinds() (else throws c10::ValueError
/// naming the kind and listing the known ones); `options` as the kind's
/// class requires.
/// ensures: forward(cond [B, options.condition_dim()]) is [B, spec->numel()].
///
/// Example: `auto gen = make_generator("chunked", mlp->spec(), GeneratorOptions(32));`
std::shared_ptr<WeightGenerator> make_generator(
    const std::string& kind, std::shared_ptr<const Spec> spec, const GeneratorOptions& options,
    const LowRankOptions& low_rank = LowRankOptions(4));

/// The number of parameters make_generator(kind, spec, options, low_rank)
/// would allocate, counted without allocating anything (a run checks its
/// parameter budget with it before it builds).
///
/// requires: as make_generator (an unknown kind throws c10::ValueError).
int64_t generator_parameter_count(
    const std::string& kind, const Spec& spec, const GeneratorOptions& options,
    const LowRankOptions& low_rank = LowRankOptions(4));

/// Every kind make_generator builds, in a fixed order (the table above).
const std::vector<std::string>& generator_kinds();

/// Whether generators of `kind` implement forward_interval (the others
/// throw from it). Throws c10::ValueError for an unknown kind, as
/// make_generator does.
bool generator_supports_interval(const std::string& kind);

/// The kinds for which generator_supports_interval is true, in the order of
/// generator_kinds().
std::vector<std::string> interval_generator_kinds();

}  // namespace hnet
