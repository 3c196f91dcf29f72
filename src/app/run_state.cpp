// The run state a continual checkpoint carries in its metadata, parsed
// strictly (kept apart from the rest of the checkpoint code so that the fuzz
// target fuzz_checkpoint_metadata can drive it alone).

#include "run_state.h"

#include <charconv>
#include <cmath>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "hnet/errors.h"
#include "hnet/io/file_safety.h"

namespace hnet {
namespace {

using json = nlohmann::json;

// A JSON text longer than this is damage: 100 tasks of accuracies take ~100 kB.
constexpr size_t kMaxMatrixBytes = 1 << 20;

// A whole-string integer, as the checkpoint writes it (no sign, no spaces).
int64_t parse_count(const std::string& text) {
  int64_t value = -1;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value < 0)
    throw std::invalid_argument("'" + io::clipped(text, 40) + "' is not a non-negative integer");
  return value;
}

// A whole-string finite number >= 0, as the checkpoint writes it (std::stod
// would also take "nan", "inf" and trailing junk).
double parse_seconds(const std::string& text) {
  double value = -1;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || !std::isfinite(value) || value < 0)
    throw std::invalid_argument("'" + io::clipped(text, 40) + "' is not a finite number >= 0");
  return value;
}

const std::string& field(const std::map<std::string, std::string>& metadata, const char* key) {
  auto it = metadata.find(key);
  if (it == metadata.end()) throw std::invalid_argument(std::string("'") + key + "' is missing");
  return it->second;
}

// `metadata` parsed into `s`; throws std::exception on damage.
void parse_run_metadata(const std::map<std::string, std::string>& metadata, RunState& s) {
  const std::string& text = field(metadata, "acc_matrix");
  if (text.size() > kMaxMatrixBytes) throw std::invalid_argument("'acc_matrix' is too long");
  const json acc = json::parse(text);
  if (!acc.is_array()) throw std::invalid_argument("'acc_matrix' is not a list of lists");
  for (const auto& row : acc) {
    if (!row.is_array()) throw std::invalid_argument("'acc_matrix' is not a list of lists");
    s.acc.emplace_back();
    for (const auto& a : row) {
      if (!a.is_number() || !(a.get<double>() >= 0 && a.get<double>() <= 1))
        throw std::invalid_argument("an accuracy in 'acc_matrix' is not a number in [0, 1]");
      s.acc.back().push_back(a.get<double>());
    }
  }
  s.wall_seconds = parse_seconds(field(metadata, "wall_seconds"));
  s.train_steps = parse_count(field(metadata, "train_steps"));
  auto bytes = metadata.find("metrics_bytes");  // absent in older checkpoints
  if (bytes != metadata.end()) s.metrics_bytes = parse_count(bytes->second);
}

}  // namespace

int64_t parse_metadata_count(const std::string& text) {
  return parse_count(text);
}

RunState parse_run_state(
    const std::map<std::string, std::string>& metadata, int64_t tasks_done, int64_t tasks,
    const std::string& path) {
  RunState s;
  s.tasks_done = tasks_done;
  try {
    parse_run_metadata(metadata, s);
  } catch (const std::exception& err) {
    // json's parse, type and range errors, and the checks above.
    HNET_CHECK_INPUT(
        false, "checkpoint ", io::clipped(path), ": damaged run metadata (",
        io::clipped(err.what(), 200), ")");
  }
  HNET_CHECK_INPUT(
      static_cast<int64_t>(s.acc.size()) == tasks_done, "checkpoint ", io::clipped(path),
      ": accuracy matrix has ", s.acc.size(), " rows but ", tasks_done, " tasks are done");
  for (size_t i = 0; i < s.acc.size(); ++i) {
    HNET_CHECK_INPUT(
        s.acc[i].size() == i + 1, "checkpoint ", io::clipped(path), ": accuracy row ", i + 1,
        " has ", s.acc[i].size(), " values, expected ", i + 1);
    s.acc[i].resize(tasks, std::nan(""));
  }
  return s;
}

}  // namespace hnet
