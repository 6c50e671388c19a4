#include "exporter/api/breaches.h"

#include <algorithm>

namespace lle::api {

std::vector<Interval> breaches(const std::vector<window::TrendPoint>& trend,
                               double threshold_seconds) {
  std::vector<Interval> out;
  bool open = false;
  for (const auto& p : trend) {
    const bool above = p.p95 > threshold_seconds;
    // A run continues only into the very next bucket.
    if (open && (!above || p.bucket_start_ns != out.back().end_ns)) open = false;
    if (!above) continue;
    if (open) {
      out.back().end_ns += window::kFiveMinutesNs;
      out.back().peak_seconds = std::max(out.back().peak_seconds, p.p95);
    } else {
      out.push_back({p.bucket_start_ns, p.bucket_start_ns + window::kFiveMinutesNs, p.p95});
      open = true;
    }
  }
  return out;
}

Backtest backtest(const std::vector<window::TrendPoint>& trend, double threshold_seconds,
                  std::int64_t for_ns) {
  Backtest b;
  for (const auto& i : breaches(trend, threshold_seconds)) {
    ++b.breaches;
    const std::int64_t lasted = i.end_ns - i.start_ns;
    if (lasted <= for_ns) continue;
    ++b.alerts;
    b.firing_ns += lasted - for_ns;
    b.longest_firing_ns = std::max(b.longest_firing_ns, lasted - for_ns);
    b.fired.push_back(i);
  }
  return b;
}

}  // namespace lle::api
