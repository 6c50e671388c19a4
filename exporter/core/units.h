#pragma once
// Units and durations shared by configuration and line parsing.

#include <optional>
#include <string>
#include <string_view>

namespace lle::core {

enum class LatencyUnit { kSeconds, kMilliseconds, kMicroseconds };

constexpr double seconds_per(LatencyUnit u) {
  switch (u) {
    case LatencyUnit::kSeconds:
      return 1.0;
    case LatencyUnit::kMilliseconds:
      return 1e-3;
    case LatencyUnit::kMicroseconds:
      return 1e-6;
  }
  return 1.0;
}

// "s", "ms", "us".
std::optional<LatencyUnit> latency_unit_from_name(std::string_view name);

// A Go-style duration ("850us", "123ms", "1.5s", "1h30m", "2m") in seconds.
// Units: ns, us, µs, ms, s, m, h. A leading '-' gives a negative result (callers
// decide whether that is valid); nullopt when the text is not a duration.
std::optional<double> parse_duration_seconds(std::string_view text);

// Whole days as Prometheus writes them ("30d"): the number of days, or nullopt for
// anything else ("30", "1.5d", "d", "-1d" reads as -1 and is the caller's to bound).
std::optional<int> parse_whole_days(std::string_view text);

// The shortest text that reads back as v ("0.3", "1e-05").
std::string shortest_text(double v);

// A threshold given in ms, as seconds: the `threshold` label of the slow-request
// counters and the rules that select it. 15 significant digits, so that 123.4 ms
// reads 0.1234 (not 0.12340000000000001, the shortest text of 123.4 / 1000).
std::string ms_as_seconds_text(double ms);

}  // namespace lle::core
