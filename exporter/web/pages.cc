#include "exporter/web/pages.h"

#include <algorithm>
#include <boost/url/url.hpp>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdio>

#include "exporter/api/breaches.h"
#include "exporter/api/handlers.h"
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

using window::kWeekNs;

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

// A trend's points of the 7 days up to at_ns, and of the 7 days before those.
struct Weeks {
  std::vector<window::TrendPoint> this_week, week_before;
};
Weeks weeks(const window::Trend& t, std::int64_t at_ns) {
  Weeks out;
  if (!t) return out;
  for (const auto& p : t->points(at_ns - 2 * kWeekNs))
    (p.bucket_start_ns + window::kFiveMinutesNs > at_ns - kWeekNs ? out.this_week : out.week_before)
        .push_back(p);
  return out;
}

// A week-over-week ratio as "up 1.31x" (see api::direction).
std::string change(double ratio) { return api::direction(ratio) + (" " + fmt("%.2fx", ratio)); }

// "P95 of the last 24 hours 120.0 ms, up 1.31x on the same 24 hours a week earlier".
std::string week_over_week(const window::WindowStats& day, const window::WindowStats& before) {
  const double ratio = api::week_ratio(day, before);
  std::string out = "<p class=\"week-over-week\">P95 of the last 24 hours " + ms(day.p95);
  if (std::isnan(ratio)) return out + "; nothing to compare with a week earlier.</p>";
  return out + ", <strong class=\"" + api::direction(ratio) + "\">" + change(ratio) +
         "</strong> on the same 24 hours a week earlier (" + ms(before.p95) + ").</p>";
}

bool breaching(const StatusRow& r) { return api::breaching(r.view.last_5m.p95, r.threshold_ms); }

std::string page_html(const std::string& title, const std::string& body) {
  return "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
         "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
         "<title>" +
         html_escape(title) +
         "</title><style>"
         "body{font-family:system-ui,sans-serif;margin:1rem;max-width:72rem;color:#222}"
         ".scroll{overflow-x:auto}table{border-collapse:collapse;width:100%}"
         "td,th{padding:.3rem .5rem;border-bottom:1px solid #ddd;text-align:left;"
         "white-space:nowrap}tr.breaching td{background:#fde8e8}"
         ".badge{padding:0 .4rem;border-radius:.3rem;font-size:.85em}"
         ".bad{background:#c62828;color:#fff}.good{background:#2e7d32;color:#fff}"
         "form.filter label{display:inline-block;margin:0 .6rem .3rem 0}"
         "svg{width:100%;height:auto;max-width:760px}small{color:#666}figure{margin:.5rem 0}"
         "</style></head><body>" +
         body + "</body></html>\n";
}

}  // namespace

