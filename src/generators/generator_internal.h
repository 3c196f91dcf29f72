#pragma once
// Helpers the generators share: option and condition checks, the hyperfan
// initialisation of a head and the calibration of an output
// parametrization on sample conditions. Internal to src/generators/.

#include <torch/types.h>

#include <functional>
#include <string>

#include "hnet/generators/generator.h"
#include "hnet/parametrizations/output_parametrization.h"

namespace hnet::detail {

/// Chunks of `chunk` values that cover `numel` (ceil without the overflow of
/// numel + chunk - 1).
inline int64_t chunk_count(int64_t numel, int64_t chunk) {
  return numel / chunk + (numel % chunk != 0);
}

// Validates the fields every generator reads; messages start with `who`.
void check_generator_options(const GeneratorOptions& options, const char* who);

// Checks cond is [B, condition_dim] for generator `who`.
void check_condition(const torch::Tensor& cond, int64_t condition_dim, const char* who);

// Hyperfan initialisation of a generator head: weights N(0, s^2) so raw
// outputs have variance `output_variance` for inputs of second moment
// `input_second_moment`; zero bias.
void init_head(
    torch::Tensor& weight, torch::Tensor& bias, double input_second_moment, double output_variance);

// Condition-like random inputs for calibrating a trunk: [rows, dim] with
// entries N(0, second_moment).
torch::Tensor calibration_sample(int64_t rows, int64_t dim, double second_moment);

// The trunk input of a generator that pairs conditions with learned
// embeddings: 512 sample conditions beside 512 N(0, 1) embeddings, drawn in
// that order, [512, condition_dim + embedding_dim].
torch::Tensor paired_calibration_sample(const GeneratorOptions& options);

// Number of batches calibrate_output and its kin average over.
constexpr int kCalibrationRounds = 64;

// Calls `visit` on kCalibrationRounds batches of 4 sample conditions (256 in
// all, 4 at a time so that huge generators stay within memory), drawn in
// order: every calibration draws the same conditions the same way.
void for_each_calibration_batch(
    const GeneratorOptions& options, const std::function<void(const torch::Tensor&)>& visit);

// Calibrates `output` (see OutputParametrizationImpl::calibrate) on the raw
// outputs `raw` gives for the calibration batches.
void calibrate_output(
    OutputParametrizationImpl& output,
    const std::function<torch::Tensor(const torch::Tensor&)>& raw, const GeneratorOptions& options);

// Throws that interval propagation is not supported, `what` saying by whom
// and why, and naming the generator kinds that support it (registry.h).
[[noreturn]] void throw_interval_unsupported(const std::string& what);

}  // namespace hnet::detail
