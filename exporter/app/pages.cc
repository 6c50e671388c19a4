#include "exporter/app/pages.h"

#include <cmath>
#include <cstdio>

#include "exporter/parse/timestamp.h"

namespace lle::app {

std::string html_escape(const std::string& s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

namespace {
std::string ms(double seconds) {
  if (std::isnan(seconds)) return "&ndash;";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f ms", seconds * 1000);
  return buf;
}
}  // namespace

std::string landing_page(const metrics::Published& state) {
  const auto& snap = state.snapshot;
  std::string rows;
  for (std::size_t i = 0; i < snap.services->size(); ++i) {
    const auto& s = (*snap.services)[i];
    const auto& v = snap.views[i];
    rows += "<tr><td>" + html_escape(s.display_name) + " <small>(" + html_escape(s.id) +
            ")</small></td><td>" + html_escape(s.team) + "</td><td>" + ms(v.last_5m.p95) +
            "</td><td>" + ms(v.baseline.p95) + (v.baseline_ready ? "" : " (not ready)") +
            "</td><td>" + std::to_string(v.accepted_total) + "</td></tr>\n";
  }
  return "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
         "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
         "<title>loki-latency-exporter</title>"
         "<style>body{font-family:system-ui,sans-serif;margin:1rem;max-width:60rem}"
         "table{border-collapse:collapse;width:100%}td,th{padding:.3rem .5rem;"
         "border-bottom:1px solid #ddd;text-align:left}</style></head><body>"
         "<h1>loki-latency-exporter</h1>"
         "<p>Per-service latency quantiles from Loki logs. Version " +
         html_escape(state.status.version) + ", state as of " +
         parse::format_timestamp(snap.at_ns) +
         ".</p><p><a href=\"/metrics\">/metrics</a> &middot; <a href=\"/-/healthy\">/-/healthy</a>"
         " &middot; <a href=\"/-/ready\">/-/ready</a></p>"
         "<table><thead><tr><th>Service</th><th>Team</th><th>P95 (5m)</th>"
         "<th>Baseline P95 (7d)</th><th>Lines</th></tr></thead><tbody>\n" +
         rows + "</tbody></table></body></html>\n";
}

}  // namespace lle::app