namespace {

// A chart of 5-minute P95 lines over the 7 days up to end_ns, with its legend
// (a figure caption) and a text alternative (the SVG's title and description).
struct ChartLine {
  const std::vector<window::TrendPoint>* points;
  std::int64_t shift_ns;  // drawn this much later: the week before by a week
  std::string cls, color, label;
};
struct ChartLevel {  // a horizontal line: a threshold, a baseline
  std::string cls;
  double seconds;  // NaN: not drawn
  std::string color, dash, label;
};
struct Chart {
  std::string title;
  std::vector<ChartLine> lines;  // the last is on top
  std::vector<ChartLevel> levels;
  std::vector<api::Interval> breaches;  // shaded
};

// "Payments API: 2016 points, 48.2 to 302.1 ms, latest 302.1 ms. "; "" if none is drawn.
std::string describe(const ChartLine& l, std::int64_t start_ns) {
  double low = INFINITY, high = -INFINITY, latest = std::nan("");
  std::size_t n = 0;
  for (const auto& p : *l.points) {
    if (p.bucket_start_ns + l.shift_ns < start_ns) continue;
    low = std::min(low, p.p95);
    high = std::max(high, p.p95);
    latest = p.p95;
    ++n;
  }
  if (n == 0) return "";
  return l.label + ": " + std::to_string(n) + " points, " + fmt("%.1f", low * 1000) + " to " +
         fmt("%.1f", high * 1000) + " ms, latest " + fmt("%.1f", latest * 1000) + " ms. ";
}

std::string chart_svg(const Chart& c, std::int64_t end_ns) {
  constexpr double kW = 720, kH = 240, kLeft = 66, kRight = 8, kTop = 8, kBottom = 40;
  const double plot_w = kW - kLeft - kRight, plot_h = kH - kTop - kBottom;
  const std::int64_t start_ns = end_ns - kWeekNs;
  double top = 0;
  for (const auto& l : c.lines)
    for (const auto& p : *l.points) top = std::max(top, p.p95);
  for (const auto& l : c.levels)
    if (!std::isnan(l.seconds)) top = std::max(top, l.seconds);
  // Four gridlines a round step apart (1, 1.5, 2, 2.5, 3, 4, 5 or 7.5 times a power of
  // ten, whole ms), with some room above the highest line.
  const double want = std::max(50.0, top * 1000 * 1.15) / 4;
  const double decade = std::pow(10, std::floor(std::log10(want)));
  double step = 10 * decade;
  for (const double m : {7.5, 5.0, 4.0, 3.0, 2.5, 2.0, 1.5, 1.0})
    if (m * decade >= want) step = m * decade;
  const double top_ms = 4 * step;
  const auto x = [&](std::int64_t t) {
    return kLeft + static_cast<double>(t - start_ns) / static_cast<double>(kWeekNs) * plot_w;
  };
  const auto y = [&](double seconds) { return kTop + plot_h - seconds * 1000 / top_ms * plot_h; };

  std::string desc;
  std::vector<bool> drawn;  // lines with a point in the week: those in the legend
  for (const auto& l : c.lines) {
    const std::string d = describe(l, start_ns);
    drawn.push_back(!d.empty());
    desc += d;
  }
  for (const auto& l : c.levels)
    if (!std::isnan(l.seconds)) desc += l.label + ": " + fmt("%.1f", l.seconds * 1000) + " ms. ";
  if (!c.breaches.empty()) desc += std::to_string(c.breaches.size()) + " breaches shaded.";
  std::string svg = "<figure class=\"chart\"><svg class=\"trend\" viewBox=\"0 0 " +
                    fmt("%.0f", kW) + " " + fmt("%.0f", kH) +
                    "\" role=\"img\" xmlns=\"http://www.w3.org/2000/svg\"><title>" +
                    html_escape(c.title) + "</title><desc>" + html_escape(desc) + "</desc>";
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
    svg += "<text x=\"" + fmt("%.1f", tx) + "\" y=\"" + fmt("%.1f", kTop + plot_h + 16) +
           "\" font-size=\"11\" text-anchor=\"" + (d == 7 ? "end" : "middle") +
           "\" fill=\"#666\">" + (d == 7 ? std::string("now") : "-" + std::to_string(7 - d) + "d") +
           "</text>";
  }
  // The axes' titles.
  svg += "<text class=\"axis-x\" x=\"" + fmt("%.1f", kLeft + plot_w / 2) + "\" y=\"" +
         fmt("%.1f", kH - 4) +
         "\" font-size=\"11\" text-anchor=\"middle\" fill=\"#444\">days before now "
         "(5-minute buckets)</text><text class=\"axis-y\" transform=\"translate(12 " +
         fmt("%.1f", kTop + plot_h / 2) +
         ") rotate(-90)\" font-size=\"11\" text-anchor=\"middle\" fill=\"#444\">"
         "5-minute P95 (ms)</text>";
  for (const auto& b : c.breaches) {
    const double bx = x(std::max(b.start_ns, start_ns));
    svg += "<rect class=\"breach\" x=\"" + fmt("%.1f", bx) + "\" y=\"" + fmt("%.1f", kTop) +
           "\" width=\"" + fmt("%.1f", std::max(1.5, x(b.end_ns) - bx)) + "\" height=\"" +
           fmt("%.1f", plot_h) + "\" fill=\"#e53935\" fill-opacity=\"0.18\"><title>breach " +
           minute(b.start_ns) + " to " + minute(b.end_ns) + ", peak " +
           fmt("%.1f", b.peak_seconds * 1000) + " ms</title></rect>";
  }
  // Each line as one polyline per run of consecutive buckets (a gap is drawn as one).
  for (const auto& l : c.lines) {
    std::string points;
    std::int64_t next = 0;
    const auto flush = [&] {
      if (!points.empty())
        svg += "<polyline class=\"" + l.cls + "\" fill=\"none\" stroke=\"" + l.color +
               "\" stroke-width=\"1.5\" points=\"" + points + "\"/>";
      points.clear();
    };
    for (const auto& p : *l.points) {
      const std::int64_t start = p.bucket_start_ns + l.shift_ns;
      if (start < start_ns) continue;
      if (start != next) flush();
      points +=
          fmt("%.1f", x(start + window::kFiveMinutesNs / 2)) + "," + fmt("%.1f", y(p.p95)) + " ";
      next = start + window::kFiveMinutesNs;
    }
    flush();
  }
  std::string legend;
  const auto entry = [&](const std::string& swatch, const std::string& label) {
    legend += "<span class=\"key\">" + swatch + " " + html_escape(label) + "</span> ";
  };
  for (std::size_t i = 0; i < c.lines.size(); ++i)
    if (drawn[i])
      entry("<span style=\"color:" + c.lines[i].color + "\">&#9644;</span>", c.lines[i].label);
  for (const auto& l : c.levels) {
    if (std::isnan(l.seconds)) continue;
    svg += "<line class=\"" + l.cls + "\" x1=\"" + fmt("%.1f", kLeft) + "\" x2=\"" +
           fmt("%.1f", kW - kRight) + "\" y1=\"" + fmt("%.1f", y(l.seconds)) + "\" y2=\"" +
           fmt("%.1f", y(l.seconds)) + "\" stroke=\"" + l.color +
           "\" stroke-width=\"1.5\" stroke-dasharray=\"" + l.dash + "\"/>";
    entry("<span style=\"color:" + l.color + "\">- -</span>", l.label);
  }
  if (!c.breaches.empty())
    entry("<span style=\"background:#fbd5d5\">&nbsp;&nbsp;</span>", "breach");
  return svg + "</svg><figcaption class=\"legend\"><small>" + legend +
         "</small></figcaption></figure>";
}

