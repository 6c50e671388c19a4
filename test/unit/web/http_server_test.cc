// The HTTP server on its own, in process, on 127.0.0.1: routing answers, the
// connection limit, and paths that cannot be told apart once decoded.
#include "exporter/web/http_server.h"

#include <sys/socket.h>
#include <unistd.h>

#include <boost/test/unit_test.hpp>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "test/support/process.h"

using lle::web::HttpRequest;
using lle::web::HttpResponse;
using lle::web::HttpServer;
using lle::web::Respond;
using namespace std::chrono_literals;

namespace {

// Everything the server sends until it closes (or 5 s pass).
std::string read_all(int fd) {
  std::string raw;
  char buf[4096];
  for (ssize_t n; (n = ::recv(fd, buf, sizeof buf, 0)) > 0;)
    raw.append(buf, static_cast<std::size_t>(n));
  return raw;
}

struct Server {
  HttpServer http;
  explicit Server(HttpServer::Limits limits) : http(limits) {
    http.routes().add_page("/hello", [](const HttpRequest& r) {
      return HttpResponse{200, "text/plain", "hello " + r.path + " " + r.query};
    });
    http.routes().add(
        "PUT", "/api/{name}",
        [](const HttpRequest& r) {
          return HttpResponse{r.body_too_large ? 413 : 200, "text/plain", r.body};
        },
        8);
    http.start("127.0.0.1:0");
  }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(app_http_server)

BOOST_AUTO_TEST_CASE(routes_methods_and_bodies) {
  Server s({});
  const int port = s.http.port();
  auto r = lle::test::http_request(port, "GET", "/hello?a=%20b");
  BOOST_TEST(r.status == 200);
  BOOST_TEST(r.body == "hello /hello a=%20b");
  BOOST_TEST(r.headers.find("Cache-Control: no-store") != std::string::npos);
  r = lle::test::http_request(port, "HEAD", "/hello");
  BOOST_TEST(r.status == 200);
  BOOST_TEST(r.body.empty());
  BOOST_TEST(r.headers.find("Content-Length: 13") != std::string::npos, r.headers);
  r = lle::test::http_request(port, "POST", "/hello");
  BOOST_TEST(r.status == 405);
  BOOST_TEST(r.headers.find("Allow: GET, HEAD") != std::string::npos, r.headers);
  BOOST_TEST(lle::test::http_request(port, "GET", "/nope").status == 404);
  BOOST_TEST(lle::test::http_request(port, "PUT", "/api/x", {}, "12345678").body == "12345678");
  BOOST_TEST(lle::test::http_request(port, "PUT", "/api/x", {}, "123456789").status == 413);
  // Decoded paths: %2F is a slash; %00 would cut the path for anything reading it as C text.
  BOOST_TEST(lle::test::http_request(port, "GET", "/hell%6F").status == 200);
  r = lle::test::http_request(port, "GET", "/hello%00.txt");
  BOOST_TEST(r.status == 400);
  BOOST_TEST(r.body.find("\"error\":\"invalid_path\"") != std::string::npos, r.body);
  BOOST_TEST(lle::test::http_request(port, "GET", "/hello%zz").status == 400);
  BOOST_TEST(lle::test::http_request(port, "GET", "http://x/hello").status == 400);
}

BOOST_AUTO_TEST_CASE(keep_alive_serves_several_requests_on_one_connection) {
  Server s({});
  const int fd = lle::test::connect_loopback(s.http.port());
  BOOST_TEST_REQUIRE(fd >= 0);
  const std::string two =
      "GET /hello HTTP/1.1\r\nHost: x\r\n\r\nGET /hello?2 HTTP/1.1\r\nHost: x\r\nConnection: "
      "close\r\n\r\n";
  (void)::send(fd, two.data(), two.size(), MSG_NOSIGNAL);
  const std::string raw = read_all(fd);
  ::close(fd);
  BOOST_TEST(raw.find("hello /hello ") != std::string::npos, raw);
  BOOST_TEST(raw.find("hello /hello 2") != std::string::npos, raw);
}

// Connections over the limit are answered 503 and closed at once, while those
// within it, idle or not, are held; a slot that frees up is used again.
BOOST_AUTO_TEST_CASE(connections_beyond_the_limit_are_refused_at_once) {
  Server s({.max_connections = 16});
  const int port = s.http.port();
  std::vector<int> held;
  for (int i = 0; i < 16; ++i) {
    held.push_back(lle::test::connect_loopback(port));
    BOOST_TEST_REQUIRE(held.back() >= 0);
    if (i % 2) (void)::send(held.back(), "GE", 2, MSG_NOSIGNAL);  // a request begun, never ended
  }
  // The server counts a connection once it has accepted it: wait (bounded) for all 16.
  const bool full = lle::test::wait_until(
      [&] { return lle::test::http_request(port, "GET", "/hello").status == 503; }, 5s);
  BOOST_TEST_REQUIRE(full);
  for (int i = 0; i < 8; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    const auto r = lle::test::http_request(port, "GET", "/hello");
    BOOST_TEST(r.status == 503);
    BOOST_TEST(r.body.find("too_many_connections") != std::string::npos);
    BOOST_TEST((std::chrono::steady_clock::now() - t0 < 1s));  // not after a timeout
  }
  BOOST_TEST(s.http.refused_connections() >= 8u);
  ::close(held.back());
  held.pop_back();
  BOOST_TEST(lle::test::wait_until(
      [&] { return lle::test::http_request(port, "GET", "/hello").status == 200; }, 5s));
  for (const int fd : held) ::close(fd);
}

// A handler that answers later holds no handler thread meanwhile: with one
// handler thread and two answers owed, other requests are still served. An
// answer still owed when the server stops is dropped safely (ASan/TSan watch).
BOOST_AUTO_TEST_CASE(answers_given_later_hold_no_handler_thread) {
  HttpServer http({.handler_threads = 1});
  std::mutex mutex;
  std::vector<Respond> owed;
  http.routes().add({"POST", "/later", [&](const HttpRequest&, Respond respond) {
                       std::lock_guard lock(mutex);
                       owed.push_back(std::move(respond));
                     }});
  http.routes().add_page("/now", [](const HttpRequest&) {
    return HttpResponse{200, "text/plain", "now"};
  });
  http.start("127.0.0.1:0");
  const int port = http.port();
  lle::test::HttpReply first, second;
  const auto owing = [&](std::size_t n) {
    return [&, n] {
      std::lock_guard lock(mutex);
      return owed.size() == n;
    };
  };
  std::thread a([&] { first = lle::test::http_request(port, "POST", "/later"); });
  BOOST_TEST_REQUIRE(lle::test::wait_until(owing(1), 5s));
  std::thread b([&] { second = lle::test::http_request(port, "POST", "/later"); });
  BOOST_TEST_REQUIRE(lle::test::wait_until(owing(2), 5s));
  BOOST_TEST(lle::test::http_request(port, "GET", "/now").body == "now");
  std::thread([respond = owed[0]] { respond({201, "text/plain", "later"}); }).join();
  a.join();
  BOOST_TEST(first.status == 201);
  BOOST_TEST(first.body == "later");
  http.stop();  // the second answer is still owed: its connection is closed
  b.join();
  BOOST_TEST(second.status == 0);
  owed[1]({200, "text/plain", "too late"});  // after stop: dropped, nothing breaks
  owed.clear();
}

// A web configuration in force (security.h): every route behind basic auth, the
// configured headers on every answer, and a new configuration applying to the next
// request.
BOOST_AUTO_TEST_CASE(basic_auth_and_headers_apply_to_every_route_and_follow_a_reload) {
  Server s({});
  const int port = s.http.port();
  lle::config::HttpConfig h;
  // "s3cret" at bcrypt cost 4 (crypt_r of libxcrypt made it).
  h.web.basic_auth_users = {
      {"prom", "$2b$04$8ank1kIIUqN/eUn3IsIYKeLnfrNsS0cPs3FmVhPYXxnBYbAL91PW."}};
  h.web.headers = {{"X-Frame-Options", "deny"}, {"X-Content-Type-Options", "nosniff"}};
  s.http.secure(std::make_shared<const lle::web::Security>(h));
  auto r = lle::test::http_request(port, "GET", "/hello");
  BOOST_TEST(r.status == 401);
  BOOST_TEST(r.headers.find("WWW-Authenticate: Basic realm=") != std::string::npos, r.headers);
  BOOST_TEST(r.headers.find("X-Frame-Options: deny") != std::string::npos, r.headers);
  BOOST_TEST(r.body.find("\"error\":\"unauthorized\"") != std::string::npos);
  BOOST_TEST(lle::test::http_request(port, "GET", "/nowhere").status == 401);  // before routing
  const std::string ok = "Authorization: Basic cHJvbTpzM2NyZXQ=";              // prom:s3cret
  r = lle::test::http_request(port, "GET", "/hello", {ok});
  BOOST_TEST(r.status == 200);
  BOOST_TEST(r.body == "hello /hello ");
  BOOST_TEST(r.headers.find("X-Frame-Options: deny") != std::string::npos, r.headers);
  // One header each, not the server's and the configuration's both.
  const auto first = r.headers.find("X-Content-Type-Options");
  BOOST_TEST(r.headers.find("X-Content-Type-Options", first + 1) == std::string::npos);
  BOOST_TEST(
      lle::test::http_request(port, "GET", "/hello", {"Authorization: Basic cHJvbTp4"}).status ==
      401);  // prom:x
  // The next configuration: no users.
  s.http.secure(std::make_shared<const lle::web::Security>(lle::config::HttpConfig{}));
  BOOST_TEST(lle::test::http_request(port, "GET", "/hello").status == 200);
}

BOOST_AUTO_TEST_SUITE_END()
