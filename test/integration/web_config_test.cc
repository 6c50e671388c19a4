// TLS and basic auth on the exporter's port (--web.config.file, the exporter
// toolkit's format) with real clients: Debian's Prometheus scrapes over TLS with a CA
// it trusts and basic auth, and fails cleanly with a wrong password, an unknown CA,
// and without a client certificate where one is required; headless Chromium loads
// the status page over TLS. Certificates are made by the test (OpenSSL's API).
#include <crypt.h>

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>
#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "test/support/files.h"
#include "test/support/process.h"
#include "test/support/prometheus.h"
#include "test/support/tls_files.h"

using namespace std::chrono_literals;
using lle::test::read_file;

namespace {

std::string bcrypt(const std::string& password) {
  char salt[CRYPT_GENSALT_OUTPUT_SIZE];
  BOOST_REQUIRE(crypt_gensalt_rn("$2y$", 5, nullptr, 0, salt, sizeof salt));
  struct crypt_data data {};
  return crypt_r(password.c_str(), salt, &data);
}

// A replaying exporter with this web configuration; its port.
struct Exporter {
  std::unique_ptr<lle::test::Process> process;
  int port = 0;
  Exporter(const lle::test::TempDir& dir, const std::string& name, const std::string& web) {
    const auto d = [&](const std::string& f) { return (dir.path() / f).string(); };
    dir.write(name + ".yml", web);
    process = std::make_unique<lle::test::Process>(
        std::vector<std::string>{lle::test::exporter_binary(), "run", "--config",
                                 d("exporter.yaml"), "--replay", d("lines.jsonl"),
                                 "--rebase-to-now", "--listen", "127.0.0.1:0", "--web.config.file",
                                 d(name + ".yml")},
        "/dev/null", d(name + ".out"), d(name + ".err"));
    port = lle::test::wait_for_replay(d(name + ".err"), 30s);
    BOOST_TEST_REQUIRE(port > 0, read_file(d(name + ".err")));
  }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(integration_web_config)

BOOST_AUTO_TEST_CASE(prometheus_and_chromium_over_tls_with_basic_auth) {
  lle::test::TempDir dir;
  const lle::test::TlsFiles tls(dir.path());
  dir.write("services.yaml", "services:\n  - {id: checkout, team: a, owners: [x]}\n");
  dir.write("exporter.yaml", "services_file: services.yaml\n");
  dir.write("lines.jsonl",
            "{\"labels\":{\"app\":\"shop\"},\"line\":\"{\\\"service\\\":\\\"checkout\\\","
            "\\\"latency_ms\\\":120,\\\"status\\\":200,\\\"schema_version\\\":\\\"1\\\"}\","
            "\"timestamp\":\"2026-01-01T00:00:00Z\"}\n");
  const std::string server = "tls_server_config: {cert_file: " + tls.crt("server") +
                             ", key_file: " + tls.pem_key("server");
  const Exporter basic(dir, "basic",
                       server + "}\nbasic_auth_users: {prometheus: '" + bcrypt("s3cret") +
                           "'}\nhttp_server_config: {headers: {X-Frame-Options: deny}}\n");
  const Exporter mutual(
      dir, "mutual",
      server + ", client_auth_type: RequireAndVerifyClientCert, client_ca_file: " + tls.crt("ca") +
          "}\n");

  const auto job = [&](const std::string& name, int port, const std::string& tls_config,
                       const std::string& auth) {
    return "  - job_name: " + name + "\n    scheme: https\n    tls_config: {" + tls_config + "}\n" +
           auth + "    static_configs: [{targets: ['127.0.0.1:" + std::to_string(port) + "']}]\n";
  };
  const std::string ca = "ca_file: " + tls.crt("ca");
  const std::string right = "    basic_auth: {username: prometheus, password: s3cret}\n";
  dir.write(
      "prometheus.yml",
      "global: {scrape_interval: 1s}\nscrape_configs:\n" + job("good", basic.port, ca, right) +
          job("wrong_password", basic.port, ca,
              "    basic_auth: {username: prometheus, password: s3cre}\n") +
          job("no_password", basic.port, ca, "") +
          job("unknown_ca", basic.port, "ca_file: " + tls.crt("other-ca"), right) +
          job("no_client_cert", mutual.port, ca, "") +
          job("client_cert", mutual.port,
              ca + ", cert_file: " + tls.crt("client") + ", key_file: " + tls.pem_key("client"),
              ""));
  const int prom_port = lle::test::free_port();
  const auto prometheus = lle::test::start_prometheus(dir.path(), prom_port);

  // Every target scraped at least once: up by job, and why a scrape failed.
  std::map<std::string, double> up;
  BOOST_TEST_REQUIRE(lle::test::wait_until(
                         [&] {
                           up.clear();
                           for (const auto& s : lle::test::prometheus_result(
                                    prom_port, "/api/v1/query", {{"query", "up"}}))
                             up[std::string(s.at("metric").at("job").as_string())] =
                                 std::stod(std::string(s.at("value").at(1).as_string()));
                           return up.size() == 6;
                         },
                         30s),
                     read_file(dir.path() / "prom.err"));
  BOOST_TEST(up["good"] == 1);
  BOOST_TEST(up["client_cert"] == 1);
  for (const char* failing : {"wrong_password", "no_password", "unknown_ca", "no_client_cert"})
    BOOST_TEST(up[failing] == 0, failing);
  std::map<std::string, std::string> why;
  const auto targets =
      boost::json::parse(lle::test::http_request(prom_port, "GET", "/api/v1/targets").body);
  for (const auto& t : targets.at("data").at("activeTargets").as_array())
    why[std::string(t.at("labels").at("job").as_string())] =
        std::string(t.at("lastError").as_string());
  BOOST_TEST(why["wrong_password"].find("401") != std::string::npos, why["wrong_password"]);
  BOOST_TEST(why["no_password"].find("401") != std::string::npos, why["no_password"]);
  BOOST_TEST(why["unknown_ca"].find("certificate") != std::string::npos, why["unknown_ca"]);
  BOOST_TEST(!why["no_client_cert"].empty());
  BOOST_TEST(why["good"].empty(), why["good"]);
  // What came through is the exporter's: its line, counted.
  const auto requests = lle::test::prometheus_result(
      prom_port, "/api/v1/query", {{"query", "sum(loki_latency_requests_total{job='good'})"}});
  BOOST_TEST_REQUIRE(requests.size() == 1u);
  BOOST_TEST(requests[0].at("value").at(1).as_string() == "1");

  // Chromium trusts the server's key (it has no CA store of ours), answers the
  // challenge with the credentials of the URL and gets the status page; without
  // them it has nothing to show (headless, it cannot ask for a password).
  const auto page = [&](const std::string& url) {
    const auto out = (dir.path() / "dom").string(), err = (dir.path() / "chromium.err").string();
    const int rc = lle::test::run_to_exit(
        {"chromium", "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--user-data-dir=" + (dir.path() / "profile").string(),
         "--ignore-certificate-errors-spki-list=" + tls.server_spki(), "--dump-dom", url},
        out, err);
    BOOST_TEST(rc == 0, read_file(err));
    return read_file(out);
  };
  const std::string base = "127.0.0.1:" + std::to_string(basic.port) + "/";
  const auto with = page("https://prometheus:s3cret@" + base);
  BOOST_TEST(with.find("checkout") != std::string::npos, with.substr(0, 400));
  const auto without = page("https://" + base);
  BOOST_TEST(without.find("checkout") == std::string::npos, without.substr(0, 400));

  // curl verifies the server against the CA and sends the credentials: the page, and
  // the JSON 401 without them (-w: the status after the body).
  const auto curl = [&](const std::vector<std::string>& more) {
    std::vector<std::string> argv = {
        "curl",           "-sS",         "--max-time", "10",
        "--cacert",       tls.crt("ca"), "-w",         "\n%{http_code}",
        "https://" + base};
    argv.insert(argv.end(), more.begin(), more.end());
    const auto out = (dir.path() / "curl.out").string();
    BOOST_TEST(lle::test::run_to_exit(argv, out, (dir.path() / "curl.err").string()) == 0,
               read_file(dir.path() / "curl.err"));
    return read_file(out);
  };
  const auto curl_with = curl({"-u", "prometheus:s3cret"});
  BOOST_TEST(curl_with.find("checkout") != std::string::npos, curl_with.substr(0, 400));
  BOOST_TEST(curl_with.ends_with("\n200"));
  BOOST_TEST(curl({}).ends_with("\n401"));
}

BOOST_AUTO_TEST_SUITE_END()
