// The REST API over HTTP on the real binary: every endpoint and error, checked
// against docs/api/openapi.yaml; who may do what (owner, team member, other
// engineer, anonymous, forged proxy header) x each endpoint; a threshold change
// that reaches a real Prometheus, and one whose reload fails loudly; and a
// bounded concurrent load of readers and writers that loses no update.
#include <atomic>
#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>
#include <cstdio>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "test/support/files.h"
#include "test/support/openapi.h"
#include "test/support/process.h"
#include "test/support/prometheus.h"

using namespace std::chrono_literals;
namespace json = boost::json;
using lle::test::read_file;

namespace {

const std::string kProxySecret = "proxy-secret-0123456789";

// Two hours of checkout (100 ms, 400 ms from minute 60 to 90) and search lines.
std::string fixture() {
  std::string out;
  char ts[64];
  for (int m = 0; m < 120; ++m) {
    for (int s = 0; s < 60; s += 10) {
      std::snprintf(ts, sizeof ts, "2026-01-01T%02d:%02d:%02dZ", m / 60, m % 60, s);
      const int checkout = m >= 60 && m < 90 ? 400 : 100;
      for (const auto& [service, ms] : {std::pair{"checkout", checkout}, {"search", 50}}) {
        out += std::string(R"({"timestamp":")") + ts + R"(","line":"{\"service\":\")" + service +
               R"(\",\"latency_ms\":)" + std::to_string(ms) + R"(,\"status\":200}"})" + "\n";
      }
    }
  }
  return out;
}

struct Caller {
  const char* name;
  std::vector<std::string> headers;
};

const Caller kOwner{"owner", {"Authorization: Bearer alice-token"}};
const Caller kTeamMember{"team member",
                         {"X-Forwarded-User: erin", "X-Proxy-Secret: " + kProxySecret}};
const Caller kOther{"other engineer", {"Authorization: Bearer dave-token"}};
const Caller kAnonymous{"anonymous", {}};
const Caller kForged{"forged header", {"X-Forwarded-User: alice", "X-Proxy-Secret: guess"}};

struct ApiExporter {
  lle::test::TempDir dir;
  lle::test::OpenApi spec{(lle::test::source_dir() / "docs/api/openapi.yaml").string()};
  std::unique_ptr<lle::test::Process> process;
  int port = 0;

  // alerting: extra keys of the alerting section (e.g. the reload URL).
  // alerting: extra keys of the alerting section (e.g. the reload URL); api: of the api
  // section (e.g. read_access).
  explicit ApiExporter(const std::string& alerting = "", const std::string& api = "") {
    const auto data = lle::test::source_dir() / "test/testdata/api";
    dir.write("proxy-secret", kProxySecret + "\n");
    dir.write("tokens", "alice sha256:" + sha256("alice-token") +
                            "\ndave sha256:" + sha256("dave-token") + "\n");
    const std::string config =
        dir.write("exporter.yaml",
                  "listen: 127.0.0.1:0\nservices_file: " + (data / "services.yaml").string() +
                      "\n"
                      "parsing: {default_schema_version: \"1\"}\n"
                      "alerting:\n  policy_file: " +
                      (data / "alert-rules.yaml").string() +
                      "\n  thresholds_file: thresholds.json\n"
                      "  audit_log: audit.jsonl\n  rules_file: rules.yaml\n" +
                      alerting + "api:\n" + api +
                      "  max_body_bytes: 256\n  auth:\n    tokens_file: tokens\n"
                      "    proxy: {header: X-Forwarded-User, secret_file: proxy-secret}\n");
    const std::string replay = dir.write("fixture.jsonl", fixture());
    const std::string err = (dir.path() / "err").string();
    process = std::make_unique<lle::test::Process>(
        std::vector<std::string>{lle::test::exporter_binary(), "run", "--config", config,
                                 "--replay", replay, "--rebase-to-now"},
        "/dev/null", (dir.path() / "out").string(), err);
    port = lle::test::wait_for_replay(err, 20s);
    BOOST_TEST_REQUIRE(port != 0, read_file(err));
  }
  static std::string sha256(const std::string& s) {
    // The tokens file holds digests; the test computes them as an operator would.
    lle::test::TempDir tmp;
    const std::string in = tmp.write("in", s), out = (tmp.path() / "out").string();
    lle::test::run_to_exit({"sha256sum", in}, out, (tmp.path() / "err").string());
    return read_file(out).substr(0, 64);
  }
  std::string log() const { return read_file(dir.path() / "err"); }

