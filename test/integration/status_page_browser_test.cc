// The built-in status pages in a real browser: Debian's headless Chromium loads
// them, through an authenticating proxy that signs alice in, from the exporter
// replaying the demo's sample (the bundled 5 hours after 14 days of generated
// history). The DOM must show every service and the regressed one (payments-api) as
// breaching with a breach drawn on its chart, its team's page with it first and both
// weeks drawn, the compare page with each service's line, and alice's services on
// /mine; screenshots (desktop and phone width) go to artifacts/evidence/
// (dashboard.png is the list).
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <boost/test/unit_test.hpp>
#include <filesystem>
#include <mutex>
#include <string>
#include <thread>

#include "test/support/files.h"
#include "test/support/process.h"

using namespace std::chrono_literals;
using lle::test::read_file;

namespace {

struct Browser {
  lle::test::TempDir dir;
  // Flags from ../shared/design/ecosystem-facts.md: no sandbox as root, and no
  // background networking on a machine without internet.
  std::vector<std::string> argv(const std::vector<std::string>& more) const {
    std::vector<std::string> a{"chromium",
                               "--headless",
                               "--no-sandbox",
                               "--disable-gpu",
                               "--disable-quic",
                               "--no-first-run",
                               "--disable-background-networking",
                               "--disable-component-update",
                               "--disable-sync",
                               "--hide-scrollbars",
                               "--user-data-dir=" + (dir.path() / "profile").string()};
    a.insert(a.end(), more.begin(), more.end());
    return a;
  }
  // The DOM after loading `url`.
  std::string dom(const std::string& url) const {
    const std::string out = (dir.path() / "dom").string(), err = (dir.path() / "err").string();
    BOOST_TEST_REQUIRE(lle::test::run_to_exit(argv({"--dump-dom", url}), out, err) == 0,
                       read_file(err));
    return read_file(out);
  }
  // A PNG of `url` at width x height; returns its width from the PNG header.
  int screenshot(const std::string& url, const std::filesystem::path& png, int width,
                 int height) const {
    const std::string out = (dir.path() / "out").string(), err = (dir.path() / "err").string();
    BOOST_TEST_REQUIRE(
        lle::test::run_to_exit(
            argv({"--screenshot=" + png.string(),
                  "--window-size=" + std::to_string(width) + "," + std::to_string(height), url}),
            out, err) == 0,
        read_file(err));
    const std::string bytes = read_file(png);
    BOOST_TEST_REQUIRE(bytes.size() > 24u);
    BOOST_TEST_REQUIRE(bytes.substr(1, 3) == "PNG");
    // IHDR: width is the big-endian u32 at offset 16.
    int w = 0;
    for (int i = 16; i < 20; ++i) w = w * 256 + static_cast<unsigned char>(bytes[i]);
    return w;
  }
};

// An authenticating proxy in front of the exporter, as in production: it names the
// engineer in X-Forwarded-User with the shared secret. One request per connection.
class SigningProxy {
 public:
  SigningProxy(int upstream, std::string engineer, std::string secret)
      : upstream_(upstream), engineer_(std::move(engineer)), secret_(std::move(secret)) {
    accept_ = std::thread([this] {
      for (;;) {
        tcp::socket client(io_);
        boost::system::error_code ec;
        acceptor_.accept(client, ec);
        if (ec || stopping_) return;
        const std::lock_guard lock(mutex_);
        connections_.emplace_back([this, c = std::move(client)]() mutable { forward(c); });
      }
    });
  }
  ~SigningProxy() {
    stopping_ = true;
    tcp::socket wake(io_);
    boost::system::error_code ec;
    wake.connect(acceptor_.local_endpoint(), ec);
    accept_.join();
    for (auto& t : connections_) t.join();
  }
  int port() const { return acceptor_.local_endpoint().port(); }

