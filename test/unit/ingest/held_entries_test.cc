// Pipeline::hold_entry adds lines a few lines late (to prefetch the next lines'
// state): the store must end up exactly as on_entry leaves it, whatever mix of
// services, rejects, late lines and minutes, and wherever the flushes fall.
#include <boost/test/unit_test.hpp>
#include <random>
#include <string>
#include <vector>

#include "exporter/config/config.h"
#include "exporter/ingest/pipeline.h"
#include "exporter/metrics/text_render.h"
#include "test/support/files.h"

namespace {

struct Line {
  std::string text;
  std::int64_t ts, now;
};

// Lines of 40 services over 20 minutes, with unknown services, malformed
// latencies, lines too late and too far in the future among them.
std::vector<Line> mixed_lines(std::size_t n) {
  std::mt19937_64 rng(15);
  std::vector<Line> out;
  std::int64_t now = 1'795'154'400'000'000'000;
  for (std::size_t i = 0; i < n; ++i) {
    now += static_cast<std::int64_t>(rng() % 2'000'000'000);
    const auto kind = rng() % 20;
    std::int64_t ts = now - static_cast<std::int64_t>(rng() % 30'000'000'000);
    if (kind == 0) ts = now - 3'600'000'000'000;  // too late
    if (kind == 1) ts = now + 600'000'000'000;    // too far in the future
    const std::string service = kind == 2 ? "nobody" : "svc-" + std::to_string(rng() % 40);
    const std::string latency =
        kind == 3 ? "\"fast\"" : std::to_string(1 + rng() % 900) + "." + std::to_string(rng() % 10);
    out.push_back({"{\"service\":\"" + service + "\",\"latency_ms\":" + latency + ",\"status\":" +
                       std::to_string(200 + 100 * (rng() % 4)) + ",\"schema_version\":\"1\"}",
                   ts, now});
  }
  return out;
}

struct Config {
  lle::test::TempDir dir;
  lle::config::Config cfg;
  Config() {
    std::string services = "services:\n";
    for (int i = 0; i < 40; ++i) {
      const std::string id = "svc-" + std::to_string(i);
      services += "  - id: " + id + "\n    team: t" + std::to_string(i % 3) +
                  "\n    owners: [o]\n    match: {field: " + id + "}\n";
    }
    dir.write("services.yaml", services);
    cfg = lle::config::load(dir.write(
        "exporter.yaml", "services_file: services.yaml\nwindows: {allowed_lateness: 2m}\n"));
  }
};

std::string exposition(lle::ingest::Pipeline& p, std::int64_t now) {
  p.input().parse_seconds_total = 0;
  return lle::metrics::render_exposition(*p.publish(now));
}

}  // namespace

BOOST_AUTO_TEST_SUITE(ingest_held_entries)

BOOST_AUTO_TEST_CASE(held_lines_leave_the_store_as_lines_added_at_once) {
  const Config c;
  const auto lines = mixed_lines(5000);
  lle::ingest::Pipeline at_once(c.cfg, {"test", "", 0, {}, {}, {}});
  lle::ingest::Pipeline held(c.cfg, {"test", "", 0, {}, {}, {}});
  std::size_t too_late = 0;
  std::mt19937_64 rng(16);
  for (std::size_t i = 0; i < lines.size(); ++i) {
    const lle::core::Entry e{{}, lines[i].ts, lines[i].text};
    too_late += at_once.on_entry(e, lines[i].now) == lle::core::RejectReason::kTooLate;
    held.hold_entry(e, lines[i].now);
    if (rng() % 50 == 0) held.flush();  // as a source's progress() does, between batches
    if (i % 1000 == 999) {
      // Published in the middle: what is held is added first.
      BOOST_TEST(exposition(held, lines[i].now) == exposition(at_once, lines[i].now));
    }
  }
  BOOST_TEST(too_late > 0u);  // the mix holds every kind of line
  BOOST_TEST(at_once.store().snapshot(lines.back().now).unknown_rejects !=
             lle::core::RejectCounts{});
  held.store().close_open_minutes();  // store() adds what is held before
  at_once.store().close_open_minutes();
  const std::int64_t end = lines.back().now;
  BOOST_TEST(exposition(held, end) == exposition(at_once, end));
}

BOOST_AUTO_TEST_SUITE_END()
