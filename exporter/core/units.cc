#include "exporter/core/units.h"

#include <charconv>
#include <cmath>

namespace lle::core {

std::optional<LatencyUnit> latency_unit_from_name(std::string_view name) {
  if (name == "s") return LatencyUnit::kSeconds;
  if (name == "ms") return LatencyUnit::kMilliseconds;
  if (name == "us") return LatencyUnit::kMicroseconds;
  return std::nullopt;
}

std::optional<int> parse_whole_days(std::string_view text) {
  int days = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), days);
  if (ec != std::errc() || text.data() + text.size() - end != 1 || *end != 'd') return std::nullopt;
  return days;
}

std::optional<double> parse_duration_seconds(std::string_view text) {
  bool negative = false;
  if (!text.empty() && (text.front() == '-' || text.front() == '+')) {
    negative = text.front() == '-';
    text.remove_prefix(1);
  }
  if (text.empty()) return std::nullopt;
  double total = 0;
  while (!text.empty()) {
    std::size_t n = 0;
    while (n < text.size() && ((text[n] >= '0' && text[n] <= '9') || text[n] == '.')) ++n;
    if (n == 0 || (n == 1 && text[0] == '.')) return std::nullopt;
    double value = 0;
    const auto [ptr, ec] = std::from_chars(text.data(), text.data() + n, value);
    if (ec != std::errc() || ptr != text.data() + n) return std::nullopt;
    text.remove_prefix(n);
    std::size_t u = 0;
    while (u < text.size() && !((text[u] >= '0' && text[u] <= '9') || text[u] == '.')) ++u;
    const std::string_view unit = text.substr(0, u);
    text.remove_prefix(u);
    double scale;
    if (unit == "ns")
      scale = 1e-9;
    else if (unit == "us" || unit == "\xC2\xB5s" || unit == "\xCE\xBCs")
      scale = 1e-6;
    else if (unit == "ms")
      scale = 1e-3;
    else if (unit == "s")
      scale = 1;
    else if (unit == "m")
      scale = 60;
    else if (unit == "h")
      scale = 3600;
    else
      return std::nullopt;
    total += value * scale;
  }
  if (!std::isfinite(total)) return std::nullopt;
  return negative ? -total : total;
}

std::string shortest_text(double v) {
  char buf[32];
  return std::string(buf, std::to_chars(buf, buf + sizeof buf, v).ptr);
}

std::string ms_as_seconds_text(double ms) {
  char buf[32];
  return std::string(
      buf, std::to_chars(buf, buf + sizeof buf, ms / 1000, std::chars_format::general, 15).ptr);
}

}  // namespace lle::core
