#include "exporter/web/pages.h"

#include <algorithm>
#include <boost/test/unit_test.hpp>
#include <cstdio>
#include <limits>
#include <string>

using lle::web::StatusRow;
using lle::window::kFiveMinutesNs;

namespace {

constexpr std::int64_t kEnd = 1'763'625'600LL * 1'000'000'000LL;

std::size_t count(const std::string& s, const std::string& what) {
  std::size_t n = 0;
  for (std::size_t at = 0; (at = s.find(what, at)) != std::string::npos; at += what.size()) ++n;
  return n;
}

// A trend: `n` buckets ending at kEnd, P95 `v(i)` seconds, gaps where v < 0.
template <class F>
std::vector<lle::window::TrendPoint> trend(int n, F v) {
  std::vector<lle::window::TrendPoint> out;
  for (int i = 0; i < n; ++i) {
    const double p = v(i);
    if (p >= 0) out.push_back({kEnd - (n - i) * kFiveMinutesNs, p});
  }
  return out;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(app_pages)

BOOST_AUTO_TEST_CASE(service_names_are_escaped_and_breaches_marked_in_the_list) {
  lle::metrics::Published p;
  p.status.version = "1.0";
  StatusRow evil{{"x", "<script>alert('&')</script>", "t\"eam", "1", {"o"}},
                 {},
                 nullptr,
                 250,
                 "policy",
                 nullptr};
  evil.view.last_5m.p95 = 0.3;
  StatusRow fine{{"y", "Fine", "t", "1", {"o"}}, {}, nullptr, 250, "default", nullptr};
  fine.view.last_5m.p95 = 0.2;
  const std::string html = lle::web::landing_page(p, {evil, fine}, "alice", {});
  BOOST_TEST(html.find("<script>") == std::string::npos);
  BOOST_TEST(html.find("&lt;script&gt;alert(&#39;&amp;&#39;)&lt;/script&gt;") != std::string::npos);
  BOOST_TEST(html.find("t&quot;eam") != std::string::npos);
  BOOST_TEST(html.find("href=\"/metrics\"") != std::string::npos);
  BOOST_TEST(html.find("<tr class=\"service breaching\" id=\"x\">") != std::string::npos);
  BOOST_TEST(html.find("<tr class=\"service\" id=\"y\">") != std::string::npos);
  BOOST_TEST(html.find("1 breaching") != std::string::npos);
  BOOST_TEST(html.find("signed in as alice") != std::string::npos);
  BOOST_TEST(html.find("<script") == std::string::npos);  // no JavaScript at all
  BOOST_TEST(html.find("width=device-width") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(the_chart_draws_trend_runs_threshold_baseline_and_breaches) {
  // Two runs of data (a gap in the middle) and two breaches above 250 ms.
  const auto t = trend(100, [](int i) {
    if (i >= 40 && i < 45) return -1.0;
    return (i >= 10 && i < 20) || (i >= 60 && i < 62) ? 0.4 : 0.1;
  });
  const std::string svg = lle::web::trend_svg(t, kEnd, 0.25, 0.12);
  BOOST_TEST(count(svg, "<polyline class=\"p95\"") == 2u);
  BOOST_TEST(count(svg, "<rect class=\"breach\"") == 2u);
  BOOST_TEST(count(svg, "<line class=\"threshold\"") == 1u);
  BOOST_TEST(count(svg, "<line class=\"baseline\"") == 1u);
  // The top: 400 ms + 15%, up to four round steps (150 ms).
  BOOST_TEST(svg.find(">600 ms<") != std::string::npos);
  BOOST_TEST(svg.find(">450 ms<") != std::string::npos);
  // No threshold (no alert policy): no breach drawn, no threshold line.
  const std::string bare = lle::web::trend_svg(t, kEnd, std::nan(""), std::nan(""));
  BOOST_TEST(count(bare, "<rect class=\"breach\"") == 0u);
  BOOST_TEST(count(bare, "class=\"threshold\"") == 0u);
  // Axes with titles, a legend naming what is drawn, and a text alternative with figures.
  BOOST_TEST(count(svg, "<text class=\"axis-") == 2u);
  BOOST_TEST(svg.find("<figcaption class=\"legend\">") != std::string::npos);
  for (const char* key :
       {"5-minute P95</span>", "threshold</span>", "7-day baseline P95</span>", "breach</span>"})
    BOOST_TEST(svg.find(key) != std::string::npos, key);
  BOOST_TEST(bare.find("threshold</span>") == std::string::npos);  // only what is drawn
  BOOST_TEST(svg.find("<desc>5-minute P95: 95 points, 100.0 to 400.0 ms, latest 100.0 ms. "
                      "7-day baseline P95: 120.0 ms. threshold: 250.0 ms. 2 breaches shaded.") !=
                 std::string::npos,
             svg.substr(0, 600));
  // An empty trend still draws an empty chart.
  BOOST_TEST(lle::web::trend_svg({}, kEnd, 0.25, std::nan("")).find("</svg>") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_service_page_lists_its_breaches_and_data_quality) {
  lle::metrics::Published p;
  p.snapshot.at_ns = kEnd;
  StatusRow r{{"pay", "Payments", "payments", "1", {"o"}}, {}, nullptr, 250, "api", nullptr};
  r.view.last_5m.p95 = 0.3;
  r.view.rejects[static_cast<std::size_t>(lle::core::RejectReason::kInvalidLatency)] = 7;
  lle::window::TrendSeries series;
  series.last_bucket_start_ns = kEnd - kFiveMinutesNs;
  // 8 days: a breach 8 days ago (before the week shown, drawn in grey), then one in the
  // last hour. Schema-6 indexes of seconds: -100 is about 0.34 s, -200 about 0.11 s
  // (300 and 200, as this test had, are 25.6 s and 8.7 s: one breach all week long).
  const int n = 8 * 288;
  for (int i = 0; i < n; ++i)
    series.p95_index.push_back(i < 6 || (i >= n - 12 && i < n - 6) ? -100 : -200);
  r.trend = std::make_shared<const lle::window::TrendSeries>(series);
  const std::string html = lle::web::service_page(p, r);
  BOOST_TEST(count(html, "class=\"breach-interval\"") == 1u);  // this week's only
  BOOST_TEST(count(html, "<polyline class=\"p95-week-before\"") == 1u);
  BOOST_TEST(html.find("the week before") != std::string::npos);  // in the legend
  BOOST_TEST(html.find("<span class=\"badge bad\">breaching</span>") != std::string::npos);
  BOOST_TEST(html.find("threshold 250 ms (api)") != std::string::npos);
  BOOST_TEST(html.find("invalid_latency</td><td>7") != std::string::npos, html);
  BOOST_TEST(html.find("<svg class=\"trend\"") != std::string::npos);
  BOOST_TEST(html.find("<script") == std::string::npos);
}

// Each breach lists the slowest lines of its hours that lie inside it, slowest first,
// with the LogQL that finds each in Loki; lines outside every breach are not listed.
BOOST_AUTO_TEST_CASE(a_breach_leads_to_its_slowest_lines) {
  lle::metrics::Published p;
  p.snapshot.at_ns = kEnd;
  StatusRow r{{"pay", "Payments", "payments", "1", {"o"}}, {}, nullptr, 250, "api", nullptr};
  lle::window::TrendSeries series;
  series.last_bucket_start_ns = kEnd - kFiveMinutesNs;
  const int n = 288;  // a day; a breach from 2 h to 1 h ago (index -100: 0.34 s, -200: 0.11 s)
  for (int i = 0; i < n; ++i) series.p95_index.push_back(i >= n - 24 && i < n - 12 ? -100 : -200);
  r.trend = std::make_shared<const lle::window::TrendSeries>(series);
  const std::int64_t hour = lle::core::kNanosPerHour;
  r.slowest_by_hour =
      std::make_shared<const std::vector<lle::window::Exemplar>>(std::vector<lle::window::Exemplar>{
          {"id-before", R"({app="pay"})", 2.0, kEnd - 3 * hour},
          {"in-a", R"({app="pay"})", 0.4, kEnd - 2 * hour + 60'000'000'000},
          {"in-b", R"({app="pay",pod="a\"b"})", 0.9, kEnd - hour - 60'000'000'000},
          {"id-after", R"({app="pay"})", 3.0, kEnd - 10 * 60'000'000'000}});
  const std::string html = lle::web::service_page(p, r);
  BOOST_TEST_REQUIRE(count(html, "class=\"breach-interval\"") == 1u);
  BOOST_TEST(count(html, "<li class=\"exemplar\">") == 2u, html);
  const auto a = html.find("in-a"), b = html.find("in-b");
  BOOST_TEST((b != std::string::npos && a != std::string::npos && b < a));  // slowest first
  BOOST_TEST(html.find("900.0 ms") != std::string::npos);
  BOOST_TEST(html.find("{app=&quot;pay&quot;,pod=&quot;a\\&quot;b&quot;} |= &quot;in-b&quot;") !=
             std::string::npos);
  BOOST_TEST(html.find("id-before") == std::string::npos);
  BOOST_TEST(html.find("id-after") == std::string::npos);
}

// The SLO section: what the exporter counted over the period and the budget left,
// only for a service with an SLO.
BOOST_AUTO_TEST_CASE(a_service_page_shows_its_slo_budget) {
  lle::metrics::Published p;
  p.snapshot.at_ns = kEnd;
  StatusRow r{{"pay", "Payments", "payments", "1", {"o"}}, {}, nullptr, 250, "api", nullptr};
  BOOST_TEST(lle::web::service_page(p, r).find("Latency SLO") == std::string::npos);
  r.view.slo.budget = lle::window::Budget{300, 0.995, 28};
  r.view.slo.total = 4000;
  r.view.slo.slow = 5;  // 0.125% slow: 25% spent
  const double nan = std::numeric_limits<double>::quiet_NaN();
  r.view.slo.burn_rates = {0.5, 1.25, nan, 0.3, 0.25};
  const std::string html = lle::web::service_page(p, r);
  BOOST_TEST(html.find("<h2>Latency SLO</h2>") != std::string::npos);
  BOOST_TEST(html.find("within budget") != std::string::npos);
  BOOST_TEST(html.find("99.5% of requests within 300 ms over 28 days: 5 of 4000 lines of the "
                       "period slower, error budget left 75.0% (burn rate over the period "
                       "0.25x)") != std::string::npos,
             html);
  BOOST_TEST(html.find("Burn rate over the last whole hours: 1h 0.50x, 2h 1.25x, 6h no lines, 1d "
                       "0.30x, 3d 0.25x.") != std::string::npos,
             html);
  r.view.slo.slow = 30;  // 0.75%: 150% spent
  const std::string spent = lle::web::service_page(p, r);
  BOOST_TEST(spent.find("budget spent") != std::string::npos);
  BOOST_TEST(spent.find("error budget left -50.0%") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(the_list_pages_filters_and_sorts_breaching_first) {
  lle::metrics::Published p;
  std::vector<StatusRow> rows;
  // 250 services in teams t0..t4; every 10th breaches (300 ms against 250 ms).
  for (int i = 0; i < 250; ++i) {
    char id[16];
    std::snprintf(id, sizeof id, "svc-%03d", i);
    StatusRow r{{id, std::string("Service ") + id, "t" + std::to_string(i % 5), "1", {"o"}},
                {},
                nullptr,
                250,
                "default",
                nullptr};
    r.view.last_5m.p95 = i % 10 == 0 ? 0.3 : 0.001 * (i % 200);
    r.view.last_24h.p95 = 0.1;
    r.view.week_before_24h.p95 = i < 3 ? 0.05 + 0.01 * i : 0.1;  // svc-000..002 rose
    rows.push_back(r);
  }
  const auto show = [&](const std::string& query) {
    std::string why;
    const auto q = lle::web::parse_list_query(query, &why);
    BOOST_TEST_REQUIRE(q.has_value(), query << ": " << why);
    return lle::web::landing_page(p, rows, "", *q);
  };
  const auto ids = [](const std::string& html) {  // the rows' ids, in order
    std::vector<std::string> out;
    const std::string mark = "id=\"svc-";
    for (std::size_t at = 0; (at = html.find(mark, at)) != std::string::npos; at += mark.size())
      out.push_back(html.substr(at + 4, 7));
    return out;
  };
  const std::string first = show("");
  auto list = ids(first);
  BOOST_TEST_REQUIRE(list.size() == lle::web::ListQuery::kPerPage);
  for (std::size_t i = 0; i < 25; ++i)  // the 25 breaching ones first
    BOOST_TEST(std::stoi(list[i].substr(4)) % 10 == 0, list[i]);
  BOOST_TEST(first.find("Services 1&ndash;100 of 250 matching") != std::string::npos);
  BOOST_TEST(first.find("25 breaching") != std::string::npos);
  BOOST_TEST(first.find("rel=\"next\" href=\"/?page=2\"") != std::string::npos);
  BOOST_TEST(first.size() < 200'000u);
  const auto rose = first.find("Rose most week over week");
  BOOST_TEST_REQUIRE(rose != std::string::npos);
  BOOST_TEST(first.find("svc-000\">Service svc-000</a> 2.00x", rose) != std::string::npos);
  BOOST_TEST(first.find("svc-000", rose) < first.find("svc-002", rose));  // highest first
  // The last page, past the end shows the last page too.
  BOOST_TEST(ids(show("page=3")).size() == 50u);
  BOOST_TEST(ids(show("page=99")) == ids(show("page=3")));
  // Filters: team, state, name (any case), and their links keep the filter.
  for (const auto& id : ids(show("team=t3&sort=name")))
    BOOST_TEST(std::stoi(id.substr(4)) % 5 == 3, id);
  BOOST_TEST(ids(show("team=t3&sort=name")).size() == 50u);
  BOOST_TEST(ids(show("state=breaching")).size() == 25u);
  BOOST_TEST(ids(show("state=ok&team=t1")).size() == 50u);
  BOOST_TEST(ids(show("name=SVC-12")).size() == 10u);          // svc-120..129
  BOOST_TEST(ids(show("name=service+svc-00")).size() == 10u);  // by display name
  BOOST_TEST(show("team=t1&page=1").find("href=\"/?team=t1&amp;page=2\"") == std::string::npos);
  BOOST_TEST(show("state=ok").find("href=\"/?state=ok&amp;page=2\"") != std::string::npos);
  const auto by_name = ids(show("sort=name"));
  BOOST_TEST(std::is_sorted(by_name.begin(), by_name.end()));
  const auto by_p95 = ids(show("sort=p95&state=ok"));
  BOOST_TEST(by_p95.front() == "svc-199");
  // Bad queries are refused with a reason.
  for (const char* bad :
       {"page=0", "page=x", "state=red", "sort=size", "color=blue", "team=%zz", "team=a&team=b"}) {
    std::string why;
    BOOST_TEST(!lle::web::parse_list_query(bad, &why).has_value(), bad);
    BOOST_TEST(!why.empty());
  }
}

BOOST_AUTO_TEST_CASE(a_team_page_lists_its_services_breaching_first_under_its_trend) {
  lle::metrics::Published p;
  p.snapshot.at_ns = kEnd;
  lle::window::TrendSeries series;
  series.last_bucket_start_ns = kEnd - kFiveMinutesNs;
  for (int i = 0; i < 12; ++i) series.p95_index.push_back(i < 6 ? 300 : 200);
  const auto trend = std::make_shared<const lle::window::TrendSeries>(series);
  StatusRow ok{{"a-ok", "A", "pay", "1", {"o"}}, {}, nullptr, 250, "policy", nullptr};
  ok.view.last_5m.p95 = 0.1;
  StatusRow bad{{"b-bad", "B", "pay", "1", {"o"}}, {}, trend, 250, "policy", nullptr};
  bad.view.last_5m.p95 = 0.3;
  lle::window::TeamView team{"pay", 2, {}, {}, {}, {}, {}};
  team.last_5m.p95 = 0.28;
  const std::string html = lle::web::team_page(p, team, trend, {ok, bad});
  const auto b = html.find("id=\"b-bad\""), a = html.find("id=\"a-ok\"");
  BOOST_TEST_REQUIRE(b != std::string::npos);
  BOOST_TEST(b < a);  // breaching first
  BOOST_TEST(html.find("1 breaching now") != std::string::npos);
  BOOST_TEST(html.find("<polyline class=\"p95\"") != std::string::npos);
  BOOST_TEST(html.find("<title>Team pay: 5-minute P95 over the last 7 days</title>") !=
             std::string::npos);
  BOOST_TEST(html.find("href=\"/compare?services=b-bad,a-ok\"") != std::string::npos);
  BOOST_TEST(html.find("href=\"/?team=pay\"") != std::string::npos);
  BOOST_TEST(html.find("<td class=\"breaches-7d\">1</td>") != std::string::npos);
  BOOST_TEST(html.find("<script") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(the_compare_query_takes_one_to_eight_services_once_each) {
  std::string why;
  const auto ids = lle::web::parse_compare_query("services=b,a%2Dz,c", &why);
  BOOST_TEST_REQUIRE(ids.has_value(), why);
  BOOST_TEST((*ids == std::vector<std::string>{"b", "a-z", "c"}));  // in the order given
  for (const char* bad :
       {"", "services=", "services=a,,b", "services=a,b,a", "services=1,2,3,4,5,6,7,8,9",
        "services=a&x=1", "services=a&services=b"}) {
    why.clear();
    BOOST_TEST(!lle::web::parse_compare_query(bad, &why).has_value(), bad);
    BOOST_TEST(!why.empty(), bad);
  }
  BOOST_TEST(lle::web::parse_compare_query("services=1,2,3,4,5,6,7,8", &why).has_value());
}

BOOST_AUTO_TEST_CASE(the_compare_page_draws_each_service_in_its_colour_with_week_over_week) {
  lle::metrics::Published p;
  p.snapshot.at_ns = kEnd;
  std::vector<StatusRow> rows;
  for (const char* id : {"b<x>", "a"}) {
    lle::window::TrendSeries series;
    series.last_bucket_start_ns = kEnd - kFiveMinutesNs;
    series.p95_index.assign(24, 250);
    StatusRow r{{id, std::string("Service ") + id, "t", "1", {"o"}},
                {},
                std::make_shared<const lle::window::TrendSeries>(series),
                250,
                "policy",
                nullptr};
    r.view.last_24h.p95 = 0.2;
    r.view.week_before_24h.p95 = id[0] == 'a' ? 0.1 : std::nan("");
    rows.push_back(std::move(r));
  }
  const std::string html = lle::web::compare_page(p, rows);
  BOOST_TEST(count(html, "<polyline class=\"p95 compared\"") == 2u);
  BOOST_TEST(count(html, "<span class=\"key\">") == 2u);  // a legend entry each, nothing else
  const auto first = html.find("id=\"b&lt;x&gt;\""), second = html.find("id=\"a\"");
  BOOST_TEST_REQUIRE(first != std::string::npos);
  BOOST_TEST(first < second);  // in the order asked for
  BOOST_TEST(html.find("up 2.00x") != std::string::npos);
  BOOST_TEST(html.find("<title>Service b&lt;x&gt;, Service a: 5-minute P95") != std::string::npos);
  BOOST_TEST(html.find("<b") == html.find("<body"));  // the id is escaped everywhere
  BOOST_TEST(html.find("<script") == std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
