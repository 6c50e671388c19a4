#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace lle::parse {

// Nanoseconds since the Unix epoch from Loki's "<ns digits>" form or from
// RFC3339 with optional fraction and zone ("2024-05-01T12:00:00.123456789Z",
// "...+02:00"). nullopt when neither, or when the date is not in the calendar
// (2026-02-31). An RFC3339 instant outside what int64 nanoseconds hold (before
// 1677-09-21, after 2262-04-11) saturates to the nearest end, so the gates reject
// it as too late or too far in the future.
std::optional<std::int64_t> parse_timestamp_ns(std::string_view text);

}  // namespace lle::parse