  // A request, its response checked against the OpenAPI description.
  lle::test::HttpReply call(const Caller& c, const std::string& method, const std::string& path,
                            const std::string& body = "", std::vector<std::string> extra = {}) {
    auto headers = c.headers;
    headers.insert(headers.end(), extra.begin(), extra.end());
    const auto r = lle::test::http_request(port, method, path, headers, body);
    const auto query = path.find('?');
    // A 405, or a 404 for a path the API does not have, has no operation to check against.
    const std::string bare = path.substr(0, query);
    const bool documented = r.status != 405 && !spec.path_template(bare).empty();
    const auto problems =
        documented ? spec.check(method, bare, r.status, r.body) : std::vector<std::string>{};
    for (const auto& p : problems)
      BOOST_ERROR(method << " " << path << " -> " << r.status << ": " << p << "\n" << r.body);
    if (r.status >= 400) {  // every error is {"error", "detail"}
      const auto e = json::parse(r.body).as_object();
      BOOST_TEST((e.contains("error") && e.contains("detail")), r.body);
    }
    return r;
  }
  static std::string header(const lle::test::HttpReply& r, const std::string& name) {
    const auto at = r.headers.find("\r\n" + name + ": ");
    if (at == std::string::npos) return "";
    const auto start = at + name.size() + 4;
    return r.headers.substr(start, r.headers.find("\r\n", start) - start);
  }
  std::vector<json::object> audit() const {
    std::vector<json::object> out;
    const std::string text = read_file(dir.path() / "audit.jsonl");
    for (std::size_t at = 0, end; (end = text.find('\n', at)) != std::string::npos; at = end + 1)
      out.push_back(json::parse(text.substr(at, end - at)).as_object());
    return out;
  }
};

const std::string kThreshold = "/api/services/checkout/alert-threshold";

}  // namespace

BOOST_AUTO_TEST_SUITE(integration_api_http)

