// The web configuration at work (web::Security): basic auth against bcrypt hashes
// through crypt_r, the health check's exemption, and the TLS context's files
// refused with the key that names them.
#include "exporter/web/security.h"

#include <crypt.h>
#include <openssl/evp.h>

#include <boost/test/unit_test.hpp>
#include <string>

#include "test/support/files.h"
#include "test/support/tls_files.h"

namespace {

std::string bcrypt(const std::string& password) {
  char salt[CRYPT_GENSALT_OUTPUT_SIZE];
  BOOST_REQUIRE(crypt_gensalt_rn("$2b$", 4, nullptr, 0, salt, sizeof salt));
  struct crypt_data data {};
  return crypt_r(password.c_str(), salt, &data);
}

std::string basic(const std::string& user_password) {
  std::string out(4 * ((user_password.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(user_password.data()),
                                static_cast<int>(user_password.size()));
  out.resize(static_cast<std::size_t>(n));
  return "Basic " + out;
}

lle::config::HttpConfig with_users(bool probes_without_auth) {
  lle::config::HttpConfig h;
  h.web.basic_auth_users = {{"prometheus", bcrypt("s3cret: with colon")}, {"bob", bcrypt("b")}};
  h.probes_without_auth = probes_without_auth;
  return h;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(web_security)

BOOST_AUTO_TEST_CASE(basic_auth_lets_in_only_a_user_with_its_password) {
  const lle::web::Security s(with_users(false));
  BOOST_TEST(s.basic_auth());
  const std::string ok = basic("prometheus:s3cret: with colon");
  BOOST_TEST(s.allows("/metrics", ok));
  BOOST_TEST(s.allows("/metrics", ok));                       // again, from what was verified
  BOOST_TEST(s.allows("/metrics", "basic " + ok.substr(6)));  // the scheme in any case
  BOOST_TEST(s.allows("/", basic("bob:b")));
  for (const std::string& bad :
       {basic("prometheus:s3cret"), basic("prometheus:"), basic("bob:s3cret: with colon"),
        basic("alice:b"), basic("prometheus"), std::string("Bearer abc"), std::string("Basic"),
        std::string("Basic !!!!"), std::string("Basic cHJvbWV0aGV1cw"), std::string("")}) {
    BOOST_TEST(!s.allows("/metrics", bad), bad);
  }
  // The probes need credentials too, unless exempted (for kubelet); nothing else is.
  BOOST_TEST(!s.allows("/-/healthy", ""));
  BOOST_TEST(!s.allows("/-/ready", ""));
  const lle::web::Security exempt(with_users(true));
  BOOST_TEST(exempt.allows("/-/healthy", ""));
  BOOST_TEST(exempt.allows("/-/ready", ""));
  for (const char* path : {"/metrics", "/", "/-/reload", "/-/healthy/", "/api/services"})
    BOOST_TEST(!exempt.allows(path, ""), path);
  // No users: no basic auth.
  const lle::web::Security open(lle::config::HttpConfig{});
  BOOST_TEST(!open.basic_auth());
  BOOST_TEST(open.allows("/metrics", ""));
  BOOST_TEST(!open.tls());
}

BOOST_AUTO_TEST_CASE(tls_files_openssl_refuses_are_errors_naming_the_key) {
  lle::test::TempDir dir;
  const lle::test::TlsFiles files(dir.path());
  lle::config::HttpConfig h;
  h.web.file = "web.yml";
  h.web.tls = lle::config::WebConfig::Tls{};
  h.web.tls->cert_file = files.crt("server");
  h.web.tls->key_file = files.pem_key("server");
  BOOST_TEST(static_cast<bool>(lle::web::Security(h).tls()));
  const auto error = [&](const lle::config::HttpConfig& c) -> std::string {
    try {
      lle::web::Security s(c);
    } catch (const lle::config::ConfigError& e) {
      return e.what();
    }
    return "";
  };
  auto c = h;
  c.web.tls->cert_file = (dir.path() / "none.crt").string();
  BOOST_TEST(error(c).find("web.yml: tls_server_config.cert_file:") == 0u, error(c));
  c = h;
  c.web.tls->key_file = files.pem_key("client");  // another certificate's key
  BOOST_TEST(error(c).find("web.yml: tls_server_config.key_file:") == 0u, error(c));
  BOOST_TEST(error(c).find("mismatch") != std::string::npos, error(c));
  c = h;
  c.web.tls->client_ca_file = files.crt("server") + ".missing";
  BOOST_TEST(error(c).find("tls_server_config.client_ca_file") != std::string::npos, error(c));
}

BOOST_AUTO_TEST_SUITE_END()
