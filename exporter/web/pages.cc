#include "exporter/web/pages.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "exporter/api/breaches.h"
#include "exporter/core/clock.h"

namespace lle::web {

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

constexpr std::int64_t kWeekNs = 7 * 24 * 3'600'000'000'000LL;

std::string fmt(const char* f, double v) {
  char buf[48];
  std::snprintf(buf, sizeof buf, f, v);
  return buf;
}

// "2026-11-30 09:25 UTC": minutes are the trend's resolution.
std::string minute(std::int64_t ns) {
  const std::string t = core::format_timestamp(ns);
  return t.substr(0, 10) + " " + t.substr(11, 5) + " UTC";
}

std::string ms(double seconds) {
  return std::isnan(seconds) ? "&ndash;" : fmt("%.1f ms", seconds * 1000);
}

bool breaching(const StatusRow& r) { return api::breaching(r.view.last_5m.p95, r.threshold_ms); }

std::string page(const std::string& title, const std::string& body) {
  return "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
         "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
         "<title>" +
         html_escape(title) +
         "</title><style>"
         "body{font-family:system-ui,sans-serif;margin:1rem;max-width:60rem;color:#222}"
         ".scroll{overflow-x:auto}table{border-collapse:collapse;width:100%}"
         "td,th{padding:.3rem .5rem;border-bottom:1px solid #ddd;text-align:left;"
         "white-space:nowrap}tr.breaching td{background:#fde8e8}"
         ".badge{padding:0 .4rem;border-radius:.3rem;font-size:.85em}"
         ".bad{background:#c62828;color:#fff}.good{background:#2e7d32;color:#fff}"
         "svg{width:100%;height:auto;max-width:760px}small{color:#666}"
         "</style></head><body>" +
         body + "</body></html>\n";
}

}  // namespace