const char kBlue[] = "#1565c0", kGrey[] = "#9e9e9e";

// A trend's chart: this week over the week before, a threshold (its breaches
// shaded), a baseline.
Chart trend_chart(std::string title, const Weeks& w, const std::string& what,
                  double threshold_seconds, double baseline_seconds,
                  const std::string& baseline_label) {
  Chart c{std::move(title),
          {{&w.week_before, kWeekNs, "p95-week-before", kGrey, "the week before, a week later"},
           {&w.this_week, 0, "p95", kBlue, what}},
          {{"baseline", baseline_seconds, "#757575", "2 3", baseline_label},
           {"threshold", threshold_seconds, "#c62828", "6 4", "threshold"}},
          {}};
  if (!std::isnan(threshold_seconds)) c.breaches = api::breaches(w.this_week, threshold_seconds);
  return c;
}

}  // namespace

std::string trend_svg(const std::vector<window::TrendPoint>& trend, std::int64_t end_ns,
                      double threshold_seconds, double baseline_seconds,
                      const std::vector<window::TrendPoint>& week_before) {
  return chart_svg(
      trend_chart("5-minute P95 over the last 7 days", {trend, week_before}, "5-minute P95",
                  threshold_seconds, baseline_seconds, "7-day baseline P95"),
      end_ns);
}

