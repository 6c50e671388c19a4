// Outgoing requests against a real HTTP server on 127.0.0.1 (the exporter's own):
// a 2xx is one attempt, an error answer or no server is retried up to the limit
// and reported, a GET brings the answer's body, and a URL that is not http:// is
// refused before any connection.
#include "exporter/outbound/http_client.h"

#include <atomic>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/test/unit_test.hpp>
#include <string>

#include "exporter/web/http_server.h"
#include "test/support/process.h"

using lle::outbound::Result;
using namespace std::chrono_literals;

namespace {

Result request(const std::string& method, const std::string& url, int attempts) {
  boost::asio::io_context io;
  auto result = boost::asio::co_spawn(io, lle::outbound::request(method, url, attempts, 2000ms),
                                      boost::asio::use_future);
  io.run();
  return result.get();
}

Result post(const std::string& url, int attempts) { return request("POST", url, attempts); }

}  // namespace

BOOST_AUTO_TEST_SUITE(outbound_http_client)

BOOST_AUTO_TEST_CASE(posts_retry_until_a_2xx_or_the_limit) {
  lle::web::HttpServer http;
  std::atomic<int> calls{0};
  std::string seen_method, seen_query;
  http.routes().add("POST", "/-/reload", [&](const lle::web::HttpRequest& r) {
    seen_method = r.method;
    seen_query = r.query;
    return lle::web::HttpResponse{++calls < 2 ? 503 : 200, "text/plain", "busy"};
  });
  http.routes().add("POST", "/broken", [](const lle::web::HttpRequest&) {
    return lle::web::HttpResponse{500, "text/plain", "failed to reload config"};
  });
  http.start("127.0.0.1:0");
  const std::string base = "http://127.0.0.1:" + std::to_string(http.port());

  auto r = post(base + "/-/reload?x=1", 3);  // a 503, then a 200
  BOOST_TEST(r.ok);
  BOOST_TEST(r.attempts == 2);
  BOOST_TEST(r.detail.empty());
  BOOST_TEST(seen_method == "POST");
  BOOST_TEST(seen_query == "x=1");

  r = post(base + "/broken", 2);
  BOOST_TEST(!r.ok);
  BOOST_TEST(r.attempts == 2);
  BOOST_TEST(r.detail == "HTTP 500: failed to reload config");

  http.stop();
  r = post("http://127.0.0.1:" + std::to_string(lle::test::free_port()) + "/-/reload", 2);
  BOOST_TEST(!r.ok);
  BOOST_TEST(r.attempts == 2);
  BOOST_TEST(r.detail.find("refused") != std::string::npos, r.detail);
}

BOOST_AUTO_TEST_CASE(a_get_brings_the_answer_and_its_status) {
  lle::web::HttpServer http;
  http.routes().add_page("/-/fleet", [](const lle::web::HttpRequest& r) {
    return lle::web::HttpResponse{r.query.empty() ? 200 : 503, "application/json",
                                  "{\"member\":1}"};
  });
  http.start("127.0.0.1:0");
  const std::string base = "http://127.0.0.1:" + std::to_string(http.port());
  auto r = request("GET", base + "/-/fleet", 2);
  BOOST_TEST(r.ok);
  BOOST_TEST(r.attempts == 1);
  BOOST_TEST(r.status == 200);
  BOOST_TEST(r.body == "{\"member\":1}");
  r = request("GET", base + "/-/fleet?busy", 1);
  BOOST_TEST(!r.ok);
  BOOST_TEST(r.status == 503);
  BOOST_TEST(r.body == "{\"member\":1}");
  r = request("POST", base + "/-/fleet", 1);  // a page takes GET only
  BOOST_TEST(!r.ok);
  BOOST_TEST(r.status / 100 == 4);
  http.stop();
  r = request("GET", base + "/-/fleet", 1);
  BOOST_TEST(!r.ok);
  BOOST_TEST(r.status == 0);
  BOOST_TEST(r.body.empty());
}

BOOST_AUTO_TEST_CASE(only_http_urls_are_tried) {
  for (const char* url : {"https://127.0.0.1:1/-/reload", "127.0.0.1:9090", "http://", ""}) {
    const auto r = post(url, 3);
    BOOST_TEST(!r.ok, url);
    BOOST_TEST(r.attempts == 1, url);
    BOOST_TEST(r.detail.find("not an http:// URL") == 0u, url);
  }
}

BOOST_AUTO_TEST_SUITE_END()
