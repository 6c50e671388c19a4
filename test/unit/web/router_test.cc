// The route table on its own, without sockets: path templates and their
// parameters, 404 and 405 (with Allow), HEAD through GET, body limits per path,
// answers given later, and a handler's exception.
#include "exporter/web/router.h"

#include <boost/test/unit_test.hpp>
#include <optional>
#include <stdexcept>
#include <string>

using lle::web::HttpRequest;
using lle::web::HttpResponse;
using lle::web::Respond;
using lle::web::Router;

namespace {

HttpResponse echo(const HttpRequest& r) {
  std::string out = r.method + " " + r.path;
  for (const auto& [k, v] : r.params) out += " " + k + "=" + v;
  return {200, "text/plain", out};
}

Router table() {
  Router r;
  r.add_page("/", echo);
  r.add("GET", "/api/services/owned", echo);
  r.add("GET", "/api/services/{id}/latency", echo);
  r.add("GET", "/api/services/{id}/alert-threshold", echo);
  r.add("PUT", "/api/services/{id}/alert-threshold", echo, 100);
  r.add("GET", "/a/{x}/b/{y}", echo);
  return r;
}

std::optional<HttpResponse> call(const Router& r, const std::string& method,
                                 const std::string& path) {
  HttpRequest h;
  h.method = method;
  h.path = path;
  std::optional<HttpResponse> out;
  r.dispatch(h, [&](HttpResponse x) { out = std::move(x); });
  return out;
}

std::string allow(const HttpResponse& r) {
  for (const auto& [k, v] : r.headers)
    if (k == "Allow") return v;
  return "";
}

}  // namespace

BOOST_AUTO_TEST_SUITE(web_router)

BOOST_AUTO_TEST_CASE(templates_match_whole_segments_and_hand_over_their_values) {
  const Router r = table();
  BOOST_TEST(call(r, "GET", "/")->body == "GET /");
  BOOST_TEST(call(r, "GET", "/api/services/owned")->body == "GET /api/services/owned");
  BOOST_TEST(call(r, "GET", "/api/services/checkout/latency")->body ==
             "GET /api/services/checkout/latency id=checkout");
  BOOST_TEST(call(r, "GET", "/a/1/b/2")->body == "GET /a/1/b/2 x=1 y=2");
  // A {name} is one non-empty segment; no more, no less.
  for (const char* miss : {"/api/services//latency", "/api/services/a/b/latency",
                           "/api/services/checkout", "/api/services/checkout/latency/",
                           "/api/services/checkout/latencyx", "/a/1/b", "/a/1/b/2/c", "/x", ""}) {
    const auto out = call(r, "GET", miss);
    BOOST_TEST(out->status == 404, miss);
    BOOST_TEST(out->body.find("\"error\":\"not_found\"") != std::string::npos, miss);
  }
}

BOOST_AUTO_TEST_CASE(a_wrong_method_is_a_405_that_lists_the_paths_methods) {
  const Router r = table();
  auto out = call(r, "DELETE", "/api/services/checkout/alert-threshold");
  BOOST_TEST(out->status == 405);
  BOOST_TEST(allow(*out) == "GET, PUT");
  BOOST_TEST(out->content_type == "application/json");
  out = call(r, "POST", "/");
  BOOST_TEST(out->status == 405);
  BOOST_TEST(allow(*out) == "GET, HEAD");
  // HEAD is answered by the GET route when there is no HEAD route of its own
  // (the handler sees HEAD; the server sends no body).
  BOOST_TEST(call(r, "HEAD", "/api/services/x/latency")->body ==
             "HEAD /api/services/x/latency id=x");
  BOOST_TEST(call(r, "HEAD", "/api/services/owned")->status == 200);
  BOOST_TEST(call(r, "PUT", "/api/services/x/alert-threshold")->status == 200);
}

BOOST_AUTO_TEST_CASE(body_limits_are_those_of_the_routes_on_the_path) {
  const Router r = table();
  BOOST_TEST(r.max_body("/api/services/x/alert-threshold") == 100u);
  BOOST_TEST(r.max_body("/api/services/x/latency") == 0u);
  BOOST_TEST(r.max_body("/nowhere") == 0u);
}

BOOST_AUTO_TEST_CASE(answers_may_come_later_and_exceptions_are_a_500) {
  Router r;
  Respond later;
  r.add({"POST", "/later", [&](const HttpRequest&, Respond respond) { later = respond; }});
  r.add("GET", "/throws",
        [](const HttpRequest&) -> HttpResponse { throw std::runtime_error("boom"); });
  auto out = call(r, "POST", "/later");
  BOOST_TEST(!out.has_value());  // not answered yet
  HttpRequest h;
  h.method = "POST";
  h.path = "/later";
  std::optional<HttpResponse> answer;
  r.dispatch(h, [&](HttpResponse x) { answer = std::move(x); });
  BOOST_TEST(!answer.has_value());
  later(HttpResponse{202, "text/plain", "done"});
  BOOST_TEST_REQUIRE(answer.has_value());
  BOOST_TEST(answer->status == 202);
  out = call(r, "GET", "/throws");
  BOOST_TEST(out->status == 500);
  BOOST_TEST(out->body.find("boom") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
