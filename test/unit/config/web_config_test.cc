// The Prometheus exporter toolkit's web configuration file: what it may say, and a
// clear error naming the file and key for anything else (docs/security.md).
#include <boost/test/unit_test.hpp>
#include <string>

#include "exporter/config/config.h"
#include "test/support/files.h"

using lle::config::ConfigError;
using lle::config::WebConfig;

namespace {

const std::string kHash = "$2y$10$QOauhQNbBCuQDKes6eFzPeMqBSjb7Mr5DUmpZ/VcEd00UAV/LDeSi";

struct Web {
  lle::test::TempDir dir;
  WebConfig load(const std::string& yaml) {
    return lle::config::load_web_config(dir.write("web.yml", yaml));
  }
  std::string error_of(const std::string& yaml) {
    try {
      load(yaml);
    } catch (const ConfigError& e) {
      return e.what();
    }
    return "";
  }
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(web_config, Web)

BOOST_AUTO_TEST_CASE(every_documented_key_is_read) {
  const auto w = load(
      "tls_server_config:\n"
      "  cert_file: certs/server.crt\n"
      "  key_file: /etc/keys/server.key\n"
      "  client_auth_type: RequireAndVerifyClientCert\n"
      "  client_ca_file: ca.crt\n"
      "  min_version: TLS13\n"
      "  cipher_suites: [TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, "
      "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305]\n"
      "  prefer_server_cipher_suites: true\n"
      "http_server_config:\n"
      "  http2: true\n"
      "  headers: {Strict-Transport-Security: max-age=31536000, X-Frame-Options: deny}\n"
      "basic_auth_users:\n"
      "  prometheus: '" +
      kHash + "'\n");
  BOOST_TEST_REQUIRE(w.tls.has_value());
  // Paths relative to the web configuration file, as the toolkit reads them.
  BOOST_TEST(w.tls->cert_file == (dir.path() / "certs/server.crt").string());
  BOOST_TEST(w.tls->key_file == "/etc/keys/server.key");
  BOOST_TEST(w.tls->client_ca_file == (dir.path() / "ca.crt").string());
  BOOST_TEST((w.tls->client_auth == WebConfig::Tls::ClientAuth::kRequireAndVerify));
  BOOST_TEST(w.tls->min_version == 0x0304);
  BOOST_TEST(w.tls->max_version == 0x0304);
  BOOST_TEST(w.tls->cipher_list == "ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-CHACHA20-POLY1305");
  BOOST_TEST(w.headers.size() == 2u);
  BOOST_TEST(w.basic_auth_users.at("prometheus") == kHash);
  // The toolkit's defaults: TLS 1.2 and up, no client certificate.
  const auto d = load("tls_server_config: {cert_file: a.crt, key_file: a.key}\n");
  BOOST_TEST(d.tls->min_version == 0x0303);
  BOOST_TEST((d.tls->client_auth == WebConfig::Tls::ClientAuth::kNone));
  BOOST_TEST(d.basic_auth_users.empty());
  BOOST_TEST(!load("").tls.has_value());  // an empty file: plain HTTP
}

BOOST_AUTO_TEST_CASE(anything_else_is_an_error_naming_file_and_key) {
  const std::string tls = "tls_server_config:\n  cert_file: a.crt\n  key_file: a.key\n";
  const std::pair<std::string, std::string> cases[] = {
      {"tls_config: {}\n", "tls_config: unknown key"},
      {"tls_server_config: {cert_file: a.crt}\n",
       "tls_server_config.key_file: missing required key"},
      {tls + "  client_auth_type: Sometimes\n", "tls_server_config.client_auth_type: expected"},
      {tls + "  client_auth_type: VerifyClientCertIfGiven\n",
       "tls_server_config.client_ca_file: required with client_auth_type VerifyClientCertIfGiven"},
      {tls + "  min_version: SSL3\n", "tls_server_config.min_version: expected TLS10"},
      {tls + "  min_version: TLS13\n  max_version: TLS12\n",
       "tls_server_config.min_version: above max_version"},
      {tls + "  cipher_suites: [TLS_AES_128_GCM_SHA256]\n",
       "tls_server_config.cipher_suites[0]: not a TLS 1.2 cipher suite"},
      {tls + "  cert: inline\n", "tls_server_config.cert: not supported here"},
      {"http_server_config: {headers: {Set-Cookie: a=b}}\n",
       "http_server_config.headers.Set-Cookie: not a header"},
      {"basic_auth_users: {prometheus: hunter2}\n",
       "basic_auth_users.prometheus: expected a bcrypt hash"},
      {"basic_auth_users: {'a:b': '" + kHash + "'}\n", "a user name is not empty and holds no ':'"},
      {"basic_auth_users: {prometheus: '" + kHash.substr(0, 59) + "'}\n", "expected a bcrypt hash"},
  };
  for (const auto& [yaml, expected] : cases) {
    const auto e = error_of(yaml);
    BOOST_TEST(e.find("web.yml:") != std::string::npos, yaml << " -> " << e);
    BOOST_TEST(e.find(expected) != std::string::npos, yaml << " -> " << e);
  }
  // A password mistaken for a hash is not echoed.
  BOOST_TEST(error_of("basic_auth_users: {prometheus: hunter2}\n").find("hunter2") ==
             std::string::npos);
}

BOOST_AUTO_TEST_CASE(exporter_yaml_names_the_file_and_the_api_tokens_cannot_share_its_header) {
  dir.write("services.yaml", "services:\n  - {id: a, team: t, owners: [o]}\n");
  dir.write("web.yml", "basic_auth_users: {prometheus: '" + kHash + "'}\n");
  const auto c = lle::config::load(dir.write(
      "exporter.yaml", "services_file: services.yaml\nhttp: {web_config_file: web.yml}\n"));
  BOOST_TEST(c.http.web.file == (dir.path() / "web.yml").string());
  BOOST_TEST(c.http.web.basic_auth_users.size() == 1u);
  // --web.config.file wins; offline (rules, checks away from the secrets) reads none.
  dir.write("other.yml", "");
  BOOST_TEST(lle::config::load(dir.path() / "exporter.yaml",
                               {std::nullopt, (dir.path() / "other.yml").string(), false})
                 .http.web.basic_auth_users.empty());
  BOOST_TEST(lle::config::load((dir.path() / "exporter.yaml").string(), {std::nullopt, "", true})
                 .http.web.basic_auth_users.empty());
  dir.write("tokens", "");
  dir.write("policy.yaml",
            "defaults: {latency: {threshold_ms: 300}}\nlinks: {runbook: 'https://r/#{alert}', "
            "dashboard: 'https://d'}\n");
  try {
    lle::config::load(dir.write("exporter.yaml",
                                "services_file: services.yaml\nhttp: {web_config_file: web.yml}\n"
                                "alerting: {policy_file: policy.yaml}\n"
                                "api: {auth: {tokens_file: tokens}}\n"));
    BOOST_FAIL("basic auth and API tokens were both accepted");
  } catch (const ConfigError& e) {
    BOOST_TEST(std::string(e.what()).find("api.auth.tokens_file") != std::string::npos, e.what());
  }
}

BOOST_AUTO_TEST_SUITE_END()