std::optional<ListQuery> parse_list_query(std::string_view query, std::string* why) {
  std::pair<std::string, std::string> bad;
  const auto params = api::query_parameters(query, {"team", "state", "name", "sort", "page"}, &bad);
  if (!params) {
    *why = bad.second;
    return std::nullopt;
  }
  const auto get = [&](const char* key) {
    const auto it = params->find(key);
    return it == params->end() ? std::string() : it->second;
  };
  ListQuery q;
  q.team = get("team");
  q.name = get("name");
  if (const auto state = get("state"); state == "breaching") {
    q.state = ListQuery::State::kBreaching;
  } else if (state == "ok") {
    q.state = ListQuery::State::kOk;
  } else if (!state.empty() && state != "any") {
    *why = "state is any, breaching or ok";
    return std::nullopt;
  }
  if (const auto sort = get("sort"); sort == "name") {
    q.order = ListQuery::Order::kName;
  } else if (sort == "p95") {
    q.order = ListQuery::Order::kP95;
  } else if (!sort.empty() && sort != "breaching") {
    *why = "sort is breaching, name or p95";
    return std::nullopt;
  }
  if (const auto page = get("page"); !page.empty()) {
    const auto r = std::from_chars(page.data(), page.data() + page.size(), q.page);
    if (r.ec != std::errc() || r.ptr != page.data() + page.size() || q.page == 0) {
      *why = "page is a whole number from 1";
      return std::nullopt;
    }
  }
  return q;
}

namespace {

bool contains_folded(std::string_view text, std::string_view part) {
  return std::search(text.begin(), text.end(), part.begin(), part.end(), [](char a, char b) {
           return std::tolower(static_cast<unsigned char>(a)) ==
                  std::tolower(static_cast<unsigned char>(b));
         }) != text.end();
}

// The list with the query's filter and order, at `page`.
std::string list_url(const ListQuery& q, std::size_t page) {
  boost::urls::url u(q.mine ? "/mine" : "/");
  if (!q.team.empty()) u.params().append({"team", q.team});
  if (q.state != ListQuery::State::kAny)
    u.params().append({"state", q.state == ListQuery::State::kBreaching ? "breaching" : "ok"});
  if (!q.name.empty()) u.params().append({"name", q.name});
  if (q.order != ListQuery::Order::kBreachingFirst)
    u.params().append({"sort", q.order == ListQuery::Order::kName ? "name" : "p95"});
  if (page > 1) u.params().append({"page", std::to_string(page)});
  return std::string(u.buffer());
}

// Breaching first, then the highest P95 (no data last), then by id.
void sort_rows(std::vector<const StatusRow*>& rows, ListQuery::Order order) {
  const auto p95 = [](const StatusRow* r) {
    return std::isnan(r->view.last_5m.p95) ? -1.0 : r->view.last_5m.p95;
  };
  std::stable_sort(rows.begin(), rows.end(), [&](const StatusRow* a, const StatusRow* b) {
    if (order == ListQuery::Order::kBreachingFirst && breaching(*a) != breaching(*b))
      return breaching(*a);
    if (order != ListQuery::Order::kName && p95(a) != p95(b)) return p95(a) > p95(b);
    return a->info.id < b->info.id;
  });
}

std::string service_row(const StatusRow& r, bool team_column) {
  const bool bad = breaching(r);
  return std::string("<tr class=\"service") + (bad ? " breaching" : "") + "\" id=\"" +
         html_escape(r.info.id) + "\"><td><a href=\"/service/" + html_escape(r.info.id) + "\">" +
         html_escape(r.info.display_name) + "</a> <small>(" + html_escape(r.info.id) +
         ")</small></td>" +
         (team_column ? "<td><a href=\"/team/" + html_escape(r.info.team) + "\">" +
                            html_escape(r.info.team) + "</a></td>"
                      : std::string()) +
         "<td class=\"p95\">" + ms(r.view.last_5m.p95) + "</td><td>" +
         (std::isnan(r.threshold_ms) ? std::string("&ndash;") : fmt("%.0f ms", r.threshold_ms)) +
         "</td><td>" + ms(r.view.baseline.p95) +
         (r.view.baseline_ready ? "" : " <small>(not ready)</small>") + "</td><td>" +
         (bad ? "<span class=\"badge bad\">breaching</span>"
              : "<span class=\"badge good\">ok</span>") +
         "</td>";
}

std::string option(const std::string& value, const std::string& label, bool selected) {
  return "<option value=\"" + html_escape(value) + "\"" + (selected ? " selected" : "") + ">" +
         html_escape(label) + "</option>";
}

// The (at most 5) services whose P95 of the last 24 hours rose most on the same
// 24 hours a week earlier, by at least kRose.
std::string rose_most(const std::vector<const StatusRow*>& rows) {
  std::vector<std::pair<double, const StatusRow*>> rose;
  for (const auto* r : rows) {
    const double ratio = api::week_ratio(r->view.last_24h, r->view.week_before_24h);
    if (ratio >= api::kRose) rose.emplace_back(ratio, r);
  }
  if (rose.empty()) return "";
  std::sort(rose.begin(), rose.end(), [](const auto& a, const auto& b) {
    return a.first != b.first ? a.first > b.first : a.second->info.id < b.second->info.id;
  });
  std::string out = "<p class=\"rose-most\">Rose most week over week (last 24 hours):";
  for (std::size_t i = 0; i < rose.size() && i < 5; ++i) {
    out += std::string(i ? "," : "") + " <a href=\"/service/" +
           html_escape(rose[i].second->info.id) + "\">" +
           html_escape(rose[i].second->info.display_name) + "</a> " + fmt("%.2fx", rose[i].first);
  }
  return out + ".</p>";
}

const char kFooter[] =
    " &middot; <a href=\"/metrics\">/metrics</a> &middot; <a href=\"/-/healthy\">"
    "/-/healthy</a> &middot; <a href=\"/-/ready\">/-/ready</a></small></p>";

}  // namespace

