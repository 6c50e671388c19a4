#pragma once
// The one value a source hands to the rest of the exporter: a log line with its
// stream labels and Loki timestamp. Views only: valid for the duration of the
// callback that receives them; sources own the storage.

#include <cstdint>
#include <span>
#include <string_view>

namespace lle::core {

struct Label {
  std::string_view name;
  std::string_view value;
};

struct Entry {
  std::span<const Label> labels;  // unordered: never key state on label order
  std::int64_t timestamp_ns = 0;  // Loki's entry timestamp (event time)
  std::string_view line;
};

}  // namespace lle::core
