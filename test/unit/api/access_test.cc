#include "exporter/api/access.h"

#include <boost/test/unit_test.hpp>
#include <string>

#include "test/support/files.h"

using lle::api::Caller;
using lle::api::Credentials;
using lle::api::Denied;
using lle::api::RequestAuth;

namespace {

lle::config::ApiConfig both_modes() {
  lle::config::ApiConfig c;
  c.proxy_header = "X-Forwarded-User";
  c.proxy_secret_header = "X-Proxy-Secret";
  c.proxy_secret_file = "unused";
  c.trusted_peers = {"10.1.2.3"};
  c.tokens_file = "unused";
  return c;
}

Credentials creds() {
  Credentials c;
  c.proxy_secret = "a-long-shared-proxy-secret";
  c.engineer_by_token_sha256[lle::api::sha256_hex("alice-token")] = "alice";
  return c;
}

std::string who(const RequestAuth& r, const lle::config::ApiConfig& c = both_modes()) {
  const auto out = lle::api::identify(r, c, creds());
  if (const auto* caller = std::get_if<Caller>(&out)) return caller->engineer + "/" + caller->via;
  const auto& d = std::get<Denied>(out);
  return std::to_string(d.status) + " " + d.error;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(api_access)

BOOST_AUTO_TEST_CASE(identity_comes_from_a_trusted_proxy_or_a_known_token_only) {
  // The proxy's header counts with its secret, or from a trusted peer.
  BOOST_TEST(who({"", "bob", "a-long-shared-proxy-secret", "127.0.0.1"}) == "bob/proxy");
  BOOST_TEST(who({"", "bob", "", "10.1.2.3"}) == "bob/proxy");
  // A forged header: wrong secret, no secret, an untrusted peer.
  BOOST_TEST(who({"", "bob", "a-long-shared-proxy-secreT", "127.0.0.1"}) ==
             "401 untrusted_identity");
  BOOST_TEST(who({"", "bob", "", "127.0.0.1"}) == "401 untrusted_identity");
  // Even with a valid token beside it: a forged header is never ignored.
  BOOST_TEST(who({"Bearer alice-token", "bob", "", "127.0.0.1"}) == "401 untrusted_identity");
  // Tokens: known, unknown, not a bearer token, none at all.
  BOOST_TEST(who({"Bearer alice-token", "", "", "127.0.0.1"}) == "alice/token");
  BOOST_TEST(who({"Bearer alice-tokeN", "", "", "127.0.0.1"}) == "401 invalid_token");
  BOOST_TEST(who({"Basic YWxpY2U6eA==", "", "", "127.0.0.1"}) == "401 unsupported_authorization");
  BOOST_TEST(who({"", "", "", "127.0.0.1"}) == "401 unauthenticated");
  // A mode that is off does not count.
  auto proxy_only = both_modes();
  proxy_only.tokens_file.clear();
  BOOST_TEST(who({"Bearer alice-token", "", "", "127.0.0.1"}, proxy_only) ==
             "401 unsupported_authorization");
  auto tokens_only = both_modes();
  tokens_only.proxy_header.clear();
  BOOST_TEST(who({"Bearer alice-token", "mallory", "", "127.0.0.1"}, tokens_only) == "alice/token");
  // An id with control characters or spaces is not an id.
  BOOST_TEST(who({"", "bo b", "", "10.1.2.3"}) == "401 invalid_identity");
}

BOOST_AUTO_TEST_CASE(ownership_is_by_owners_or_team_membership) {
  lle::config::Config c;
  lle::config::ServiceConfig s;
  s.info = {"checkout", "Checkout", "payments", "1", {"alice"}};
  c.team_members["payments"] = {"erin"};
  BOOST_TEST(lle::api::owns(c, s, "alice"));
  BOOST_TEST(lle::api::owns(c, s, "erin"));
  BOOST_TEST(!lle::api::owns(c, s, "dave"));
  BOOST_TEST(!lle::api::owns(c, s, ""));
}

BOOST_AUTO_TEST_CASE(credential_files_hold_digests_and_errors_never_show_a_secret) {
  lle::test::TempDir dir;
  lle::config::ApiConfig c;
  c.proxy_header = "X-Forwarded-User";
  c.proxy_secret_file = dir.write("secret", "  a-long-shared-proxy-secret\n");
  c.tokens_file = dir.write(
      "tokens", "# engineer digest\nalice sha256:" + lle::api::sha256_hex("alice-token") + "\n\n");
  const auto ok = lle::api::load_credentials(c);
  BOOST_TEST(ok.proxy_secret == "a-long-shared-proxy-secret");
  BOOST_TEST(ok.engineer_by_token_sha256.at(lle::api::sha256_hex("alice-token")) == "alice");

  const auto error_of = [&](const std::string& tokens, const std::string& secret) {
    c.tokens_file = dir.write("tokens", tokens);
    c.proxy_secret_file = dir.write("secret", secret);
    try {
      lle::api::load_credentials(c);
    } catch (const lle::config::ConfigError& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  const std::string good_secret = "a-long-shared-proxy-secret";
  // A raw token where its digest belongs: refused, and not echoed.
  const std::string raw = error_of("alice my-raw-token-value\n", good_secret);
  BOOST_TEST(raw.find("tokens:1: expected '<engineer> sha256:") != std::string::npos, raw);
  BOOST_TEST(raw.find("my-raw-token-value") == std::string::npos);
  const std::string twice =
      error_of("a sha256:" + lle::api::sha256_hex("t") + "\nb sha256:" + lle::api::sha256_hex("t"),
               good_secret);
  BOOST_TEST(twice.find("tokens:2: the same token digest is listed twice") != std::string::npos);
  const std::string short_secret = error_of("", "short\n");
  BOOST_TEST(short_secret.find("expected a secret of 16 or more bytes") != std::string::npos);
  BOOST_TEST(short_secret.find("short") == std::string::npos, short_secret);
  c.tokens_file = (dir.path() / "missing").string();
  BOOST_CHECK_THROW(lle::api::load_credentials(c), lle::config::ConfigError);
  // A directory as the tokens file used to read as empty: an API with no tokens.
  c.proxy_secret_file = dir.write("secret", good_secret);
  c.tokens_file = dir.path().string();
  try {
    lle::api::load_credentials(c);
    BOOST_ERROR("a directory as the tokens file was accepted");
  } catch (const lle::config::ConfigError& e) {
    BOOST_TEST(
        std::string(e.what()).find("api.auth.tokens_file: cannot read file: it is a directory") !=
            std::string::npos,
        e.what());
  }
}

BOOST_AUTO_TEST_CASE(sha256_is_the_standard_digest) {
  BOOST_TEST(lle::api::sha256_hex("abc") ==
             "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

BOOST_AUTO_TEST_SUITE_END()