BOOST_AUTO_TEST_CASE(who_may_do_what_on_every_endpoint) {
  ApiExporter e;
  struct Endpoint {
    const char* method;
    std::string path, body;
  };
  const Endpoint endpoints[] = {
      {"GET", "/api/services/owned", ""},
      {"GET", "/api/services/checkout/latency?window=24h&compare=previous_week", ""},
      {"GET", kThreshold, ""},
      {"PUT", kThreshold, R"({"threshold_ms": 240})"},
      {"GET", kThreshold + "/backtest?threshold_ms=200", ""},
      {"GET", "/api/services/checkout/slo/backtest?objective=0.995", ""},
      {"GET", "/api/teams", ""},
      {"GET", "/api/teams/payments/latency?window=24h", ""},
  };
  // Expected status per caller, in the order of `endpoints`.
  const std::pair<const Caller*, std::vector<int>> matrix[] = {
      {&kOwner, {200, 200, 200, 200, 200, 200, 200, 200}},
      {&kTeamMember, {200, 200, 200, 200, 200, 200, 200, 200}},
      {&kOther, {200, 200, 200, 403, 200, 200, 200, 200}},
      {&kAnonymous, {401, 401, 401, 401, 401, 401, 401, 401}},
      {&kForged, {401, 401, 401, 401, 401, 401, 401, 401}},
  };
  for (const auto& [caller, expected] : matrix) {
    for (std::size_t i = 0; i < std::size(endpoints); ++i) {
      const auto& ep = endpoints[i];
      const auto r = e.call(*caller, ep.method, ep.path, ep.body);
      BOOST_TEST(r.status == expected[i],
                 caller->name << ": " << ep.method << " " << ep.path << " -> " << r.body);
    }
  }
  // What each saw: the owner and the team member their service; the other engineer
  // none of theirs here but search; the forged header is named as such.
  const auto owned = json::parse(e.call(kTeamMember, "GET", "/api/services/owned").body);
  BOOST_TEST(owned.at("engineer").as_string() == "erin");
  BOOST_TEST(owned.at("services").at(0).at("id").as_string() == "checkout");
  const auto others = json::parse(e.call(kOther, "GET", "/api/services/owned").body);
  BOOST_TEST(others.at("services").at(0).at("id").as_string() == "search");
  BOOST_TEST(e.call(kForged, "GET", "/api/services/owned").body.find("untrusted_identity") !=
             std::string::npos);
  // A team is the merge of its services' lines: checkout's and ledger's (none here).
  const auto team = json::parse(e.call(kTeamMember, "GET", "/api/teams/payments/latency").body);
  const auto checkout =
      json::parse(e.call(kTeamMember, "GET", "/api/services/checkout/latency").body);
  BOOST_TEST(team.at("current").at("1h").at("count") ==
             checkout.at("current").at("1h").at("count"));
  BOOST_TEST(team.at("services").as_array().size() == 2u);
  BOOST_TEST(!team.at("trend").as_array().empty());
  // The status pages answer to the same identities as the API.
  for (const auto* caller : {&kAnonymous, &kForged}) {
    BOOST_TEST(lle::test::http_request(e.port, "GET", "/", caller->headers).status == 401);
    BOOST_TEST(
        lle::test::http_request(e.port, "GET", "/service/checkout", caller->headers).status == 401);
  }
  const auto list = lle::test::http_request(e.port, "GET", "/", kOther.headers);
  BOOST_TEST(list.status == 200);
  BOOST_TEST(list.body.find("signed in as dave") != std::string::npos);
  BOOST_TEST(list.body.find("id=\"checkout\"") != std::string::npos);  // read_access: any
  // /mine: the services the engineer owns or whose team they are in; team pages too.
  const auto mine = lle::test::http_request(e.port, "GET", "/mine", kTeamMember.headers);
  BOOST_TEST(mine.status == 200);
  BOOST_TEST(mine.body.find("id=\"checkout\"") != std::string::npos);
  BOOST_TEST(mine.body.find("id=\"ledger\"") != std::string::npos);
  BOOST_TEST(mine.body.find("id=\"search\"") == std::string::npos);
  const auto daves = lle::test::http_request(e.port, "GET", "/mine", kOther.headers);
  BOOST_TEST(daves.body.find("id=\"search\"") != std::string::npos);
  BOOST_TEST(daves.body.find("id=\"checkout\"") == std::string::npos);
  for (const auto* caller : {&kAnonymous, &kForged}) {
    for (const char* page : {"/mine", "/team/payments"})
      BOOST_TEST(lle::test::http_request(e.port, "GET", page, caller->headers).status == 401);
  }
  BOOST_TEST(lle::test::http_request(e.port, "GET", "/team/payments", kOther.headers).status ==
             200);  // read_access: any
  const char kCompare[] = "/compare?services=ledger,checkout";
  for (const auto* caller : {&kAnonymous, &kForged})
    BOOST_TEST(lle::test::http_request(e.port, "GET", kCompare, caller->headers).status == 401);
  const auto compared = lle::test::http_request(e.port, "GET", kCompare, kOther.headers);
  BOOST_TEST(compared.status == 200);
  BOOST_TEST(compared.body.find("id=\"ledger\"") < compared.body.find("id=\"checkout\""));
  // Two changes (owner, team member), each audited with who made it.
  const auto audit = e.audit();
  BOOST_TEST_REQUIRE(audit.size() == 2u);
  BOOST_TEST(audit[0].at("by").as_string() == "alice");
  BOOST_TEST(audit[1].at("by").as_string() == "erin");
  // Every decision is logged, the denied ones too; no token is ever logged.
  const std::string log = e.log();
  BOOST_TEST(log.find("engineer=dave method=PUT") != std::string::npos);
  BOOST_TEST(log.find("decision=deny why=\"not an owner\"") != std::string::npos);
  BOOST_TEST(log.find("alice-token") == std::string::npos);
  BOOST_TEST(log.find(kProxySecret) == std::string::npos);
}

