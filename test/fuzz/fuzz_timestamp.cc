// Timestamps from untrusted input: never undefined behaviour, and every value
// that is not held at an int64 end reads back through format_timestamp.
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <string_view>

#include "exporter/core/clock.h"
#include "exporter/parse/timestamp.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto ns = lle::parse::parse_timestamp_ns(text);
  if (ns && *ns != std::numeric_limits<std::int64_t>::min() &&
      *ns != std::numeric_limits<std::int64_t>::max()) {
    const auto again = lle::parse::parse_timestamp_ns(lle::core::format_timestamp(*ns));
    if (!again || *again != *ns) std::abort();
  }
  return 0;
}