 private:
  using tcp = boost::asio::ip::tcp;
  void forward(tcp::socket& client) {
    namespace http = boost::beast::http;
    // Chromium may open a connection it never uses: give up on it after a while.
    const timeval bound{5, 0};
    ::setsockopt(client.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &bound, sizeof bound);
    boost::system::error_code ec;
    boost::beast::flat_buffer in, out;
    http::request<http::string_body> req;
    http::read(client, in, req, ec);
    if (ec) return;
    req.set("X-Forwarded-User", engineer_);
    req.set("X-Proxy-Secret", secret_);
    req.keep_alive(false);
    tcp::socket up(io_);
    up.connect({boost::asio::ip::address_v4::loopback(), static_cast<unsigned short>(upstream_)},
               ec);
    http::response<http::string_body> res;
    if (!ec) http::write(up, req, ec);
    if (!ec) http::read(up, out, res, ec);
    if (ec) res = {http::status::bad_gateway, 11};
    res.keep_alive(false);
    http::write(client, res, ec);
  }
  int upstream_;
  std::string engineer_, secret_;
  boost::asio::io_context io_;
  tcp::acceptor acceptor_{io_, {boost::asio::ip::address_v4::loopback(), 0}};
  std::atomic<bool> stopping_{false};
  std::mutex mutex_;
  std::vector<std::thread> connections_;
  std::thread accept_;
};

std::size_t count(const std::string& s, const std::string& what) {
  std::size_t n = 0;
  for (std::size_t at = 0; (at = s.find(what, at)) != std::string::npos; at += what.size()) ++n;
  return n;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(integration_status_page_browser)

BOOST_AUTO_TEST_CASE(the_status_pages_show_every_service_and_the_regressed_one_breaching) {
  lle::test::TempDir dir;
  const auto root = lle::test::source_dir();
  const std::string err = (dir.path() / "err").string();
  const std::string sample = (dir.path() / "sample-14d.jsonl").string();
  BOOST_TEST_REQUIRE(lle::test::run_to_exit({"python3", root / "test/testdata/generate_sample.py",
                                             "--days", "14", sample},
                                            (dir.path() / "out").string(), err) == 0,
                     read_file(err));
  const std::string secret = "browser-test-proxy-secret";
  dir.write("proxy-secret", secret + "\n");
  // The demo's configuration with the API's proxy sign-in on.
  std::string yaml = read_file(root / "deploy/config/exporter.yaml");
  for (const auto& [from, to] :
       {std::pair{"services_file: services.yaml",
                  "services_file: " + (root / "deploy/config/services.yaml").string()},
        {"policy_file: ../../rules/alert-rules.yaml",
         "policy_file: " + (root / "rules/alert-rules.yaml").string()}}) {
    const auto at = yaml.find(from);
    BOOST_TEST_REQUIRE(at != std::string::npos, from);
    yaml.replace(at, std::string_view(from).size(), to);
  }
  const std::string config =
      dir.write("exporter.yaml", yaml +
                                     "api:\n  auth:\n    proxy: {header: X-Forwarded-User, "
                                     "secret_file: proxy-secret}\n");
  lle::test::Process exporter({lle::test::exporter_binary(), "run", "--config", config, "--replay",
                               sample, "--rebase-to-now", "--listen", "127.0.0.1:0"},
                              "/dev/null", (dir.path() / "out").string(), err);
  const int port = lle::test::wait_for_replay(err, 30s);
  BOOST_TEST_REQUIRE(port != 0, read_file(err));
  const SigningProxy alice(port, "alice", secret);
  const std::string base = "http://127.0.0.1:" + std::to_string(alice.port());
  const Browser browser;
  // Straight to the exporter, no one is signed in.
  BOOST_TEST(browser.dom("http://127.0.0.1:" + std::to_string(port) + "/").find("Sign in") !=
             std::string::npos);

  const std::string list = browser.dom(base + "/");
  for (const char* id : {"checkout", "search", "inventory", "auth", "notifications"}) {
    BOOST_TEST(
        list.find("<tr class=\"service\" id=\"" + std::string(id) + "\">") != std::string::npos,
        id);
  }
  BOOST_TEST(list.find("<tr class=\"service breaching\" id=\"payments-api\">") !=
             std::string::npos);
  BOOST_TEST(count(list, "class=\"service") == 6u);
  BOOST_TEST(list.find("1 breaching") != std::string::npos);
  BOOST_TEST(list.find("signed in as alice") != std::string::npos);
  BOOST_TEST(list.find("href=\"/service/payments-api\"") != std::string::npos);

  const std::string page = browser.dom(base + "/service/payments-api");
  BOOST_TEST(page.find("<span class=\"badge bad\">breaching</span>") != std::string::npos);
  BOOST_TEST(count(page, "<rect class=\"breach\"") >= 1u);
  BOOST_TEST(count(page, "class=\"breach-interval\"") >= 1u);
  // The bundled config reads request_id as the trace id: the breach leads to its
  // slowest lines (the regression's), each with the LogQL that finds it.
  BOOST_TEST(count(page, "<li class=\"exemplar\">") >= 1u);
  BOOST_TEST(page.find(R"({app="payments",env="prod"} |= ")") != std::string::npos);
  BOOST_TEST(page.find("<line class=\"threshold\"") != std::string::npos);
  BOOST_TEST(page.find("<line class=\"baseline\"") != std::string::npos);
  BOOST_TEST(page.find("<polyline class=\"p95\"") != std::string::npos);
  BOOST_TEST(page.find("threshold 250 ms (policy)") != std::string::npos);
  BOOST_TEST(page.find("invalid_latency") != std::string::npos);  // the sample's bad lines
  const std::string healthy = browser.dom(base + "/service/checkout");
  BOOST_TEST(healthy.find("<span class=\"badge good\">ok</span>") != std::string::npos);
  BOOST_TEST(count(healthy, "<rect class=\"breach\"") == 0u);
  BOOST_TEST(browser.dom(base + "/service/nope").find("unknown_service") != std::string::npos);

  // The payments team: its two services, the regressed one first, under the team trend.
  const std::string team = browser.dom(base + "/team/payments");
  const auto regressed = team.find("<tr class=\"service breaching\" id=\"payments-api\">");
  const auto healthy_row = team.find("<tr class=\"service\" id=\"checkout\">");
  BOOST_TEST_REQUIRE(regressed != std::string::npos);
  BOOST_TEST_REQUIRE(healthy_row != std::string::npos);
  BOOST_TEST(regressed < healthy_row);
  BOOST_TEST(count(team, "class=\"service") == 2u);
  BOOST_TEST(count(team, "<polyline class=\"p95\"") >= 1u);
  BOOST_TEST(count(team, "<polyline class=\"p95-week-before\"") >= 1u);  // both weeks drawn
  BOOST_TEST(team.find("the week before, a week later</span>") != std::string::npos);  // legend
  BOOST_TEST(team.find("class=\"week-over-week\"") != std::string::npos);
  BOOST_TEST(team.find("2 services, 1 breaching now") != std::string::npos);
  BOOST_TEST(list.find("href=\"/team/payments\"") != std::string::npos);
  // The list filtered to the team, and to breaching services.
  const std::string filtered = browser.dom(base + "/?team=payments&state=breaching");
  BOOST_TEST(count(filtered, "class=\"service") == 1u);
  BOOST_TEST(filtered.find("id=\"payments-api\"") != std::string::npos);
  // alice's services: she owns checkout and payments-api, both in team payments.
  const std::string mine = browser.dom(base + "/mine");
  BOOST_TEST(count(mine, "class=\"service") == 2u);
  BOOST_TEST(mine.find("<tr class=\"service breaching\" id=\"payments-api\">") <
             mine.find("<tr class=\"service\" id=\"checkout\">"));
  BOOST_TEST(mine.find("<h1>Your services</h1>") != std::string::npos);
  // Three services on one chart, a line and a legend entry each, in the order asked.
  const std::string compare = browser.dom(base + "/compare?services=search,payments-api,checkout");
  BOOST_TEST(count(compare, "<polyline class=\"p95 compared\"") >= 3u);
  BOOST_TEST(count(compare, "<span class=\"key\">") == 3u);
  BOOST_TEST(compare.find("id=\"search\"") < compare.find("id=\"payments-api\""));
  BOOST_TEST(compare.find("id=\"payments-api\"") < compare.find("id=\"checkout\""));
  BOOST_TEST(compare.find("<desc>Search (search): 2016 points") != std::string::npos);
  BOOST_TEST(browser.dom(base + "/compare?services=nope").find("unknown_service") !=
             std::string::npos);

  const auto evidence = lle::test::source_dir() / "artifacts/evidence";
  std::filesystem::create_directories(evidence);
  BOOST_TEST(browser.screenshot(base + "/", evidence / "dashboard.png", 1280, 700) == 1280);
  BOOST_TEST(browser.screenshot(base + "/service/payments-api",
                                evidence / "status-payments-api.png", 1280, 1100) == 1280);
  BOOST_TEST(browser.screenshot(base + "/service/payments-api",
                                evidence / "status-payments-api-phone.png", 412, 1400) == 412);
  BOOST_TEST(browser.screenshot(base + "/team/payments", evidence / "status-team-payments.png",
                                1280, 1100) == 1280);
  BOOST_TEST(browser.screenshot(base + "/team/payments",
                                evidence / "status-team-payments-phone.png", 412, 1400) == 412);
  BOOST_TEST(browser.screenshot(base + "/compare?services=payments-api,checkout,search",
                                evidence / "status-compare.png", 1280, 800) == 1280);
  BOOST_TEST(browser.screenshot(base + "/mine", evidence / "status-mine.png", 1280, 600) == 1280);
}

BOOST_AUTO_TEST_SUITE_END()
