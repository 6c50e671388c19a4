#include "exporter/config/config.h"

#include <sys/stat.h>

#include <boost/test/unit_test.hpp>
#include <filesystem>
#include <string>

#include "test/support/files.h"

using lle::config::ConfigError;

namespace {

const char* kExporter = "services_file: services.yaml\n";
const char* kServices = R"(services:
  - id: checkout
    team: payments
    owners: [alice]
    match: {labels: {app: checkout}}
  - id: auth
    team: identity
    owners: [bob]
)";

struct Fixture {
  lle::test::TempDir dir;
  std::string error_of(const std::string& exporter, const std::string& services) {
    dir.write("services.yaml", services);
    try {
      lle::config::load(dir.write("exporter.yaml", exporter));
    } catch (const ConfigError& e) {
      return e.what();
    }
    return "";
  }
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(config_load, Fixture)

BOOST_AUTO_TEST_CASE(minimal_config_loads_with_documented_defaults) {
  dir.write("services.yaml", kServices);
  const auto c = lle::config::load(dir.write("exporter.yaml", kExporter));
  BOOST_TEST(c.listen == "127.0.0.1:9464");
  BOOST_TEST(c.http.max_connections == 512);
  BOOST_TEST(c.http.request_timeout_ns == 10'000'000'000LL);
  BOOST_TEST(c.metrics.native_histogram_schema == 3);
  BOOST_TEST(c.services.size() == 2u);
  BOOST_TEST(c.services[0].match_labels.size() == 1u);
  BOOST_TEST(c.services[1].match_field == "auth");  // default: matched by its id
  BOOST_TEST(c.services[1].info.display_name == "auth");
  BOOST_TEST(c.windows.allowed_lateness_ns == 300'000'000'000LL);
  BOOST_TEST(c.windows.hold_ns == c.windows.allowed_lateness_ns);  // no Loki: nothing to wait for
  BOOST_TEST(c.parsing.latency_field == "latency_ms");
  BOOST_TEST(c.windows.slow->ms == (std::vector<double>{100, 250, 300, 500, 1000}),
             boost::test_tools::per_element());
  BOOST_TEST(c.services_file == (dir.path() / "services.yaml").string());
}

BOOST_AUTO_TEST_CASE(slow_thresholds_are_configured_in_ms_and_compared_in_seconds) {
  dir.write("services.yaml", kServices);
  const auto c = lle::config::load(dir.write(
      "exporter.yaml", std::string(kExporter) + "windows: {slow_thresholds_ms: [200, 400.5]}\n"));
  BOOST_TEST(c.windows.slow->ms == (std::vector<double>{200, 400.5}),
             boost::test_tools::per_element());
  BOOST_TEST(c.windows.slow->seconds == (std::vector<double>{200 * 1e-3, 400.5 * 1e-3}),
             boost::test_tools::per_element());
  const auto none = lle::config::load(
      dir.write("exporter.yaml", std::string(kExporter) + "windows: {slow_thresholds_ms: []}\n"));
  BOOST_TEST(none.windows.slow->ms.empty());
}

// An SLO's threshold is counted exactly whatever the ladder holds; at most 8 in all.
BOOST_AUTO_TEST_CASE(slo_thresholds_are_counted_with_the_ladder) {
  dir.write("services.yaml", kServices);
  dir.write("policy.yaml", R"(links: {runbook: r, dashboard: d}
services:
  checkout: {threshold_ms: 250, slo: {objective: 0.99}}
  auth: {slo: {objective: 0.99, threshold_ms: 333}}
)");
  const std::string alerting = "alerting: {policy_file: policy.yaml}\n";
  const auto c = lle::config::load(dir.write(
      "exporter.yaml",
      std::string(kExporter) + alerting + "windows: {slow_thresholds_ms: [100, 250, 1000]}\n"));
  BOOST_TEST(c.windows.slow->ms == (std::vector<double>{100, 250, 333, 1000}),
             boost::test_tools::per_element());
  try {
    lle::config::load(dir.write("exporter.yaml", std::string(kExporter) + alerting +
                                                     "windows: {slow_thresholds_ms: [1, 2, 3, 4, "
                                                     "5, 6, 7]}\n"));
    BOOST_FAIL("nine thresholds must be refused");
  } catch (const lle::config::ConfigError& e) {
    BOOST_TEST(std::string(e.what()).find(
                   "alerting.policy_file: windows.slow_thresholds_ms and the SLO thresholds of the "
                   "policy make 9 thresholds (1, 2, 3, 4, 5, 6, 7, 250, 333 ms); at most 8 are "
                   "counted") != std::string::npos,
               e.what());
  }
}

BOOST_AUTO_TEST_CASE(the_bundled_config_is_valid) {
  const auto c =
      lle::config::load((lle::test::source_dir() / "deploy/config/exporter.yaml").string());
  BOOST_TEST(c.services.size() >= 5u);
}

BOOST_AUTO_TEST_CASE(errors_name_the_file_the_line_the_path_and_what_was_expected) {
  struct Case {
    std::string exporter, services, file, expected;
  };
  const std::string s = kServices;
  const std::vector<Case> cases = {
      {std::string(kExporter) + "listne: x\n", s, "exporter.yaml:2", "listne: unknown key"},
      {std::string(kExporter) + "listen: nope\n", s, "exporter.yaml:2",
       "listen: expected HOST:PORT"},
      {std::string(kExporter) + "windows: {allowed_lateness: 5 minutes}\n", s, "exporter.yaml",
       "windows.allowed_lateness: expected a duration"},
      {std::string(kExporter) + "parsing: {latency_unit: hours}\n", s, "exporter.yaml",
       "parsing.latency_unit: expected one of: s, ms, us"},
      {std::string(kExporter) + "parsing: {default_schema_version: \"7\"}\n", s, "exporter.yaml",
       "parsing.default_schema_version: must be one of supported_schema_versions"},
      {std::string(kExporter) + "data_quality: {max_reject_ratio: 2}\n", s, "exporter.yaml",
       "data_quality.max_reject_ratio: expected a number from"},
      {"listen: 127.0.0.1:1\n", s, "exporter.yaml", "services_file: missing required key"},
      {kExporter, s + "  - id: checkout\n    team: t\n    owners: [x]\n", "services.yaml:9",
       "services[2].id: duplicate service id 'checkout'"},
      {kExporter, s + "  - id: x\n    team: t\n    owners: []\n", "services.yaml",
       "services[2].owners: expected at least one owner"},
      {kExporter, s + "  - id: x\n    team: t\n    owner: [a]\n", "services.yaml",
       "services[2].owner: unknown key"},
      {kExporter, s + "  - id: Bad Id\n    team: t\n    owners: [a]\n", "services.yaml",
       "services[2].id: expected 1-64 characters"},
      {kExporter,
       s + "  - id: y\n    team: t\n    owners: [a]\n    match: {labels: {app: checkout}}\n",
       "services.yaml", "services[2].match.labels: another service has the same label matchers"},
      {kExporter, s + "  - id: z\n    team: t\n    owners: [a]\n    match: {field: auth}\n",
       "services.yaml", "services[2].match: another service is matched by service=auth"},
      {kExporter, s + "  - id: z\n    team: t\n    owners: [a]\n    parsing: {latency_unit: m}\n",
       "services.yaml", "services[2].parsing.latency_unit: expected one of"},
      {std::string(kExporter) + "parsing: {fields: {status: service}}\n", s, "exporter.yaml",
       "parsing.fields: service, latency, status, schema_version and trace_id must differ"},
      {kExporter, s + "  - id: unknown\n    team: t\n    owners: [a]\n", "services.yaml",
       "services[2].id: 'unknown' is reserved"},
      {kExporter,
       s + "  - id: z\n    team: t\n    owners: [a]\n    parsing: {latency_field: status}\n",
       "services.yaml", "services[2].parsing.latency_field: must differ"},
      {kExporter, "services: [\n", "services.yaml", "invalid YAML"},
      {kExporter, "services: {}\n", "services.yaml", "services: expected a list of services"},
      // yaml-cpp keeps both and answers with the first: one value silently dropped.
      {std::string(kExporter) + "listen: 127.0.0.1:1\nlisten: 127.0.0.1:2\n", s, "exporter.yaml:3",
       "listen: duplicate key"},
      {kExporter, s + "  - id: x\n    team: t\n    team: u\n    owners: [a]\n", "services.yaml:11",
       "services[2].team: duplicate key"},
      {std::string(kExporter) + "? [a, b]\n: 1\n", s, "exporter.yaml:2",
       "a key must be a plain string"},
      {std::string(kExporter) + "http: {max_connections: 0}\n", s, "exporter.yaml:2",
       "http.max_connections: expected a whole number from 1 to 100000"},
      {std::string(kExporter) + "http: {request_timeout: 1h}\n", s, "exporter.yaml:2",
       "http.request_timeout: expected a duration"},
      {std::string(kExporter) + "http: {max_conns: 5}\n", s, "exporter.yaml:2",
       "http.max_conns: unknown key"},
      {std::string(kExporter) + "metrics: {native_histogram_schema: 7}\n", s, "exporter.yaml:2",
       "metrics.native_histogram_schema: expected a whole number from 0 to 6"},
      {std::string(kExporter) + "metrics: {classic_buckets: [0.25, 0.3]}\n", s, "exporter.yaml:2",
       "metrics.classic_buckets[1]: expected a power of two"},
      {std::string(kExporter) + "metrics: {classic_buckets: [0.5, 0.25]}\n", s, "exporter.yaml:2",
       "metrics.classic_buckets[1]: bounds must ascend"},
      {std::string(kExporter) + "windows: {slow_thresholds_ms: [300, 300]}\n", s, "exporter.yaml:2",
       "windows.slow_thresholds_ms[1]: thresholds must ascend"},
      {std::string(kExporter) + "windows: {slow_thresholds_ms: [0.01]}\n", s, "exporter.yaml:2",
       "windows.slow_thresholds_ms[0]: expected a number from"},
      {std::string(kExporter) + "windows: {slow_thresholds_ms: [1, 2, 3, 4, 5, 6, 7, 8, 9]}\n", s,
       "exporter.yaml:2", "windows.slow_thresholds_ms: expected a list of up to 8 thresholds"},
      {std::string(kExporter) + "windows: {slow_thresholds_ms: 300}\n", s, "exporter.yaml:2",
       "windows.slow_thresholds_ms: expected a list of up to 8 thresholds"},
  };
  for (const auto& c : cases) {
    const std::string err = error_of(c.exporter, c.services);
    BOOST_TEST(err.find(c.file) != std::string::npos, "want '" << c.file << "' in: " << err);
    BOOST_TEST(err.find(c.expected) != std::string::npos,
               "want '" << c.expected << "' in: " << err);
  }
}

BOOST_AUTO_TEST_CASE(loki_input_errors_name_the_key_and_never_take_secrets_inline) {
  const std::string s = kServices;
  const std::string loki = std::string(kExporter) + "input:\n  loki:\n";
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"    url: ftp://x\n", "input.loki.url: expected an http://"},
      {"    url: http://user:pw@loki:3100\n", "input.loki.url: credentials do not belong"},
      {"    url: http://loki\n    selector: '{a=\"b\"}'\n    shards: 5\n    max_tails: 2\n",
       "input.loki.shards: more shards than max_tails"},
      {"    url: http://loki\n", "input.loki.selector: service 'auth' is matched by a line field"},
      {"    url: http://loki\n    selector: 'namespace=x'\n", "input.loki.selector: expected"},
      {"    headers: {Authorization: Bearer x}\n", "input.loki.headers.Authorization: set this"},
      {"    basic_auth: {username: u, password: p}\n", "input.loki.basic_auth.password: unknown"},
      {"    tenant: a|b\n", "input.loki.tenant: '|' is not allowed in a tenant ID"},
      {"    tenant: t/1\n", "input.loki.tenant: '/' is not allowed in a tenant ID"},
      {"    tenant: 'a b'\n", "input.loki.tenant: ' ' is not allowed in a tenant ID"},
      {"    tenant: ..\n", "input.loki.tenant: '.' and '..' are not tenant IDs"},
      {"    tenant: .\n", "input.loki.tenant: '.' and '..' are not tenant IDs"},
      {"    tenant: " + std::string(151, 'x') + "\n", "input.loki.tenant: longer than 150"},
      {"    delay_for: 6s\n", "input.loki.delay_for: expected a duration"},
      {"    reconcile_bucket: 1500ms\n", "input.loki.reconcile_bucket: expected whole seconds"},
      {"    mode: stream\n", "input.loki.mode: expected tail or poll"},
      {"    limits: 5\n", "input.loki.limits: unknown key"},
  };
  for (const auto& [yaml, expected] : cases) {
    const std::string err = error_of(loki + yaml, s);
    BOOST_TEST(err.find(expected) != std::string::npos, "want '" << expected << "' in: " << err);
  }
  dir.write("services.yaml", s);
  const auto c = lle::config::load(dir.write(
      "exporter.yaml", loki + "    url: https://loki:3100/prefix/\n    selector: '{ns=\"x\"}'\n" +
                           "    tenant: \"team-A_1.(x)*'!\"\n" +
                           "    bearer_token_file: secrets/token\n    tls: {ca_file: ca.pem}\n" +
                           "windows: {allowed_lateness: 2m}\n"));
  BOOST_TEST(c.loki.tenant == "team-A_1.(x)*'!");  // every character Loki allows
  // Paths are relative to exporter.yaml, whatever the working directory.
  BOOST_TEST(c.loki.bearer_token_file == (dir.path() / "secrets/token").string());
  BOOST_TEST(c.loki.ca_file == (dir.path() / "ca.pem").string());
  BOOST_TEST(c.loki.shards == 1);
  BOOST_TEST(c.loki.max_tails == 4);
  BOOST_TEST(c.loki.limit == 5000);
  BOOST_TEST(c.loki.reconcile_bucket_ns == 60'000'000'000LL);
  // The last check once lines received within the lateness are in Loki; the
  // windows hold a minute until that check has had time to fetch them.
  BOOST_TEST(c.loki.reconcile_final_ns == 150'000'000'000LL);  // lateness + settle
  BOOST_TEST(c.windows.hold_ns == 241'000'000'000LL);  // lateness + bucket + 2 settle + tick
  BOOST_TEST((c.loki.identity_ignore_labels == std::vector<std::string>{"detected_level"}));
}

BOOST_AUTO_TEST_CASE(at_most_five_latency_fields_across_services) {
  std::string services = "services:\n";
  for (int i = 0; i < 6; ++i) {
    services += "  - id: s" + std::to_string(i) + "\n    team: t\n    owners: [a]\n" +
                "    parsing: {latency_field: f" + std::to_string(i) + "}\n";
  }
  const std::string err = error_of(kExporter, services);
  BOOST_TEST(err.find("services[4].parsing.latency_field: at most 5 distinct latency fields") !=
                 std::string::npos,
             err);
}

BOOST_AUTO_TEST_CASE(a_missing_services_file_is_named) {
  const std::string err = [&] {
    try {
      lle::config::load(dir.write("exporter.yaml", "services_file: nowhere.yaml\n"));
    } catch (const ConfigError& e) {
      return std::string(e.what());
    }
    return std::string();
  }();
  BOOST_TEST(err.find("nowhere.yaml: cannot read file") != std::string::npos, err);
}

// Only regular files are read: a directory or a FIFO as services_file is an
// error naming it (a FIFO used to hang check-config).
BOOST_AUTO_TEST_CASE(a_services_file_that_is_not_a_regular_file_is_named) {
  std::filesystem::create_directory(dir.path() / "svc-dir");
  BOOST_TEST_REQUIRE(::mkfifo((dir.path() / "svc-fifo").c_str(), 0600) == 0);
  for (const char* name : {"svc-dir", "svc-fifo"}) {
    const std::string err = error_of(std::string("services_file: ") + name + "\n", "");
    BOOST_TEST(err.find(name + std::string(": is a")) != std::string::npos, err);
  }
}

// Found by fuzz_config: a file name holding a NUL named another file than the one
// written, and the message, cut at the NUL, named neither file nor key.
BOOST_AUTO_TEST_CASE(a_file_name_with_a_nul_byte_is_an_error_naming_the_key) {
  dir.write("services.yaml", kServices);
  const std::string err =
      error_of(std::string("services_file: \"services.yaml\\0x\"\n"), kServices);
  BOOST_TEST(err.find("exporter.yaml:1: services_file: expected a file name without NUL bytes") !=
                 std::string::npos,
             err);
  BOOST_TEST(err.find('\0') == std::string::npos);
}

// Keys and values quoted in a message come from the file: control and non-UTF-8
// bytes in them are shown escaped, never raw.
BOOST_AUTO_TEST_CASE(outside_bytes_in_an_error_are_escaped) {
  const std::string err =
      error_of(std::string("services_file: services.yaml\n\"a\\e[31m\xff\": 1\n"), kServices);
  BOOST_TEST(err.find("exporter.yaml") != std::string::npos, err);
  BOOST_TEST(err.find("\\x1b[31m\\xff") != std::string::npos, err);
  BOOST_TEST(err.find('\x1b') == std::string::npos, err);
}

BOOST_AUTO_TEST_SUITE_END()