std::string landing_page(const metrics::Published& state, const std::vector<StatusRow>& rows,
                         const std::string& who, const ListQuery& q) {
  const auto& snap = state.snapshot;
  std::vector<const StatusRow*> shown, visible;
  std::vector<std::string> teams;
  int breaches = 0;
  for (const auto& r : rows) {
    const bool bad = breaching(r);
    breaches += bad;
    teams.push_back(r.info.team);
    visible.push_back(&r);
    if (!q.team.empty() && r.info.team != q.team) continue;
    if (q.state != ListQuery::State::kAny && bad != (q.state == ListQuery::State::kBreaching))
      continue;
    if (!q.name.empty() && !contains_folded(r.info.id, q.name) &&
        !contains_folded(r.info.display_name, q.name))
      continue;
    shown.push_back(&r);
  }
  std::sort(teams.begin(), teams.end());
  teams.erase(std::unique(teams.begin(), teams.end()), teams.end());
  sort_rows(shown, q.order);
  const std::size_t pages = std::max<std::size_t>(1, (shown.size() + q.kPerPage - 1) / q.kPerPage);
  const std::size_t page = std::min(q.page, pages);
  const std::size_t first = (page - 1) * q.kPerPage;
  const std::size_t last = std::min(shown.size(), first + q.kPerPage);
  std::string table;
  for (std::size_t i = first; i < last; ++i)
    table += service_row(*shown[i], true) + "<td>" + std::to_string(shown[i]->view.accepted_total) +
             "</td></tr>\n";

  std::string form = "<form method=\"get\" action=\"" + std::string(q.mine ? "/mine" : "/") +
                     "\" class=\"filter\"><label>Name <input name=\"name\" value=\"" +
                     html_escape(q.name) +
                     "\" size=\"12\"></label> <label>Team <select name=\"team\">" +
                     option("", "all", q.team.empty());
  for (const auto& t : teams) form += option(t, t, t == q.team);
  form += "</select></label> <label>State <select name=\"state\">" +
          option("any", "any", q.state == ListQuery::State::kAny) +
          option("breaching", "breaching", q.state == ListQuery::State::kBreaching) +
          option("ok", "ok", q.state == ListQuery::State::kOk) +
          "</select></label> <label>Sort <select name=\"sort\">" +
          option("breaching", "breaching first", q.order == ListQuery::Order::kBreachingFirst) +
          option("p95", "highest P95", q.order == ListQuery::Order::kP95) +
          option("name", "name", q.order == ListQuery::Order::kName) +
          "</select></label> <button>Show</button></form>";
  std::string pager = "<p class=\"pager\">";
  pager += shown.empty()
               ? std::string("No service matches.")
               : "Services " + std::to_string(first + 1) + "&ndash;" + std::to_string(last) +
                     " of " + std::to_string(shown.size()) + " matching";
  if (page > 1)
    pager += " &middot; <a rel=\"prev\" href=\"" + html_escape(list_url(q, page - 1)) +
             "\">previous</a>";
  if (page < pages)
    pager +=
        " &middot; <a rel=\"next\" href=\"" + html_escape(list_url(q, page + 1)) + "\">next</a>";
  pager += "</p>";
  return page_html("loki-latency-exporter",
                   std::string(q.mine ? "<h1>Your services</h1><p>Those you own or your team "
                                        "owns: 5-minute P95 against each one's alert threshold. "
                                      : "<h1>Service latency</h1><p>5-minute P95 against each "
                                        "service's alert threshold. ") +
                       std::to_string(rows.size()) + " services, " + std::to_string(breaches) +
                       " breaching. State as of " + core::format_timestamp(snap.at_ns) +
                       (who.empty() ? std::string() : "; signed in as " + html_escape(who)) +
                       ".</p>" + rose_most(visible) + form + pager +
                       "<div class=\"scroll\"><table><thead><tr><th>Service</th><th>Team</th>"
                       "<th>P95 (5m)</th><th>Threshold</th><th>Baseline P95 (7d)</th>"
                       "<th>Status</th><th>Lines</th></tr></thead><tbody>\n" +
                       table + "</tbody></table></div>" + pager +
                       "<p><small>loki-latency-exporter " + html_escape(state.status.version) +
                       kFooter);
}