BOOST_AUTO_TEST_CASE(with_read_access_owners_each_page_shows_only_what_the_engineer_may_read) {
  ApiExporter e("", "  read_access: owners\n");
  struct Case {
    const Caller* caller;
    const char* page;
    int status;
  };
  // erin is in team payments, alice owns checkout (in it), dave owns search only.
  for (const auto& c : std::vector<Case>{
           {&kTeamMember, "/team/payments", 200},
           {&kOwner, "/team/payments", 200},
           {&kOther, "/team/payments", 404},
           {&kTeamMember, "/compare?services=checkout,ledger", 200},
           {&kOther, "/compare?services=checkout,ledger", 404},
           {&kOther, "/compare?services=search,checkout", 404},
           {&kOther, "/compare?services=search", 200},
           {&kOther, "/service/checkout", 404},
           {&kOther, "/compare?services=search,search", 400},
           {&kAnonymous, "/compare?services=search", 401},
       }) {
    const auto r = lle::test::http_request(e.port, "GET", c.page, c.caller->headers);
    BOOST_TEST(r.status == c.status, c.caller->name << " " << c.page);
    if (c.status != 200 && c.status != 401) {  // 401 is the sign-in page, HTML
      BOOST_TEST(json::parse(r.body).at("error").is_string(), c.caller->name << " " << c.page);
    }
  }
  const auto list = lle::test::http_request(e.port, "GET", "/", kOther.headers);
  BOOST_TEST(list.body.find("id=\"search\"") != std::string::npos);
  BOOST_TEST(list.body.find("id=\"checkout\"") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(every_bad_request_gets_its_4xx_and_changes_nothing) {
  ApiExporter e;
  const auto etag = ApiExporter::header(e.call(kOwner, "GET", kThreshold), "ETag");
  BOOST_TEST_REQUIRE(!etag.empty());
  struct Case {
    std::string method, path, body;
    std::vector<std::string> headers;
    int status;
    std::string error;
  };
  const Case cases[] = {
      {"PUT", kThreshold, "{\"threshold_ms\": ", {}, 400, "malformed_json"},
      {"PUT", kThreshold, "{\"threshold_ms\": \"fast\"}", {}, 400, "invalid_type"},
      {"PUT", kThreshold, "{\"threshold_ms\": 200, \"by\": \"x\"}", {}, 400, "unknown_field"},
      {"PUT", kThreshold, "{\"threshold_ms\": 1001}", {}, 400, "out_of_range"},
      {"PUT", kThreshold, "{\"threshold_ms\": 49}", {}, 400, "out_of_range"},
      {"PUT", kThreshold, "{}", {}, 400, "missing_field"},
      {"PUT", kThreshold, std::string(10000, ' ') + "{}", {}, 413, "body_too_large"},
      {"PUT",
       kThreshold,
       "{\"threshold_ms\": 200}",
       {"If-Match: \"stale\""},
       412,
       "precondition_failed"},
      {"GET", "/api/services/nope/latency", "", {}, 404, "unknown_service"},
      {"GET", "/api/services/checkout/latency?window=9d", "", {}, 400, "invalid_window"},
      {"GET", "/api/teams/nope/latency", "", {}, 404, "unknown_team"},
      {"GET", "/api/services/checkout/latency?compare=yesterday", "", {}, 400, "invalid_compare"},
      {"GET", "/api/teams/payments/latency?window=1m", "", {}, 400, "invalid_window"},
      {"GET", "/api/teams/payments/latency?x=1", "", {}, 400, "unknown_parameter"},
      {"POST", "/api/teams", "", {}, 405, "method_not_allowed"},
      {"GET", kThreshold + "/backtest", "", {}, 400, "missing_parameter"},
      {"GET", kThreshold + "/backtest?threshold_ms=2000", "", {}, 400, "invalid_threshold"},
      {"DELETE", kThreshold, "", {}, 405, "method_not_allowed"},
      {"GET", "/api/nothing", "", {}, 404, "not_found"},
  };
  for (const auto& c : cases) {
    const auto r = e.call(kOwner, c.method, c.path, c.body, c.headers);
    BOOST_TEST(r.status == c.status,
               c.method << " " << c.path << " " << c.body.substr(0, 40) << " -> " << r.body);
    BOOST_TEST(r.body.find("\"error\":\"" + c.error + "\"") != std::string::npos, r.body);
    BOOST_TEST(r.headers.find("Content-Type: application/json") != std::string::npos);
  }
  BOOST_TEST(ApiExporter::header(e.call(kOwner, "DELETE", kThreshold), "Allow") ==
             "GET, PUT, POST");
  BOOST_TEST(read_file(e.dir.path() / "audit.jsonl").empty());
  BOOST_TEST(!std::filesystem::exists(e.dir.path() / "thresholds.json"));
  // Control bytes in a path reach neither the log raw nor the answer: no forged
  // log line, no terminal escape, valid JSON.
  const auto forged =
      e.call(kOwner, "GET", "/api/services/x%0dINJECTED%1b%5b2J%7f/latency?window=%ff%fe");
  BOOST_TEST(forged.status == 404, forged.body);
  // A target that is not RFC 3986 (a raw '[' in the path) is refused before routing.
  const auto raw = e.call(kOwner, "GET", "/api/services/x[2J/latency");
  BOOST_TEST(raw.status == 400, raw.body);
  BOOST_TEST(raw.body.find("\"error\":\"invalid_target\"") != std::string::npos, raw.body);
  const std::string log = e.log();
  BOOST_TEST(log.find('\r') == std::string::npos);
  BOOST_TEST(log.find('\x1b') == std::string::npos);
  BOOST_TEST(log.find('\x7f') == std::string::npos);
  BOOST_TEST(
      log.find("path=/api/services/x\\x0dINJECTED\\x1b[2J\\x7f/latency") != std::string::npos, log);
  // With the right ETag the same change goes through; the server is still fine.
  const auto ok =
      e.call(kOwner, "PUT", kThreshold, "{\"threshold_ms\": 200}", {"If-Match: " + etag});
  BOOST_TEST(ok.status == 200, ok.body);
  BOOST_TEST(lle::test::http_request(e.port, "GET", "/-/healthy").status == 200);
}

BOOST_AUTO_TEST_CASE(a_change_reaches_prometheus_and_a_failed_reload_is_reported) {
  // A real Prometheus that loads the rule file the exporter writes.
  lle::test::TempDir prom;
  const int prom_port = lle::test::free_port();
  {
    ApiExporter failing("  prometheus_reload_url: http://127.0.0.1:" +
                        std::to_string(lle::test::free_port()) + "/-/reload\n");
    const auto r = failing.call(kOwner, "PUT", kThreshold, R"({"threshold_ms": 220})");
    BOOST_TEST_REQUIRE(r.status == 200, r.body);
    const auto b = json::parse(r.body);
    BOOST_TEST(b.at("prometheus_reload").at("status").as_string() == "failed");
    BOOST_TEST(b.at("prometheus_reload").at("attempts").as_int64() == 3);
    BOOST_TEST(!b.at("applied").as_bool());
    BOOST_TEST(b.at("rules").at("written").as_bool());  // stored and written; not loaded
    // Two failures: the rule file written at start, and after the change.
    const std::string scrape = lle::test::http_request(failing.port, "GET", "/metrics").body;
    BOOST_TEST(scrape.find("loki_latency_prometheus_reloads_total{result=\"failure\"} 2") !=
                   std::string::npos,
               scrape);
    BOOST_TEST(scrape.find("loki_latency_rules_file_writes_total{result=\"success\"} 2") !=
               std::string::npos);
    BOOST_TEST(failing.log().find("Prometheus did not reload the rules") != std::string::npos);
  }

  ApiExporter e("  prometheus_reload_url: http://127.0.0.1:" + std::to_string(prom_port) +
                "/-/reload\n");
  // The exporter wrote the rule file as it started: Prometheus can load it at once.
  const std::string rules = (e.dir.path() / "rules.yaml").string();
  BOOST_TEST_REQUIRE(std::filesystem::exists(rules), e.log());
  prom.write("prometheus.yml", "global: {evaluation_interval: 1s}\nrule_files: [" + rules + "]\n");
  const auto prometheus =
      lle::test::start_prometheus(prom.path(), prom_port, {"--web.enable-lifecycle"});
  const auto loaded = [&](const std::string& expr) {
    return lle::test::http_request(prom_port, "GET", "/api/v1/rules").body.find(expr) !=
           std::string::npos;
  };
  BOOST_TEST(loaded("vector(0.25)"));
  BOOST_TEST(!loaded("vector(0.2)"));

  const auto r = e.call(kOwner, "PUT", kThreshold, R"({"threshold_ms": 200})");
  BOOST_TEST_REQUIRE(r.status == 200, r.body);
  const auto b = json::parse(r.body);
  BOOST_TEST(b.at("prometheus_reload").at("status").as_string() == "ok", r.body);
  BOOST_TEST(b.at("applied").as_bool());
  BOOST_TEST(loaded("vector(0.2)"));  // reloaded before the answer came
  // `rules generate` now writes the same file, API threshold included.
  const std::string again = (prom.path() / "again.yaml").string();
  lle::test::run_to_exit({lle::test::exporter_binary(), "rules", "generate", "--config",
                          (e.dir.path() / "exporter.yaml").string(), "--out", again},
                         prom.write("gen.out", ""), prom.write("gen.err", ""));
  BOOST_TEST(read_file(again) == read_file(rules));
}

BOOST_AUTO_TEST_CASE(concurrent_readers_and_writers_lose_no_update) {
  ApiExporter e;
  constexpr int kWriters = 4, kChangesEach = 12, kReaders = 3;
  std::atomic<int> changes{0}, conflicts{0}, unexpected{0}, reads{0}, unwritten{0}, reloads{0};
  std::atomic<bool> writing{true};
  std::vector<std::thread> threads;
  for (int w = 0; w < kWriters; ++w) {
    threads.emplace_back([&, w] {
      const Caller& who = w % 2 ? kTeamMember : kOwner;
      for (int done = 0, tries = 0; done < kChangesEach && tries < 200; ++tries) {
        const auto got = lle::test::http_request(e.port, "GET", kThreshold, who.headers);
        if (got.status != 200) {
          ++unexpected;
          continue;
        }
        auto headers = who.headers;
        headers.push_back("If-Match: " + ApiExporter::header(got, "ETag"));
        const int value = 50 + w * 100 + done;  // distinct per writer and change
        const auto put =
            lle::test::http_request(e.port, "PUT", kThreshold, headers,
                                    "{\"threshold_ms\": " + std::to_string(value) + "}");
        if (put.status == 200) {
          ++done;
          ++changes;
          // The rule file is written each time, even while reloads write it too.
          if (!json::parse(put.body).at("rules").at("written").as_bool()) ++unwritten;
        } else if (put.status == 412) {
          ++conflicts;  // someone else changed it first: read again and retry
        } else {
          ++unexpected;
        }
      }
    });
  }
  for (int r = 0; r < kReaders; ++r) {
    threads.emplace_back([&] {
      for (int i = 0; writing && i < 2000; ++i) {
        const auto got = lle::test::http_request(e.port, "GET", "/api/services/checkout/latency",
                                                 kOther.headers);
        if (got.status == 200) {
          ++reads;
        } else {
          ++unexpected;
        }
      }
    });
  }
  threads.emplace_back([&] {  // reloads rewrite the rule file from the same thresholds
    for (int i = 0; writing && i < 200; ++i) {
      const auto r = lle::test::http_request(e.port, "POST", "/-/reload");
      if (r.status == 200) {
        ++reloads;
      } else {
        ++unexpected;
      }
    }
  });
  for (int w = 0; w < kWriters; ++w) threads[static_cast<std::size_t>(w)].join();
  writing = false;
  for (std::size_t t = kWriters; t < threads.size(); ++t) threads[t].join();

  BOOST_TEST(unexpected == 0);
  BOOST_TEST(unwritten == 0);
  BOOST_TEST(reloads > 0);
  // What landed last is what the newest thresholds give: a quiet reload rewrites
  // the same bytes. No temp file is left behind.
  const auto rules = e.dir.path() / "rules.yaml";
  const std::string landed = read_file(rules);
  BOOST_TEST_REQUIRE(lle::test::http_request(e.port, "POST", "/-/reload").status == 200);
  BOOST_TEST((read_file(rules) == landed));
  for (const auto& f : std::filesystem::directory_iterator(e.dir.path()))
    BOOST_TEST(f.path().filename().string().find(".tmp") == std::string::npos, f.path());
  BOOST_TEST(changes == kWriters * kChangesEach);
  BOOST_TEST(reads > 0);
  BOOST_TEST_MESSAGE("changes " << changes << ", conflicts retried " << conflicts << ", reads "
                                << reads);
  // The audit log holds every change, each starting from where the one before ended,
  // and the threshold in force is the last one.
  const auto audit = e.audit();
  BOOST_TEST_REQUIRE(audit.size() == static_cast<std::size_t>(changes.load()));
  for (std::size_t i = 1; i < audit.size(); ++i) {
    BOOST_TEST(audit[i].at("old_ms").to_number<double>() ==
               audit[i - 1].at("new_ms").to_number<double>());
    BOOST_TEST(audit[i].at("version").to_number<int>() == static_cast<int>(i + 1));
  }
  const auto now = json::parse(e.call(kOwner, "GET", kThreshold).body);
  BOOST_TEST(now.at("threshold_ms").to_number<double>() ==
             audit.back().at("new_ms").to_number<double>());
}

BOOST_AUTO_TEST_SUITE_END()
