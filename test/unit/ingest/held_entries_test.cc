// Pipeline::hold_entry adds lines a few lines late (to prefetch the next lines'
// state): the store must end up exactly as on_entry leaves it, whatever mix of
// services, rejects, late lines and minutes, and wherever the flushes fall.
#include <boost/test/unit_test.hpp>
#include <random>
#include <string>

#include "exporter/ingest/pipeline.h"
#include "exporter/metrics/text_render.h"
#include "test/unit/ingest/mixed_lines.h"

namespace {

using lle::test::mixed_lines;
using Config = lle::test::FortyServices;

std::string exposition(lle::ingest::Pipeline& p, std::int64_t now) {
  p.input().parse_seconds_total = 0;
  return lle::metrics::render_exposition(*p.publish(now));
}

}  // namespace

BOOST_AUTO_TEST_SUITE(ingest_held_entries)

BOOST_AUTO_TEST_CASE(held_lines_leave_the_store_as_lines_added_at_once) {
  const Config c;
  const auto lines = mixed_lines(5000);
  lle::ingest::Pipeline at_once(c.cfg, {"test", "", 0, {}, {}, {}, {}});
  lle::ingest::Pipeline held(c.cfg, {"test", "", 0, {}, {}, {}, {}});
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
