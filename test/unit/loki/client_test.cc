#include "exporter/loki/client.h"

#include <boost/test/unit_test.hpp>

#include "test/support/files.h"

BOOST_AUTO_TEST_SUITE(loki_client)

BOOST_AUTO_TEST_CASE(endpoints_keep_scheme_host_port_and_prefix) {
  const auto a = lle::loki::parse_endpoint("https://loki.example:3100/prefix/");
  BOOST_TEST(a.tls);
  BOOST_TEST(a.host == "loki.example");
  BOOST_TEST(a.port == "3100");
  BOOST_TEST(a.prefix == "/prefix");
  const auto b = lle::loki::parse_endpoint("ws://[::1]");
  BOOST_TEST(!b.tls);
  BOOST_TEST(b.host == "::1");
  BOOST_TEST(b.port == "80");
  BOOST_TEST(lle::loki::parse_endpoint("wss://h").port == "443");
  const auto c = lle::loki::parse_endpoint("http://127.0.0.1:3100");
  BOOST_TEST(c.host == "127.0.0.1");
  BOOST_TEST(c.prefix == "");
  BOOST_CHECK_THROW(lle::loki::parse_endpoint("loki:3100"), std::invalid_argument);
  BOOST_CHECK_THROW(lle::loki::parse_endpoint("http:///x"), std::invalid_argument);
  BOOST_CHECK_THROW(lle::loki::parse_endpoint("http://loki:3100/?x=1"), std::invalid_argument);
  BOOST_CHECK_THROW(lle::loki::parse_endpoint("http://loki:3100/#f"), std::invalid_argument);
  BOOST_CHECK_THROW(lle::loki::parse_endpoint("http://lo ki:3100"), std::invalid_argument);
}

BOOST_AUTO_TEST_CASE(query_parameters_are_percent_encoded) {
  BOOST_TEST(lle::loki::url_encode(R"({app=~"a|b"} [1m])") ==
             "%7Bapp%3D~%22a%7Cb%22%7D%20%5B1m%5D");
  // Loki decodes a query as a form: a '+' left as it is would be a space.
  BOOST_TEST(lle::loki::url_encode(R"({app=~"a+"})") == "%7Bapp%3D~%22a%2B%22%7D");
}

BOOST_AUTO_TEST_CASE(credentials_come_from_files_and_a_missing_one_is_named_not_shown) {
  lle::test::TempDir dir;
  lle::config::LokiConfig c;
  c.tenant = "shop";
  c.username = "exporter";
  c.password_file = dir.write("pw", "s3cret pw!\n");  // the trailing newline is not part of it
  c.headers = {{"X-Extra", "1"}};
  const auto h = lle::loki::request_headers(c);
  BOOST_TEST_REQUIRE(h.size() == 3u);
  BOOST_TEST(h[0].first == "X-Scope-OrgID");
  BOOST_TEST(h[1].second == "Basic ZXhwb3J0ZXI6czNjcmV0IHB3IQ==");
  BOOST_TEST(h[2].first == "X-Extra");

  lle::config::LokiConfig bearer;
  bearer.bearer_token_file = dir.write("token", "tok-123");
  BOOST_TEST(lle::loki::request_headers(bearer).at(0).second == "Bearer tok-123");

  bearer.bearer_token_file = (dir.path() / "missing").string();
  try {
    lle::loki::request_headers(bearer);
    BOOST_FAIL("a missing token file must be an error");
  } catch (const std::runtime_error& e) {
    BOOST_TEST(std::string(e.what()).find(bearer.bearer_token_file) != std::string::npos);
  }
  c.password_file = dir.write("empty", "\n");
  BOOST_CHECK_THROW(lle::loki::request_headers(c), std::runtime_error);
}

BOOST_AUTO_TEST_SUITE_END()
