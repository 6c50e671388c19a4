// The built-in status pages in a real browser: Debian's headless Chromium loads
// them from the exporter replaying the bundled sample, the DOM must show every
// service and the regressed one (payments-api) as breaching with a breach drawn
// on its chart, its team's page with it first, and screenshots (desktop and phone width) go to
// artifacts/evidence/ (dashboard.png is the list).
#include <boost/test/unit_test.hpp>
#include <filesystem>
#include <string>

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

std::size_t count(const std::string& s, const std::string& what) {
  std::size_t n = 0;
  for (std::size_t at = 0; (at = s.find(what, at)) != std::string::npos; at += what.size()) ++n;
  return n;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(integration_status_page_browser)

BOOST_AUTO_TEST_CASE(the_status_pages_show_every_service_and_the_regressed_one_breaching) {
  lle::test::TempDir dir;
  const std::string root = lle::test::source_dir().string();
  const std::string err = (dir.path() / "err").string();
  lle::test::Process exporter(
      {lle::test::exporter_binary(), "run", "--config", root + "/deploy/config/exporter.yaml",
       "--replay", root + "/test/testdata/sample/sample.jsonl", "--rebase-to-now", "--listen",
       "127.0.0.1:0"},
      "/dev/null", (dir.path() / "out").string(), err);
  const int port = lle::test::wait_for_replay(err, 30s);
  BOOST_TEST_REQUIRE(port != 0, read_file(err));
  const std::string base = "http://127.0.0.1:" + std::to_string(port);
  const Browser browser;

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
  BOOST_TEST(list.find("href=\"/service/payments-api\"") != std::string::npos);

  const std::string page = browser.dom(base + "/service/payments-api");
  BOOST_TEST(page.find("<span class=\"badge bad\">breaching</span>") != std::string::npos);
  BOOST_TEST(count(page, "<rect class=\"breach\"") >= 1u);
  BOOST_TEST(count(page, "class=\"breach-interval\"") >= 1u);
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
  BOOST_TEST(team.find("2 services, 1 breaching now") != std::string::npos);
  BOOST_TEST(list.find("href=\"/team/payments\"") != std::string::npos);
  // The list filtered to the team, and to breaching services.
  const std::string filtered = browser.dom(base + "/?team=payments&state=breaching");
  BOOST_TEST(count(filtered, "class=\"service") == 1u);
  BOOST_TEST(filtered.find("id=\"payments-api\"") != std::string::npos);
  // Without api.auth there is no one signed in to list services for.
  BOOST_TEST(browser.dom(base + "/mine").find("api_disabled") != std::string::npos);

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
}

BOOST_AUTO_TEST_SUITE_END()
