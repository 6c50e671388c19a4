// The REST API as pure request -> response: routing (through the web module's
// route table, in process), validation and authorisation, over a real store of
// windows and a threshold store in a temp dir.
#include "exporter/api/handlers.h"

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>
#include <string>

#include "exporter/core/clock.h"
#include "exporter/web/routes.h"
#include "test/support/files.h"

namespace json = boost::json;
using lle::api::Request;
using lle::api::Response;

namespace {

constexpr std::int64_t kMin = lle::core::kNanosPerMinute;
constexpr std::int64_t kT0 = 1'763'625'600LL * 1'000'000'000LL;

struct Fixture {
  lle::test::TempDir dir;
  lle::core::ManualClock clock{kT0};
  std::shared_ptr<const lle::config::Config> cfg;
  std::unique_ptr<lle::api::ThresholdStore> store;
  std::unique_ptr<lle::api::Api> api;
  lle::window::Snapshot state;
  lle::web::Router router;
  int rules_written = 0, reloads = 0;

  // extra: more exporter.yaml keys; with them the windows are left empty.
  // leaving: services a fleet member serves for a handoff's grace period.
  explicit Fixture(const std::string& read_access = "any", const std::string& extra = "",
                   const std::vector<std::string>& leaving = {}) {
    const auto data = lle::test::source_dir() / "test/testdata/api";
    dir.write("tokens", "");
    auto loaded = lle::config::load(dir.write(
        "exporter.yaml", "services_file: " + (data / "services.yaml").string() +
                             "\nalerting: {policy_file: " + (data / "alert-rules.yaml").string() +
                             ", thresholds_file: thresholds.json,"
                             " audit_log: audit.jsonl, rules_file: rules.yaml}\n"
                             "api: {read_access: " +
                             read_access + ", max_body_bytes: 128, auth: {tokens_file: tokens}}\n" +
                             extra));
    lle::config::keep_leaving(loaded, leaving);
    cfg = std::make_shared<const lle::config::Config>(std::move(loaded));
    store = std::make_unique<lle::api::ThresholdStore>(cfg->thresholds);
    lle::api::Credentials creds;
    for (const char* e : {"alice", "erin", "dave", "frank", "mallory"})
      creds.engineer_by_token_sha256[lle::api::sha256_hex(std::string(e) + "-token")] = e;
    lle::api::Api::Hooks hooks;
    hooks.write_rules = [this](const auto&) {
      ++rules_written;
      return lle::api::RulesOutcome{true, true, "rules.yaml", ""};
    };
    hooks.reload_prometheus = [this](const auto& done) {
      ++reloads;
      done(lle::api::ReloadOutcome{"ok", 1, ""});
    };
    api = std::make_unique<lle::api::Api>(cfg, creds, *store, hooks, clock);
    lle::web::add_api_routes(
        router,
        [this] { return std::shared_ptr<const lle::api::Api>(std::shared_ptr<void>(), api.get()); },
        [this] {
          return std::shared_ptr<const lle::window::Snapshot>(std::shared_ptr<void>(), &state);
        });

    if (!extra.empty()) return;
    // checkout: 100 ms for an hour, 400 ms for 30 minutes, then 100 ms for an hour.
    std::vector<lle::core::ServiceInfo> infos;
    for (const auto& s : cfg->services) infos.push_back(s.info);
    lle::window::Store windows(infos, {});
    std::int64_t now = kT0;
    for (int m = 0; m < 150; ++m) {
      now = kT0 + m * kMin;
      const double latency = m >= 60 && m < 90 ? 0.4 : 0.1;
      for (int k = 0; k < 20; ++k) windows.add(0, now + k * 1'000'000'000LL, latency, 200, now);
      windows.add(1, now, 0.05, 200, now);
      windows.add(2, now, 0.5, 200, now);  // ledger: above the default 300 ms throughout
    }
    state = windows.snapshot(now + kMin);
  }

  Response call(const std::string& who, const std::string& method, const std::string& path,
                const std::string& query = "", const std::string& body = "",
                const std::string& if_match = "") {
    const std::string auth = who.empty() ? "" : "Bearer " + who + "-token";
    Request r{method, path, query, body, if_match, {auth, "", "", "127.0.0.1"}, false, "", ""};
    return handle(r);
  }
  // Through the route table, as the HTTP server does it.
  Response handle(const Request& r) const {
    lle::web::HttpRequest h{
        r.method,
        r.path,
        r.query,
        r.body,
        std::string(r.auth.peer),
        r.body_too_large,
        {{"Authorization", std::string(r.auth.authorization)}, {"If-Match", r.if_match}},
        {}};
    Response out{0, "", {}};
    router.dispatch(h, [&](lle::web::HttpResponse x) { out = {x.status, x.body, x.headers}; });
    return out;
  }
  static json::object body(const Response& r) { return json::parse(r.body).as_object(); }
  static std::string header(const Response& r, const std::string& name) {
    for (const auto& [k, v] : r.headers)
      if (k == name) return v;
    return "";
  }
  // The services' windows, search's under a 99% SLO at 300 ms over 30 days.
  lle::window::Store search_under_an_slo() const {
    std::vector<lle::core::ServiceInfo> infos;
    for (const auto& s : cfg->services) infos.push_back(s.info);
    lle::window::Options options;
    options.budgets =
        std::make_shared<lle::window::Budgets>(lle::window::Budgets{{"search", {300, 0.99, 30}}});
    return lle::window::Store(infos, options);
  }
  std::string audit() const { return lle::test::read_file(dir.path() / "audit.jsonl"); }
};

const std::string kThreshold = "/api/services/checkout/alert-threshold";

}  // namespace

BOOST_FIXTURE_TEST_SUITE(api_handlers, Fixture)

BOOST_AUTO_TEST_CASE(owned_lists_the_callers_services_by_owner_or_team) {
  const auto names = [&](const std::string& who) {
    std::string out;
    const auto b = body(call(who, "GET", "/api/services/owned"));
    for (const auto& s : b.at("services").as_array())
      out += std::string(s.at("id").as_string()) + ";";
    return out;
  };
  BOOST_TEST(names("alice") == "checkout;");
  BOOST_TEST(names("erin") == "checkout;ledger;");  // payments team member
  BOOST_TEST(names("dave") == "search;");
  BOOST_TEST(names("mallory") == "");
  const auto owned = body(call("alice", "GET", "/api/services/owned"));
  const auto& s = owned.at("services").at(0).as_object();
  BOOST_TEST(s.at("threshold_ms").to_number<double>() == 250);
  BOOST_TEST(s.at("p95_5m_ms").to_number<double>() > 99);
  BOOST_TEST(s.at("p95_5m_ms").to_number<double>() < 102);
  BOOST_TEST(!s.at("breaching").as_bool());
  BOOST_TEST(s.at("baseline_ready").as_bool());
}

BOOST_AUTO_TEST_CASE(latency_has_the_trend_current_quantiles_and_the_breach) {
  const auto r = call("dave", "GET", "/api/services/checkout/latency");  // any engineer may read
  BOOST_TEST_REQUIRE(r.status == 200, r.body);
  const auto b = Fixture::body(r);
  BOOST_TEST(b.at("current").at("5m").at("count").to_number<int>() > 0);
  BOOST_TEST(b.at("baseline").at("ready").as_bool());
  BOOST_TEST(b.at("threshold").at("source").as_string() == "policy");
  const auto& trend = b.at("trend").as_array();
  BOOST_TEST(trend.size() >= 25u);
  const auto& breaches = b.at("breaches").as_array();
  BOOST_TEST_REQUIRE(breaches.size() == 1u, r.body);
  BOOST_TEST(breaches[0].at("duration_s").to_number<double>() == 1800);
  BOOST_TEST(breaches[0].at("peak_p95_ms").to_number<double>() > 398);
  // A window that leaves the breach out.
  const auto recent = body(call("dave", "GET", "/api/services/checkout/latency", "window=30m"));
  BOOST_TEST(recent.at("breaches").as_array().empty());
  BOOST_TEST(recent.at("trend").as_array().size() < trend.size());
  BOOST_TEST(call("dave", "GET", "/api/services/checkout/latency", "window=7d").status == 200);
  for (const char* q : {"window=1m", "window=8d", "window=soon", "windows=1h"})
    BOOST_TEST(call("dave", "GET", "/api/services/checkout/latency", q).status == 400, q);
}

BOOST_AUTO_TEST_CASE(latency_compares_a_window_with_the_same_window_a_week_earlier) {
  // 8 days of search at 20 ms, but 80 ms on day 1 (8 to 7 days ago, at the end).
  std::vector<lle::core::ServiceInfo> infos;
  for (const auto& s : cfg->services) infos.push_back(s.info);
  lle::window::Store windows(infos, {});
  const std::int64_t days = 24 * 60 * kMin;
  std::int64_t now = kT0;
  for (; now < kT0 + 8 * days; now += 5 * kMin)
    windows.add(1, now, now >= kT0 + days / 2 && now < kT0 + days ? 0.08 : 0.02, 200, now);
  state = windows.snapshot(now);
  const auto r =
      call("dave", "GET", "/api/services/search/latency", "window=7d&compare=previous_week");
  BOOST_TEST_REQUIRE(r.status == 200, r.body);
  const auto b = Fixture::body(r);
  const auto& before = b.at("previous_week").as_array();
  // The week before this one holds a day of data (day 1), moved a week on: the 80 ms
  // half day shows as the week's start, aligned with this week's points.
  BOOST_TEST(before.size() >= 280u);
  BOOST_TEST(before.size() <= 290u);
  int high = 0;
  for (const auto& p : before) high += p.at("p95_ms").to_number<double>() > 70;
  BOOST_TEST(high >= 140);
  BOOST_TEST(high <= 146);
  const auto& trend = b.at("trend").as_array();
  BOOST_TEST(std::string(before.at(0).at("t").as_string()) >=
             std::string(trend.at(0).at("t").as_string()));
  // Week over week: the last 24 hours (20 ms) against day 1, half at 80 ms.
  const auto& wow = b.at("week_over_week");
  BOOST_TEST(wow.at("p95_24h_ms").to_number<double>() == 20, boost::test_tools::tolerance(0.01));
  BOOST_TEST(wow.at("p95_24h_week_before_ms").to_number<double>() == 80,
             boost::test_tools::tolerance(0.01));
  BOOST_TEST(wow.at("ratio").to_number<double>() == 0.25, boost::test_tools::tolerance(0.02));
  BOOST_TEST(wow.at("direction").as_string() == "down");
  // Without compare there is no previous_week; a bad compare is a 400.
  BOOST_TEST(!body(call("dave", "GET", "/api/services/search/latency")).contains("previous_week"));
  BOOST_TEST(call("dave", "GET", "/api/services/search/latency", "compare=last_year").status ==
             400);
}

// A service with a latency SLO answers its budget as the exporter counts it; one
// without has no `slo`.
BOOST_AUTO_TEST_CASE(latency_says_the_slo_budget_of_a_service_that_has_one) {
  lle::window::Store windows = search_under_an_slo();
  std::int64_t now = kT0;
  for (int i = 0; i < 1020; ++i, now += lle::core::kNanosPerSecond)
    windows.add(1, now, i % 51 == 0 ? 0.35 : 0.3, 200, now);  // 20 above 300 ms
  state = windows.snapshot(now);
  const auto slo = body(call("dave", "GET", "/api/services/search/latency")).at("slo");
  BOOST_TEST(slo.at("objective").to_number<double>() == 0.99);
  BOOST_TEST(slo.at("threshold_ms").to_number<double>() == 300);
  BOOST_TEST(slo.at("period_days").to_number<int>() == 30);
  BOOST_TEST(slo.at("period_requests").to_number<int>() == 1020);
  BOOST_TEST(slo.at("period_slow_requests").to_number<int>() == 20);
  BOOST_TEST(slo.at("error_budget_remaining").to_number<double>() == 1 - (20.0 / 1020) / 0.01,
             boost::test_tools::tolerance(1e-9));
  BOOST_TEST(!body(call("dave", "GET", "/api/services/checkout/latency")).contains("slo"));
}

// The SLO backtest replays the burn-rate alerts over the service's final hours, at
// its SLO or at another objective, period or counted threshold; a service without an
// SLO has no hours to replay, and bad parameters get a 400.
BOOST_AUTO_TEST_CASE(slo_backtest_replays_the_burn_rate_alerts_over_the_hours) {
  lle::window::Store windows = search_under_an_slo();
  // Six hours of a line every 15 s; the fourth all at 350 ms, the others at 200 ms.
  std::int64_t now = kT0;
  for (int i = 0; i < 6 * 240; ++i, now += 15 * lle::core::kNanosPerSecond)
    windows.add(1, now, i / 240 == 3 ? 0.35 : 0.2, 200, now);
  state = windows.snapshot(now + 10 * kMin);  // all six hours final
  const std::string path = "/api/services/search/slo/backtest";
  const auto r = call("dave", "GET", path);
  BOOST_TEST_REQUIRE(r.status == 200, r.body);
  const auto b = Fixture::body(r);
  BOOST_TEST(b.at("objective").to_number<double>() == 0.99);
  BOOST_TEST(b.at("threshold_ms").to_number<double>() == 300);
  BOOST_TEST(b.at("period_days").to_number<int>() == 30);
  BOOST_TEST(b.at("requests").to_number<int>() == 6 * 240);
  BOOST_TEST(b.at("slow_requests").to_number<int>() == 240);
  BOOST_TEST(b.at("from").as_string() == lle::core::format_timestamp(kT0));
  // The fourth hour burns 100x: one page, from its end to the end of the next.
  const auto& page = b.at("page").as_object();
  BOOST_TEST_REQUIRE(page.at("alerts").to_number<int>() == 1);
  const auto& fired = page.at("fired").as_array().at(0).as_object();
  BOOST_TEST(fired.at("start").as_string() == lle::core::format_timestamp(kT0 + 4 * 60 * kMin));
  BOOST_TEST(fired.at("end").as_string() == lle::core::format_timestamp(kT0 + 5 * 60 * kMin));
  BOOST_TEST(fired.at("peak_burn_rate").to_number<double>() == 100,
             boost::test_tools::tolerance(1e-9));
  // At 500 ms no line is slow: nothing fires.
  const auto at_500 = body(call("dave", "GET", path, "threshold_ms=500"));
  BOOST_TEST(at_500.at("slow_requests").to_number<int>() == 0);
  BOOST_TEST(at_500.at("page").at("alerts").to_number<int>() == 0);
  BOOST_TEST(at_500.at("ticket").at("alerts").to_number<int>() == 0);
  // A 50% objective: a 2x burn at most, under every page factor.
  BOOST_TEST(body(call("dave", "GET", path, "objective=0.5")).at("page").at("alerts") == 0);
  BOOST_TEST(body(call("dave", "GET", path, "period=7d")).at("period_days") == 7);

  const auto none = call("dave", "GET", "/api/services/checkout/slo/backtest");
  BOOST_TEST(none.status == 404);
  BOOST_TEST(Fixture::body(none).at("error").as_string() == "no_slo");
  for (const char* q : {"threshold_ms=301", "threshold_ms=abc", "objective=0.2", "objective=1",
                        "objective=nan", "period=0d", "period=91d", "period=30", "period=1.5d",
                        "window=1h", "period=7d&period=8d"}) {
    const auto bad = call("dave", "GET", path, q);
    BOOST_TEST(bad.status == 400, q << " -> " << bad.body);
    BOOST_TEST(!body(bad).at("detail").as_string().empty(), q);
  }
  BOOST_TEST(body(call("dave", "GET", path, "threshold_ms=301")).at("detail").as_string() ==
             "threshold_ms must be one of the thresholds counted exactly (100, 250, 300, 500, "
             "1000 ms: windows.slow_thresholds_ms and the SLOs'), got '301'");
}

BOOST_AUTO_TEST_CASE(a_team_has_its_merged_windows_trend_and_services_breaching_first) {
  const auto teams = body(call("dave", "GET", "/api/teams"));
  const auto& list = teams.at("teams").as_array();
  BOOST_TEST_REQUIRE(list.size() == 2u);  // read_access: any
  BOOST_TEST(list[0].at("team").as_string() == "discovery");
  BOOST_TEST(list[0].at("member").as_bool());  // dave owns search
  BOOST_TEST(list[1].at("team").as_string() == "payments");
  BOOST_TEST(!list[1].at("member").as_bool());
  BOOST_TEST(list[1].at("services").to_number<int>() == 2);
  BOOST_TEST(list[1].at("breaching_services").to_number<int>() == 1);

  const auto r = call("dave", "GET", "/api/teams/payments/latency");
  BOOST_TEST_REQUIRE(r.status == 200, r.body);
  const auto b = Fixture::body(r);
  const auto& services = b.at("services").as_array();
  BOOST_TEST_REQUIRE(services.size() == 2u);
  BOOST_TEST(services[0].at("id").as_string() == "ledger");  // breaching first
  BOOST_TEST(services[0].at("breaching").as_bool());
  BOOST_TEST(services[0].at("breaches").to_number<int>() == 1);  // one long breach
  BOOST_TEST(services[1].at("id").as_string() == "checkout");
  BOOST_TEST(services[1].at("breaches").to_number<int>() == 1);  // minutes 60 to 90
  // The team's windows hold both services' lines: counts add up.
  const auto count = [&](const std::string& path, const char* w) {
    return body(call("dave", "GET", path)).at("current").at(w).at("count").to_number<int>();
  };
  for (const char* w : {"5m", "1h"}) {
    BOOST_TEST(
        b.at("current").at(w).at("count").to_number<int>() ==
            count("/api/services/checkout/latency", w) + count("/api/services/ledger/latency", w),
        w);
  }
  BOOST_TEST(b.at("trend").as_array().size() >= 25u);
  const auto recent = body(call("dave", "GET", "/api/teams/payments/latency", "window=30m"));
  BOOST_TEST(recent.at("trend").as_array().size() < b.at("trend").as_array().size());
  BOOST_TEST(recent.at("services").at(1).at("breaches").to_number<int>() == 0);
  BOOST_TEST(call("dave", "GET", "/api/teams/nope/latency").status == 404);
  BOOST_TEST(call("dave", "GET", "/api/teams/payments/latency", "window=9d").status == 400);
  BOOST_TEST(call("", "GET", "/api/teams").status == 401);
}

BOOST_AUTO_TEST_CASE(an_owner_changes_a_threshold_once_per_etag_and_it_is_audited) {
  const auto got = call("alice", "GET", kThreshold);
  BOOST_TEST_REQUIRE(got.status == 200);
  const std::string etag = header(got, "ETag");
  BOOST_TEST(body(got).at("threshold_ms").to_number<double>() == 250);
  BOOST_TEST(body(got).at("bounds").at("min_ms").to_number<double>() == 50);

  const auto put = call("erin", "PUT", kThreshold, "", R"({"threshold_ms": 200})", etag);
  BOOST_TEST_REQUIRE(put.status == 200, put.body);
  const auto b = body(put);
  BOOST_TEST(b.at("threshold_ms").to_number<double>() == 200);
  BOOST_TEST(b.at("source").as_string() == "api");
  BOOST_TEST(b.at("changed_by").as_string() == "erin");
  BOOST_TEST(b.at("previous").at("threshold_ms").to_number<double>() == 250);
  BOOST_TEST(b.at("applied").as_bool());
  BOOST_TEST(rules_written == 1);
  BOOST_TEST(reloads == 1);
  BOOST_TEST(header(put, "ETag") != etag);
  BOOST_TEST(
      audit().find(
          R"("service":"checkout","by":"erin","old_ms":250,"old_source":"policy","new_ms":200)") !=
          std::string::npos,
      audit());

  // The same ETag again: someone changed it meanwhile.
  const auto stale = call("alice", "PUT", kThreshold, "", R"({"threshold_ms": 300})", etag);
  BOOST_TEST(stale.status == 412);
  BOOST_TEST(header(stale, "ETag") == header(put, "ETag"));
  // POST is the seed's name for the same change.
  BOOST_TEST(call("alice", "POST", kThreshold, "", R"({"threshold_ms": 50})").status == 200);
  BOOST_TEST(call("alice", "GET", kThreshold).body.find("\"threshold_ms\":50,") !=
             std::string::npos);
  // A new store reads back what the file holds.
  lle::api::ThresholdStore again(cfg->thresholds);
  BOOST_TEST(again.get("checkout")->ms == 50);
  BOOST_TEST(again.get("checkout")->version == 2u);
}

BOOST_AUTO_TEST_CASE(bad_bodies_get_a_4xx_and_change_nothing) {
  struct Case {
    std::string body;
    int status;
    std::string error;
  };
  const Case cases[] = {
      {"{\"threshold_ms\": 200", 400, "malformed_json"},
      {"[200]", 400, "invalid_body"},
      {"{\"threshold_ms\": \"200\"}", 400, "invalid_type"},
      {"{\"threshold_ms\": 200, \"note\": 1}", 400, "unknown_field"},
      {"{}", 400, "missing_field"},
      {"{\"threshold_ms\": 49.9}", 400, "out_of_range"},
      {"{\"threshold_ms\": 1000.5}", 400, "out_of_range"},
      {"{\"threshold_ms\": 1e400}", 400, "out_of_range"},
      {"{\"threshold_ms\": 900, \"threshold_ms\": 100}", 400, "malformed_json"},
      {"{\"threshold_ms\": " + std::string(200, '1') + "}", 413, "body_too_large"},
  };
  for (const auto& c : cases) {
    Request r{"PUT",
              kThreshold,
              "",
              c.body,
              "",
              {"Bearer alice-token", "", "", "127.0.0.1"},
              c.body.size() > 128,
              "",
              ""};
    const auto out = handle(r);
    BOOST_TEST(out.status == c.status, c.body << " -> " << out.body);
    BOOST_TEST(body(out).at("error").as_string() == c.error, c.body);
    BOOST_TEST(body(out).contains("detail"));
  }
  BOOST_TEST(audit().empty());
  BOOST_TEST(rules_written == 0);
  BOOST_TEST(!std::filesystem::exists(dir.path() / "thresholds.json"));
  // The bounds themselves are valid.
  BOOST_TEST(call("alice", "PUT", kThreshold, "", R"({"threshold_ms": 1000})").status == 200);
  BOOST_TEST(call("alice", "PUT", kThreshold, "", R"({"threshold_ms": 50})").status == 200);
}

BOOST_AUTO_TEST_CASE(backtest_tells_how_often_a_candidate_threshold_would_have_fired) {
  const auto r = call("dave", "GET", kThreshold + "/backtest", "threshold_ms=200");
  BOOST_TEST_REQUIRE(r.status == 200, r.body);
  const auto b = Fixture::body(r);
  // One 30-minute breach; `for` is checkout's 5 minutes: fires for 25 of them.
  BOOST_TEST(b.at("candidate").at("alerts").to_number<int>() == 1);
  BOOST_TEST(b.at("candidate").at("firing_s").to_number<double>() == 1500);
  BOOST_TEST(b.at("current").at("threshold_ms").to_number<double>() == 250);
  BOOST_TEST(b.at("current").at("alerts").to_number<int>() == 1);
  const auto high = body(call("dave", "GET", kThreshold + "/backtest", "threshold_ms=500"));
  BOOST_TEST(high.at("candidate").at("alerts").to_number<int>() == 0);
  for (const char* q : {"", "threshold_ms=", "threshold_ms=abc", "threshold_ms=20",
                        "threshold_ms=200x", "threshold_ms=200&for=1m"}) {
    BOOST_TEST(call("dave", "GET", kThreshold + "/backtest", q).status == 400, q);
  }
}

// Hostile parameters: each gets a 400 with a JSON error and detail, never a 500
// (a stoll out of range) or undefined behaviour (days * 24 overflowing), and
// nothing that is not UTF-8 is echoed back.
BOOST_AUTO_TEST_CASE(hostile_query_parameters_get_a_400_with_a_json_body) {
  const std::string latency = "/api/services/checkout/latency";
  for (const char* q : {"window=99999999999999999999d", "window=384307168202282326d", "window=1.5d",
                        "window=1xd", "window=-1d", "window=0d", "window=d", "window=1h&window=2h",
                        "window=%ff%fe", "window=%zz", "window=nan", "window=1e400h", "%ff=1"}) {
    const auto r = call("dave", "GET", latency, q);
    BOOST_TEST(r.status == 400, q << " -> " << r.body);
    const auto b = Fixture::body(r);  // valid JSON: no raw 0xff inside
    BOOST_TEST(!b.at("error").as_string().empty(), q);
    BOOST_TEST(b.at("detail").as_string().find('\xff') == std::string::npos, q);
  }
  BOOST_TEST(body(call("dave", "GET", latency, "window=%ff%fe")).at("detail").as_string() ==
             "window must be a duration from 5m to 7d, e.g. 24h; got '\\xff\\xfe'");
  // Found by fuzz_api: an unknown service id and a stale If-Match were echoed raw.
  const auto unknown = call("dave", "GET", "/api/services/\xff\xfe/latency");
  BOOST_TEST(unknown.status == 404);
  BOOST_TEST(body(unknown).at("detail").as_string() == "no service '\\xff\\xfe'");
  const auto stale = call("alice", "PUT", kThreshold, "", R"({"threshold_ms": 150})", "\xcf");
  BOOST_TEST(stale.status == 412);
  BOOST_TEST(body(stale).at("detail").as_string().find("\\xcf") != std::string::npos);
  BOOST_TEST(call("dave", "GET", latency, "window=2d").status == 200);
  BOOST_TEST(call("dave", "GET", latency, "window=%32%34h").status == 200);  // 24h, encoded
  for (const char* q :
       {"threshold_ms=0x64", "threshold_ms=%20100", "threshold_ms=+100",
        "threshold_ms=100&threshold_ms=200", "threshold_ms=inf", "threshold_ms=nan"}) {
    BOOST_TEST(call("dave", "GET", kThreshold + "/backtest", q).status == 400, q);
  }
}

BOOST_AUTO_TEST_CASE(who_may_do_what) {
  // Anonymous and forged callers are refused before anything is looked up.
  BOOST_TEST(call("", "GET", "/api/services/owned").status == 401);
  BOOST_TEST(call("nobody", "GET", "/api/services/nope/latency").status == 401);
  // Known callers: unknown services and paths, wrong methods.
  BOOST_TEST(call("alice", "GET", "/api/services/nope/latency").status == 404);
  BOOST_TEST(call("alice", "GET", "/api/services/checkout/nothing").status == 404);
  const auto wrong = call("alice", "DELETE", kThreshold);
  BOOST_TEST(wrong.status == 405);
  BOOST_TEST(header(wrong, "Allow") == "GET, PUT, POST");
  BOOST_TEST(call("alice", "PUT", "/api/services/checkout/latency", "", "{}").status == 405);
  // Only owners (or their team) change a threshold.
  BOOST_TEST(call("dave", "PUT", kThreshold, "", R"({"threshold_ms": 200})").status == 403);
  BOOST_TEST(call("mallory", "PUT", kThreshold, "", R"({"threshold_ms": 200})").status == 403);
  BOOST_TEST(audit().empty());
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(api_handlers_owners_only)

BOOST_AUTO_TEST_CASE(reading_can_be_limited_to_owners) {
  Fixture f("owners");
  BOOST_TEST(f.call("dave", "GET", "/api/services/checkout/latency").status == 403);
  BOOST_TEST(f.call("erin", "GET", "/api/services/checkout/latency").status == 200);
  BOOST_TEST(f.call("dave", "GET", "/api/services/search/latency").status == 200);
  // A team is for its members: those listed under it and its services' owners.
  BOOST_TEST(f.call("dave", "GET", "/api/teams/payments/latency").status == 403);
  BOOST_TEST(f.call("erin", "GET", "/api/teams/payments/latency").status == 200);
  BOOST_TEST(f.call("frank", "GET", "/api/teams/payments/latency").status == 200);
  const auto teams = f.body(f.call("dave", "GET", "/api/teams"));
  BOOST_TEST(teams.at("teams").as_array().size() == 1u);
  BOOST_TEST(teams.at("teams").at(0).at("team").as_string() == "discovery");
}

BOOST_AUTO_TEST_CASE(a_service_of_another_fleet_member_is_a_404_naming_it) {
  const int owner = lle::config::fleet_owner("checkout", 3);
  const int here = (owner + 1) % 3;
  const Fixture member("any", "fleet: {members: 3, member: " + std::to_string(here) + "}\n");
  const auto get = [&](const std::string& path) {
    return member.handle(
        {"GET", path, "", "", "", {"Bearer alice-token", "", "", "127.0.0.1"}, false, "", ""});
  };
  const auto r = get("/api/services/checkout/latency");
  BOOST_TEST(r.status == 404);
  const auto b = Fixture::body(r);
  BOOST_TEST(b.at("error").as_string() == "owned_elsewhere");
  BOOST_TEST(b.at("owner").as_int64() == owner);
  BOOST_TEST(b.at("members").as_int64() == 3);
  BOOST_TEST(
      std::string(b.at("detail").as_string()).find("fleet member " + std::to_string(owner)) !=
      std::string::npos);
  // A service of no member stays unknown.
  const auto none = get("/api/services/nope/latency");
  BOOST_TEST(Fixture::body(none).at("error").as_string() == "unknown_service");
}

// For the handoff's grace period the old owner serves a service it lost, but its
// threshold is the new owner's to change: a change here answers the 404 naming it.
BOOST_AUTO_TEST_CASE(a_service_served_for_the_grace_period_takes_no_threshold_change) {
  const int owner = lle::config::fleet_owner("checkout", 3);
  const int here = (owner + 1) % 3;
  Fixture member("any", "fleet: {members: 3, member: " + std::to_string(here) + "}\n",
                 {"checkout"});
  BOOST_TEST(member.call("alice", "GET", "/api/services/checkout/latency").status == 200);
  const auto put = member.call("alice", "PUT", kThreshold, "", R"({"threshold_ms": 200})");
  BOOST_TEST(put.status == 404);
  BOOST_TEST(Fixture::body(put).at("error").as_string() == "owned_elsewhere");
  BOOST_TEST(Fixture::body(put).at("owner").as_int64() == owner);
  BOOST_TEST(member.rules_written == 0);
}

BOOST_AUTO_TEST_SUITE_END()
