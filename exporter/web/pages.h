#pragma once
// The built-in status pages (docs/dashboard.md): "/" lists the services with their
// P95 now, threshold, baseline and whether they breach; "/service/<id>" draws one
// service's 7-day trend of 5-minute P95s as SVG, with the threshold, the baseline
// and the breach intervals, and its data-quality counts. Plain HTML and inline
// SVG: no external assets, no JavaScript, readable at phone width.
// Pure functions of what they are given; the caller decides what may be shown.

#include <cmath>
#include <string>
#include <vector>

#include "exporter/metrics/translate.h"

namespace lle::web {

std::string html_escape(const std::string& s);

// One service as the pages show it.
struct StatusRow {
  core::ServiceInfo info;
  window::ServiceView view;
  window::Trend trend;                 // may be null: no trend yet
  double threshold_ms = std::nan("");  // NaN: no alert policy
  std::string threshold_source;        // "default", "policy", "api"
};

// who: the engineer the page is for ("" when the API's access control is off).
std::string landing_page(const metrics::Published& state, const std::vector<StatusRow>& rows,
                         const std::string& who);
std::string service_page(const metrics::Published& state, const StatusRow& row);

// The chart alone (for tests): the trend ending at end_ns, 7 days wide.
std::string trend_svg(const std::vector<window::TrendPoint>& trend, std::int64_t end_ns,
                      double threshold_seconds, double baseline_seconds);

}  // namespace lle::web
