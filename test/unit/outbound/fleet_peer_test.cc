// What a member in a handoff's grace period believes of a peer's /-/fleet answer:
// the ready services only when the peer answers as the member asked, in a fleet of
// the same size; anything else is an error and nothing is ready.
#include "exporter/outbound/fleet_peer.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/test/unit_test.hpp>
#include <string>

#include "exporter/web/http_server.h"
#include "test/support/process.h"

using lle::outbound::ready_in_answer;
using namespace std::chrono_literals;

BOOST_AUTO_TEST_SUITE(outbound_fleet_peer)

BOOST_AUTO_TEST_CASE(a_peer_is_believed_only_at_the_place_it_was_asked) {
  const std::string ok =
      R"({"member":3,"members":4,"ready":["a","b"],"not_ready":["c"],"leaving":[]})";
  auto r = ready_in_answer(ok, 3, 4);
  BOOST_TEST(r.error.empty(), r.error);
  BOOST_TEST(r.ready == (std::vector<std::string>{"a", "b"}), boost::test_tools::per_element());
  // Another member, or the same number in a fleet counted otherwise (a rescale half done).
  r = ready_in_answer(ok, 2, 4);
  BOOST_TEST(r.ready.empty());
  BOOST_TEST(r.error == "answered as member 3 of 4, not 2 of 4");
  r = ready_in_answer(ok, 3, 5);
  BOOST_TEST(r.ready.empty());
  BOOST_TEST(r.error == "answered as member 3 of 4, not 3 of 5");
  for (const char* bad :
       {"", "[]", "{", R"({"member":3,"members":4})", R"({"member":3,"members":4,"ready":{}})",
        R"({"member":"3","members":4,"ready":[]})", R"({"member":3,"members":4,"ready":["a",1]})",
        "<html>not found</html>"}) {
    r = ready_in_answer(bad, 3, 4);
    BOOST_TEST(r.ready.empty(), bad);
    BOOST_TEST(!r.error.empty(), bad);
  }
}

BOOST_AUTO_TEST_CASE(a_peer_is_asked_at_its_url) {
  lle::web::HttpServer http;
  http.routes().add_page("/-/fleet", [](const lle::web::HttpRequest&) {
    return lle::web::HttpResponse{200, "application/json",
                                  R"({"member":1,"members":2,"ready":["x"]})"};
  });
  http.start("127.0.0.1:0");
  const auto ask = [](const std::string& url, int member) {
    boost::asio::io_context io;
    auto f = boost::asio::co_spawn(io, lle::outbound::ask_peer(url, member, 2, 2000ms),
                                   boost::asio::use_future);
    io.run();
    return f.get();
  };
  const std::string base = "http://127.0.0.1:" + std::to_string(http.port());
  auto r = ask(base + "/", 1);  // a trailing slash is no second one
  BOOST_TEST(r.error.empty(), r.error);
  BOOST_TEST(r.ready == std::vector<std::string>{"x"}, boost::test_tools::per_element());
  r = ask(base + "/elsewhere", 1);
  BOOST_TEST(r.ready.empty());
  BOOST_TEST(r.error.find("HTTP 404") == 0u, r.error);
  http.stop();
  r = ask(base, 1);
  BOOST_TEST(r.ready.empty());
  BOOST_TEST(r.error.find("refused") != std::string::npos, r.error);
}

BOOST_AUTO_TEST_SUITE_END()