std::string trend_svg(const std::vector<window::TrendPoint>& trend, std::int64_t end_ns,
                      double threshold_seconds, double baseline_seconds) {
  constexpr double kW = 720, kH = 220, kLeft = 52, kRight = 8, kTop = 8, kBottom = 24;
  const double plot_w = kW - kLeft - kRight, plot_h = kH - kTop - kBottom;
  const std::int64_t start_ns = end_ns - kWeekNs;
  double top = 0;
  for (const auto& p : trend) top = std::max(top, p.p95);
  for (double v : {threshold_seconds, baseline_seconds})
    if (!std::isnan(v)) top = std::max(top, v);
  // A round top, in steps of 50 ms, with some room above the highest line.
  const double top_ms = std::max(50.0, std::ceil(top * 1000 * 1.15 / 50) * 50);
  const auto x = [&](std::int64_t t) {
    return kLeft + static_cast<double>(t - start_ns) / static_cast<double>(kWeekNs) * plot_w;
  };
  const auto y = [&](double seconds) { return kTop + plot_h - seconds * 1000 / top_ms * plot_h; };

  std::string svg = "<svg class=\"trend\" viewBox=\"0 0 " + fmt("%.0f", kW) + " " +
                    fmt("%.0f", kH) +
                    "\" role=\"img\" xmlns=\"http://www.w3.org/2000/svg\">"
                    "<title>5-minute P95 over the last 7 days</title>";
  for (int i = 0; i <= 4; ++i) {  // horizontal grid with ms labels
    const double v = top_ms * i / 4 / 1000;
    svg += "<line x1=\"" + fmt("%.1f", kLeft) + "\" x2=\"" + fmt("%.1f", kW - kRight) + "\" y1=\"" +
           fmt("%.1f", y(v)) + "\" y2=\"" + fmt("%.1f", y(v)) + "\" stroke=\"#eee\"/><text x=\"" +
           fmt("%.1f", kLeft - 4) + "\" y=\"" + fmt("%.1f", y(v) + 4) +
           "\" font-size=\"11\" text-anchor=\"end\" fill=\"#666\">" + fmt("%.0f", top_ms * i / 4) +
           " ms</text>";
  }
  for (int d = 0; d <= 7; ++d) {  // a tick per day, "-7d" .. "now"
    const double tx = x(start_ns + d * (kWeekNs / 7));
    svg += "<text x=\"" + fmt("%.1f", tx) + "\" y=\"" + fmt("%.1f", kH - 6) +
           "\" font-size=\"11\" text-anchor=\"" + (d == 7 ? "end" : "middle") +
           "\" fill=\"#666\">" + (d == 7 ? std::string("now") : "-" + std::to_string(7 - d) + "d") +
           "</text>";
  }
  if (!std::isnan(threshold_seconds)) {
    for (const auto& b : api::breaches(trend, threshold_seconds)) {
      const double bx = x(std::max(b.start_ns, start_ns));
      svg += "<rect class=\"breach\" x=\"" + fmt("%.1f", bx) + "\" y=\"" + fmt("%.1f", kTop) +
             "\" width=\"" + fmt("%.1f", std::max(1.5, x(b.end_ns) - bx)) + "\" height=\"" +
             fmt("%.1f", plot_h) + "\" fill=\"#e53935\" fill-opacity=\"0.18\"><title>breach " +
             minute(b.start_ns) + " to " + minute(b.end_ns) + ", peak " +
             fmt("%.1f", b.peak_seconds * 1000) + " ms</title></rect>";
    }
  }
  // The trend, one polyline per run of consecutive buckets (a gap is drawn as one).
  std::string points;
  std::int64_t next = 0;
  const auto flush = [&] {
    if (!points.empty())
      svg +=
          "<polyline class=\"p95\" fill=\"none\" stroke=\"#1565c0\" stroke-width=\"1.5\" "
          "points=\"" +
          points + "\"/>";
    points.clear();
  };
  for (const auto& p : trend) {
    if (p.bucket_start_ns < start_ns) continue;
    if (p.bucket_start_ns != next) flush();
    points += fmt("%.1f", x(p.bucket_start_ns + window::kFiveMinutesNs / 2)) + "," +
              fmt("%.1f", y(p.p95)) + " ";
    next = p.bucket_start_ns + window::kFiveMinutesNs;
  }
  flush();
  const auto level = [&](const char* cls, double v, const char* color, const char* dash) {
    if (std::isnan(v)) return;
    svg += "<line class=\"" + std::string(cls) + "\" x1=\"" + fmt("%.1f", kLeft) + "\" x2=\"" +
           fmt("%.1f", kW - kRight) + "\" y1=\"" + fmt("%.1f", y(v)) + "\" y2=\"" +
           fmt("%.1f", y(v)) + "\" stroke=\"" + color + "\" stroke-width=\"1.5\"" +
           (dash[0] ? std::string(" stroke-dasharray=\"") + dash + "\"" : "") + "/>";
  };
  level("baseline", baseline_seconds, "#757575", "2 3");
  level("threshold", threshold_seconds, "#c62828", "6 4");
  return svg + "</svg>";
}

std::string landing_page(const metrics::Published& state, const std::vector<StatusRow>& rows,
                         const std::string& who) {
  const auto& snap = state.snapshot;
  std::string table;
  int breaches = 0;
  for (const auto& r : rows) {
    const bool bad = breaching(r);
    breaches += bad;
    table +=
        std::string("<tr class=\"service") + (bad ? " breaching" : "") + "\" id=\"" +
        html_escape(r.info.id) + "\"><td><a href=\"/service/" + html_escape(r.info.id) + "\">" +
        html_escape(r.info.display_name) + "</a> <small>(" + html_escape(r.info.id) +
        ")</small></td><td>" + html_escape(r.info.team) + "</td><td class=\"p95\">" +
        ms(r.view.last_5m.p95) + "</td><td>" +
        (std::isnan(r.threshold_ms) ? std::string("&ndash;") : fmt("%.0f ms", r.threshold_ms)) +
        "</td><td>" + ms(r.view.baseline.p95) +
        (r.view.baseline_ready ? "" : " <small>(not ready)</small>") + "</td><td>" +
        (bad ? "<span class=\"badge bad\">breaching</span>"
             : "<span class=\"badge good\">ok</span>") +
        "</td><td>" + std::to_string(r.view.accepted_total) + "</td></tr>\n";
  }
  return page("loki-latency-exporter",
              "<h1>Service latency</h1><p>5-minute P95 against each service's alert threshold. " +
                  std::to_string(rows.size()) + " services, " + std::to_string(breaches) +
                  " breaching. State as of " + core::format_timestamp(snap.at_ns) +
                  (who.empty() ? std::string() : "; signed in as " + html_escape(who)) +
                  ".</p><div class=\"scroll\"><table><thead><tr><th>Service</th><th>Team</th>"
                  "<th>P95 (5m)</th><th>Threshold</th><th>Baseline P95 (7d)</th><th>Status</th>"
                  "<th>Lines</th></tr></thead><tbody>\n" +
                  table + "</tbody></table></div><p><small>loki-latency-exporter " +
                  html_escape(state.status.version) +
                  " &middot; <a href=\"/metrics\">/metrics</a> &middot; <a href=\"/-/healthy\">"
                  "/-/healthy</a> &middot; <a href=\"/-/ready\">/-/ready</a></small></p>");
}

