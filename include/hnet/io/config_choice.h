#pragma once
/// \file
/// Text keys whose values stand for an enum: one table per enum holds its
/// names, the schema's `choices` come from it, and a run reads the enum once
/// with `get_choice` instead of comparing strings where the value is used.
///
/// Example:
///   enum class Schedule { kConstant, kCosine };
///   const ChoiceTable<Schedule> kSchedules{{"constant", Schedule::kConstant},
///                                          {"cosine", Schedule::kCosine}};
///   schema.add(ConfigKey::text("optimizer.schedule", "constant")
///                  .choices(choice_names(kSchedules)));
///   Schedule s = get_choice(config, "optimizer.schedule", kSchedules);

#include <c10/util/Exception.h>

#include <string>
#include <utility>
#include <vector>

#include "hnet/io/config.h"

namespace hnet::io {

/// The names a text key may take, each with the value it stands for, in the
/// order `--list-keys` shows them.
template <class E>
using ChoiceTable = std::vector<std::pair<std::string, E>>;

/// The names of `table`, in order: the `choices` of its key.
template <class E>
std::vector<std::string> choice_names(const ChoiceTable<E>& table) {
  std::vector<std::string> names;
  names.reserve(table.size());
  for (const auto& entry : table) names.push_back(entry.first);
  return names;
}

/// The value that the text of key `key` in `config` stands for.
/// requires: the schema limits `key` to `choice_names(table)`, so that every
///           resolved value is in the table; otherwise throws `c10::Error`
///           (a schema and its table disagree: a programming error, not
///           bad input).
template <class E>
E get_choice(const Config& config, const std::string& key, const ChoiceTable<E>& table) {
  const std::string text = config.get_string(key);
  for (const auto& entry : table)
    if (entry.first == text) return entry.second;
  TORCH_CHECK(false, "config key '", key, "': '", text, "' is not in its choice table");
}

}  // namespace hnet::io