std::string team_page(const metrics::Published& state, const window::TeamView& team,
                      const window::Trend& trend, const std::vector<StatusRow>& members) {
  std::vector<const StatusRow*> rows;
  for (const auto& r : members) rows.push_back(&r);
  sort_rows(rows, ListQuery::Order::kBreachingFirst);
  std::string table;
  int breaching_now = 0;
  for (const auto* r : rows) {
    breaching_now += breaching(*r);
    const auto points = weeks(r->trend, state.snapshot.at_ns).this_week;
    const std::size_t week =
        std::isnan(r->threshold_ms) ? 0 : api::breaches(points, r->threshold_ms / 1000).size();
    table += service_row(*r, false) + "<td class=\"breaches-7d\">" + std::to_string(week) +
             "</td></tr>\n";
  }
  const auto stats_row = [&](const char* name, const window::WindowStats& s) {
    return std::string("<tr><td>") + name + "</td><td>" + ms(s.p50) + "</td><td>" + ms(s.p95) +
           "</td><td>" + ms(s.p99) + "</td><td>" + std::to_string(s.count) + "</td></tr>";
  };
  const Weeks team_weeks = weeks(trend, state.snapshot.at_ns);
  ListQuery its_services;
  its_services.team = team.team;
  std::string compared;  // its first kMaxCompared services, breaching first
  for (std::size_t i = 0; i < rows.size() && i < kMaxCompared; ++i)
    compared += (i ? "," : "") + rows[i]->info.id;
  boost::urls::url compare("/compare");
  compare.params().append({"services", compared});
  const std::string compare_link = rows.empty() ? std::string()
                                                : " &middot; <a href=\"" +
                                                      html_escape(std::string(compare.buffer())) +
                                                      "\">compare their trends</a>";
  return page_html(
      "Team " + team.team + " - latency",
      "<p><a href=\"" + html_escape(list_url(its_services, 1)) +
          "\">&larr; its services in the list</a>" + compare_link +
          " &middot; <a href=\"/\">all services</a></p>"
          "<h1>Team " +
          html_escape(team.team) + "</h1><p class=\"status\">" + std::to_string(team.services) +
          " services, " + std::to_string(breaching_now) +
          " breaching now. The team's P95 is over every line of its services (a merge of their "
          "sketches, not an average of their P95s): " +
          ms(team.last_5m.p95) + " over the last 5 minutes, " + ms(team.baseline.p95) +
          " over 7 days.</p>" + week_over_week(team.last_24h, team.week_before_24h) +
          rose_most(rows) +
          chart_svg(
              trend_chart("Team " + team.team + ": 5-minute P95 over the last 7 days", team_weeks,
                          "team 5-minute P95", std::nan(""), team.baseline.p95, "team 7-day P95"),
              state.snapshot.at_ns) +
          "<h2>Services</h2><div class=\"scroll\"><table><thead><tr><th>Service</th>"
          "<th>P95 (5m)</th><th>Threshold</th><th>Baseline P95 (7d)</th><th>Status</th>"
          "<th>Breaches (7d)</th></tr></thead><tbody>\n" +
          table +
          "</tbody></table></div><h2>Quantiles</h2><div class=\"scroll\"><table><thead><tr>"
          "<th>window</th><th>P50</th><th>P95</th><th>P99</th><th>lines</th></tr></thead><tbody>" +
          stats_row("5 minutes", team.last_5m) + stats_row("1 hour", team.last_1h) +
          stats_row("7 days", team.baseline) + "</tbody></table></div><p><small>" +
          "loki-latency-exporter " + html_escape(state.status.version) + kFooter);
}

