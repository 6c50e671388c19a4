#include "exporter/web/pages.h"

#include <boost/test/unit_test.hpp>
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
  StatusRow evil{
      {"x", "<script>alert('&')</script>", "t\"eam", "1", {"o"}}, {}, nullptr, 250, "policy"};
  evil.view.last_5m.p95 = 0.3;
  StatusRow fine{{"y", "Fine", "t", "1", {"o"}}, {}, nullptr, 250, "default"};
  fine.view.last_5m.p95 = 0.2;
  const std::string html = lle::web::landing_page(p, {evil, fine}, "alice");
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
  BOOST_TEST(svg.find(">500 ms<") != std::string::npos);  // the top: 400 ms + 15%, up to 50s
  // No threshold (no alert policy): no breach drawn, no threshold line.
  const std::string bare = lle::web::trend_svg(t, kEnd, std::nan(""), std::nan(""));
  BOOST_TEST(count(bare, "<rect class=\"breach\"") == 0u);
  BOOST_TEST(count(bare, "class=\"threshold\"") == 0u);
  // An empty trend still draws an empty chart.
  BOOST_TEST(lle::web::trend_svg({}, kEnd, 0.25, std::nan("")).find("</svg>") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_service_page_lists_its_breaches_and_data_quality) {
  lle::metrics::Published p;
  p.snapshot.at_ns = kEnd;
  StatusRow r{{"pay", "Payments", "payments", "1", {"o"}}, {}, nullptr, 250, "api"};
  r.view.last_5m.p95 = 0.3;
  r.view.rejects[static_cast<std::size_t>(lle::core::RejectReason::kInvalidLatency)] = 7;
  lle::window::TrendSeries series;
  series.last_bucket_start_ns = kEnd - kFiveMinutesNs;
  for (int i = 0; i < 12; ++i) series.p95_index.push_back(i < 6 ? 300 : 200);  // index, not ms
  r.trend = std::make_shared<const lle::window::TrendSeries>(series);
  const std::string html = lle::web::service_page(p, r);
  BOOST_TEST(html.find("<span class=\"badge bad\">breaching</span>") != std::string::npos);
  BOOST_TEST(html.find("threshold 250 ms (api)") != std::string::npos);
  BOOST_TEST(html.find("invalid_latency</td><td>7") != std::string::npos, html);
  BOOST_TEST(html.find("<svg class=\"trend\"") != std::string::npos);
  BOOST_TEST(html.find("<script") == std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
