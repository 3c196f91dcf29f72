#include "hnet/spec.h"

#include <c10/util/Exception.h>

#include <algorithm>
#include <numeric>
#include <sstream>
#include <string_view>

namespace hnet {

double SpecEntry::init_mean() const {
  return role == Role::kScale ? 1.0 : 0.0;
}

double SpecEntry::init_variance(Fan fan) const {
  return gain / static_cast<double>(fan == Fan::kIn ? fan_in : fan_out);
}

std::string shape_str(const std::vector<int64_t>& shape) {
  std::ostringstream out;
  out << "[";
  for (size_t i = 0; i < shape.size(); ++i) out << (i ? ", " : "") << shape[i];
  out << "]";
  return out.str();
}

std::string shape_str(torch::IntArrayRef shape) {
  return shape_str(shape.vec());
}

namespace {

size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  std::iota(row.begin(), row.end(), 0);
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] != b[j - 1])});
      diagonal = above;
    }
  }
  return row[b.size()];
}

}  // namespace

std::string closest_name(const std::string& name, const std::vector<std::string>& known) {
  // The distance costs |name| x |candidate|: hostile names (a megabyte-long
  // config key or tensor name, a file with millions of tensors) are compared
  // by their first 256 bytes, among the first 4096 candidates.
  constexpr size_t kCompared = 256;
  constexpr size_t kCandidates = 4096;
  const std::string_view head = std::string_view(name).substr(0, kCompared);
  std::string best;
  size_t best_distance = SIZE_MAX;
  for (size_t i = 0; i < known.size() && i < kCandidates; ++i) {
    size_t d = edit_distance(head, std::string_view(known[i]).substr(0, kCompared));
    if (d < best_distance) {
      best_distance = d;
      best = known[i];
    }
  }
  return best;
}

Spec& Spec::add_weight(const std::string& name, std::vector<int64_t> shape, double gain) {
  TORCH_CHECK(
      shape.size() >= 2, "Spec: weight '", name,
      "' must have at least 2 dimensions [out, in, ...], got ", shape_str(shape));
  SpecEntry e;
  e.name = name;
  e.role = Role::kWeight;
  e.gain = gain;
  int64_t receptive = 1;
  for (size_t i = 2; i < shape.size(); ++i) receptive *= shape[i];
  e.fan_in = shape[1] * receptive;
  e.fan_out = shape[0] * receptive;
  e.shape = std::move(shape);
  return add(std::move(e));
}

Spec& Spec::add_bias(const std::string& name, int64_t size, int64_t fan_in) {
  SpecEntry e;
  e.name = name;
  e.shape = {size};
  e.role = Role::kBias;
  e.fan_in = fan_in;
  e.fan_out = fan_in;
  e.gain = 1.0 / 3.0;
  return add(std::move(e));
}

Spec& Spec::add_norm(const std::string& name, int64_t size, Role role) {
  TORCH_CHECK(
      role == Role::kScale || role == Role::kShift, "Spec: normalisation entry '", name,
      "' must have role kScale or kShift");
  SpecEntry e;
  e.name = name;
  e.shape = {size};
  e.role = role;
  e.gain = 0.01;
  return add(std::move(e));
}

Spec& Spec::add(SpecEntry e) {
  TORCH_CHECK(!e.name.empty(), "Spec: entry name must not be empty");
  TORCH_CHECK(!by_name_.count(e.name), "Spec: entry '", e.name, "' is already present");
  TORCH_CHECK(!e.shape.empty(), "Spec: entry '", e.name, "' must have a shape, got []");
  for (int64_t d : e.shape) {
    TORCH_CHECK(
        d > 0, "Spec: entry '", e.name, "' dimensions must be > 0, got ", shape_str(e.shape));
  }
  TORCH_CHECK(
      e.fan_in > 0 && e.fan_out > 0, "Spec: entry '", e.name, "' fans must be > 0, got fan_in ",
      e.fan_in, " and fan_out ", e.fan_out);
  TORCH_CHECK(e.gain > 0, "Spec: entry '", e.name, "' gain must be > 0, got ", e.gain);
  e.numel = 1;
  for (int64_t d : e.shape) {
    TORCH_CHECK(
        e.numel <= INT64_MAX / d, "Spec: entry '", e.name, "' has too many elements, shape ",
        shape_str(e.shape));
    e.numel *= d;
  }
  TORCH_CHECK(numel_ <= INT64_MAX - e.numel, "Spec: total size overflows at entry '", e.name, "'");
  e.offset = numel_;
  numel_ += e.numel;
  by_name_.emplace(e.name, entries_.size());
  entries_.push_back(std::move(e));
  return *this;
}

size_t Spec::index(const std::string& name) const {
  auto it = by_name_.find(name);
  if (it != by_name_.end()) return it->second;
  std::vector<std::string> names;
  for (const auto& e : entries_) names.push_back(e.name);
  TORCH_CHECK(
      false, "Spec: no entry named '", name, "'",
      names.empty() ? std::string(" (the spec is empty)")
                    : "; did you mean '" + closest_name(name, names) + "'?");
}

bool Spec::contains(const std::string& name) const {
  return by_name_.count(name) > 0;
}

torch::Tensor Spec::init_mean() const {
  auto out = torch::empty({numel_});
  for (const auto& e : entries_) out.narrow(0, e.offset, e.numel).fill_(e.init_mean());
  return out;
}

torch::Tensor Spec::init_std(Fan fan) const {
  auto out = torch::empty({numel_});
  for (const auto& e : entries_) {
    out.narrow(0, e.offset, e.numel).fill_(std::sqrt(e.init_variance(fan)));
  }
  return out;
}

std::string Spec::str() const {
  std::ostringstream out;
  for (const auto& e : entries_) {
    out << e.name << " " << shape_str(e.shape) << " @" << e.offset << "\n";
  }
  return out.str();
}

bool Spec::operator==(const Spec& other) const {
  if (entries_.size() != other.entries_.size()) return false;
  for (size_t i = 0; i < entries_.size(); ++i) {
    if (entries_[i].name != other.entries_[i].name ||
        entries_[i].shape != other.entries_[i].shape) {
      return false;
    }
  }
  return true;
}

}  // namespace hnet