std::optional<std::vector<std::string>> parse_compare_query(std::string_view query,
                                                            std::string* why) {
  std::pair<std::string, std::string> bad;
  const auto params = api::query_parameters(query, {"services"}, &bad);
  if (!params) {
    *why = bad.second;
    return std::nullopt;
  }
  const auto it = params->find("services");
  std::vector<std::string> ids;
  std::string_view rest;
  if (it != params->end()) rest = it->second;
  while (!rest.empty()) {
    const auto comma = std::min(rest.find(','), rest.size());
    ids.emplace_back(rest.substr(0, comma));
    rest = rest.substr(std::min(comma + 1, rest.size()));
  }
  std::vector<std::string> sorted = ids;
  std::sort(sorted.begin(), sorted.end());
  if (ids.empty() || ids.size() > kMaxCompared ||
      std::find(ids.begin(), ids.end(), "") != ids.end()) {
    *why = "services is a comma-separated list of 1 to " + std::to_string(kMaxCompared) +
           " service ids";
  } else if (std::adjacent_find(sorted.begin(), sorted.end()) != sorted.end()) {
    *why = "services lists '" + *std::adjacent_find(sorted.begin(), sorted.end()) + "' twice";
  } else {
    return ids;
  }
  return std::nullopt;
}

std::string compare_page(const metrics::Published& state, const std::vector<StatusRow>& rows) {
  // Eight colours told apart also by most colour-blind readers (Okabe-Ito, darkened).
  static constexpr const char* kColours[kMaxCompared] = {
      "#0072b2", "#d55e00", "#009e73", "#cc79a7", "#e69f00", "#56b4e9", "#000000", "#8c6d00"};
  std::vector<Weeks> trends;
  trends.reserve(rows.size());  // the chart points into it
  Chart chart{"5-minute P95 over the last 7 days", {}, {}, {}};
  std::string table, names;
  for (std::size_t i = 0; i < rows.size() && i < kMaxCompared; ++i) {
    const StatusRow& r = rows[i];
    trends.push_back(weeks(r.trend, state.snapshot.at_ns));
    chart.lines.push_back({&trends.back().this_week, 0, "p95 compared", kColours[i],
                           r.info.display_name + " (" + r.info.id + ")"});
    const double ratio = api::week_ratio(r.view.last_24h, r.view.week_before_24h);
    table += service_row(r, true) + "<td>" + ms(r.view.last_24h.p95) + "</td><td>" +
             (std::isnan(ratio) ? std::string("&ndash;") : change(ratio)) + "</td></tr>\n";
    names += (i ? ", " : "") + r.info.display_name;
  }
  chart.title = names + ": " + chart.title;
  return page_html(
      "Compare " + names + " - latency",
      "<p><a href=\"/\">&larr; all services</a></p><h1>Compare</h1><p class=\"status\">" +
          html_escape(names) + ": 5-minute P95 over the last 7 days. State as of " +
          core::format_timestamp(state.snapshot.at_ns) + ".</p>" +
          chart_svg(chart, state.snapshot.at_ns) +
          "<div class=\"scroll\"><table><thead><tr><th>Service</th><th>Team</th>"
          "<th>P95 (5m)</th><th>Threshold</th><th>Baseline P95 (7d)</th><th>Status</th>"
          "<th>P95 (24h)</th><th>Week over week</th></tr></thead><tbody>\n" +
          table + "</tbody></table></div><p><small>loki-latency-exporter " +
          html_escape(state.status.version) + kFooter);
}