std::string service_page(const metrics::Published& state, const StatusRow& r) {
  const auto& v = r.view;
  const std::vector<window::TrendPoint> trend =
      r.trend ? r.trend->points() : std::vector<window::TrendPoint>{};
  const double threshold_s = r.threshold_ms / 1000;
  const bool bad = breaching(r);
  std::string intervals;
  if (!std::isnan(threshold_s)) {
    for (const auto& b : api::breaches(trend, threshold_s)) {
      intervals += "<li class=\"breach-interval\">" + minute(b.start_ns) + " &ndash; " +
                   minute(b.end_ns) + ", peak " + ms(b.peak_seconds) + "</li>";
    }
  }
  std::string rejects;
  for (std::size_t i = 0; i < core::kRejectReasonCount; ++i) {
    if (v.rejects[i] == 0) continue;
    rejects += "<tr><td>" +
               std::string(core::reject_reason_name(static_cast<core::RejectReason>(i))) +
               "</td><td>" + std::to_string(v.rejects[i]) + "</td></tr>";
  }
  const auto stats_row = [&](const char* name, const window::WindowStats& s) {
    return std::string("<tr><td>") + name + "</td><td>" + ms(s.p50) + "</td><td>" + ms(s.p95) +
           "</td><td>" + ms(s.p99) + "</td><td>" + std::to_string(s.count) + "</td></tr>";
  };
  return page(
      r.info.display_name + " - latency",
      "<p><a href=\"/\">&larr; all services</a></p><h1>" + html_escape(r.info.display_name) +
          " <small>(" + html_escape(r.info.id) + ", team " + html_escape(r.info.team) +
          ")</small></h1><p class=\"status\">" +
          (bad ? "<span class=\"badge bad\">breaching</span> "
               : "<span class=\"badge good\">ok</span> ") +
          "P95 over the last 5 minutes " + ms(v.last_5m.p95) + ", threshold " +
          (std::isnan(r.threshold_ms)
               ? std::string("none")
               : fmt("%.0f ms", r.threshold_ms) + " (" + html_escape(r.threshold_source) + ")") +
          ", baseline " + ms(v.baseline.p95) + (v.baseline_ready ? "" : " (not ready)") + ".</p>" +
          trend_svg(trend, state.snapshot.at_ns, threshold_s, v.baseline.p95) +
          "<p><small><span style=\"color:#1565c0\">&#9644;</span> 5-minute P95 &nbsp; "
          "<span style=\"color:#c62828\">- -</span> threshold &nbsp; "
          "<span style=\"color:#757575\">&middot;&middot;</span> 7-day baseline P95 &nbsp; "
          "<span style=\"background:#fbd5d5\">&nbsp;&nbsp;</span> breach</small></p>"
          "<h2>Breaches in the last 7 days</h2>" +
          (intervals.empty() ? std::string("<p>None.</p>") : "<ul>" + intervals + "</ul>") +
          "<h2>Quantiles</h2><div class=\"scroll\"><table><thead><tr><th>window</th>"
          "<th>P50</th><th>P95</th><th>P99</th><th>lines</th></tr></thead><tbody>" +
          stats_row("5 minutes", v.last_5m) + stats_row("1 hour", v.last_1h) +
          stats_row("7 days (baseline)", v.baseline) +
          "</tbody></table></div><h2>Data quality</h2><p>" + std::to_string(v.accepted_total) +
          " lines accepted, " + std::to_string(v.clamped_high_total + v.clamped_low_total) +
          " clamped to the sketch's range.</p>" +
          (rejects.empty() ? std::string("<p class=\"rejects\">No line rejected.</p>")
                           : "<table class=\"rejects\"><thead><tr><th>rejected because</th>"
                             "<th>lines</th></tr></thead><tbody>" +
                                 rejects + "</tbody></table>"));
}

}  // namespace lle::web