// "1h 0.52x, 2h 0.40x, ...": an SLO's burn rates over kBurnWindows, "no lines" where
// a window has none.
std::string burn_rates(const window::SloPeriod& slo) {
  std::string out;
  for (std::size_t w = 0; w < window::kBurnWindows.size(); ++w) {
    const double r = slo.burn_rates[w];
    out += std::string(w ? ", " : "") + std::string(window::kBurnWindows[w].name) + " " +
           (std::isnan(r) ? std::string("no lines") : fmt("%.2f", r) + "x");
  }
  return out;
}

// A latency SLO's budget over its period and its recent burn rates, as the exporter
// counts them.
std::string slo_section(const window::SloPeriod& slo) {
  if (!slo.budget) return "";
  const auto& b = *slo.budget;
  const double left = slo.remaining();
  return "<h2>Latency SLO</h2><p class=\"slo\">" +
         (left > 0 ? std::string("<span class=\"badge good\">within budget</span> ")
                   : std::string("<span class=\"badge bad\">budget spent</span> ")) +
         fmt("%g", b.objective * 100) + "% of requests within " + fmt("%g", b.threshold_ms) +
         " ms over " + std::to_string(b.days) + " days: " + std::to_string(slo.slow) + " of " +
         std::to_string(slo.total) + " lines of the period slower, error budget left " +
         fmt("%.1f", left * 100) + "% (burn rate over the period " + fmt("%.2f", 1 - left) +
         "x).</p><p class=\"slo\">Burn rate over the last whole hours: " + burn_rates(slo) +
         ".</p>";
}

// The slowest lines inside a breach (at most 3, slowest first, from the slowest of
// each hour), each with the LogQL query that finds it in Loki.
std::string slowest_lines(const std::vector<window::Exemplar>* hourly, const api::Interval& b) {
  if (!hourly) return "";
  std::vector<const window::Exemplar*> inside;
  for (const auto& e : *hourly)
    if (e.ts_ns >= b.start_ns && e.ts_ns < b.end_ns) inside.push_back(&e);
  if (inside.empty()) return "";
  std::sort(inside.begin(), inside.end(),
            [](const auto* x, const auto* y) { return x->seconds > y->seconds; });
  inside.resize(std::min<std::size_t>(inside.size(), 3));
  std::string out = "<ul class=\"exemplars\">";
  for (const auto* e : inside) {
    // Exemplars::usable_id: an id needs no escaping inside a LogQL string.
    out += "<li class=\"exemplar\">" + ms(e->seconds) + " at " +
           html_escape(core::format_timestamp(e->ts_ns)) + ", trace <code>" + html_escape(e->id) +
           "</code>: <code class=\"logql\">" + html_escape(e->stream + " |= \"" + e->id + "\"") +
           "</code></li>";
  }
  return out + "</ul>";
}

std::string service_page(const metrics::Published& state, const StatusRow& r) {
  const auto& v = r.view;
  const Weeks w = weeks(r.trend, state.snapshot.at_ns);
  const double threshold_s = r.threshold_ms / 1000;
  const bool bad = breaching(r);
  const Chart chart =
      trend_chart(r.info.display_name + ": 5-minute P95 over the last 7 days", w, "5-minute P95",
                  threshold_s, v.baseline.p95, "7-day baseline P95");
  std::string intervals;
  for (const auto& b : chart.breaches) {
    intervals += "<li class=\"breach-interval\">" + minute(b.start_ns) + " &ndash; " +
                 minute(b.end_ns) + ", peak " + ms(b.peak_seconds) +
                 slowest_lines(r.slowest_by_hour.get(), b) + "</li>";
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
  return page_html(
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
          week_over_week(v.last_24h, v.week_before_24h) + slo_section(v.slo) +
          chart_svg(chart, state.snapshot.at_ns) + "<h2>Breaches in the last 7 days</h2>" +
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
