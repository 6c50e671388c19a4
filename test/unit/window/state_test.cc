// Windows and stores saved for a state snapshot and restored: the restored
// state answers exactly as the original, now and as time goes on, and
// malformed input is refused whole.
#include <boost/test/unit_test.hpp>
#include <random>

#include "exporter/core/clock.h"
#include "exporter/window/store.h"
#include "test/support/files.h"

using lle::core::Reader;
using lle::core::Writer;
using lle::window::ServiceView;
using lle::window::Store;

namespace {

constexpr std::int64_t kMin = lle::core::kNanosPerMinute;
constexpr auto kCurrent = lle::sketch::LatencySketch::Encoding::kBlockRice;
constexpr std::int64_t kT0 = 1'763'625'600LL * 1'000'000'000LL;

std::vector<lle::core::ServiceInfo> infos(std::initializer_list<const char*> ids) {
  std::vector<lle::core::ServiceInfo> out;
  for (const char* id : ids) out.push_back({id, id, "t", "1", {"x"}});
  return out;
}

// Three hours of lines for a and b at a few per minute, a few rejects.
std::int64_t fill(Store& store) {
  std::mt19937_64 rng(5);
  std::lognormal_distribution<double> lat(std::log(0.08), 0.7);
  std::int64_t now = kT0;
  for (int m = 0; m < 180; ++m) {
    now = kT0 + m * kMin;
    for (int k = 0; k < 7; ++k) {
      store.add(0, now - k * 1'000'000'000LL, lat(rng), 200 + (k % 3) * 100, now);
      store.add(1, now - k * 2'000'000'000LL, lat(rng) * 2, 200, now);
    }
    if (m % 50 == 0) store.reject(-1, lle::core::RejectReason::kUnparseable);
  }
  return now;
}

void same(const ServiceView& a, const ServiceView& b) {
  for (auto [x, y] :
       {std::pair{&a.last_5m, &b.last_5m}, {&a.last_1h, &b.last_1h}, {&a.baseline, &b.baseline}}) {
    BOOST_TEST(x->count == y->count);
    BOOST_TEST(x->sum_seconds == y->sum_seconds);
    BOOST_TEST((x->p50 == y->p50 || (std::isnan(x->p50) && std::isnan(y->p50))));
    BOOST_TEST((x->p95 == y->p95 || (std::isnan(x->p95) && std::isnan(y->p95))));
    BOOST_TEST((x->p99 == y->p99 || (std::isnan(x->p99) && std::isnan(y->p99))));
  }
  BOOST_TEST(a.baseline_buckets == b.baseline_buckets);
  BOOST_TEST(a.accepted_total == b.accepted_total);
  BOOST_TEST(a.accepted_by_status == b.accepted_by_status, boost::test_tools::per_element());
  BOOST_TEST(a.rejects == b.rejects, boost::test_tools::per_element());
  BOOST_TEST(a.last_event_ns == b.last_event_ns);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(window_state)

BOOST_AUTO_TEST_CASE(a_restored_store_answers_exactly_as_the_original_now_and_later) {
  Store original(infos({"a", "b"}), {});
  const std::int64_t now = fill(original);
  Writer w;
  original.save(w);

  Store restored(infos({"a", "b"}), {});
  Reader r(w.bytes());
  std::size_t n = 0;
  BOOST_TEST_REQUIRE(restored.restore(r, kCurrent, &n));
  BOOST_TEST(r.done());
  BOOST_TEST(n == 2u);
  for (const std::int64_t t : {now, now + 3 * kMin, now + 61 * kMin}) {
    const auto a = original.snapshot(t), b = restored.snapshot(t);
    for (std::size_t i = 0; i < 2; ++i) {
      same(a.views[i], b.views[i]);
      BOOST_TEST((*a.views[i].lifetime == *b.views[i].lifetime));
      BOOST_TEST(b.views[i].lifetime->count() == b.views[i].accepted_total);
    }
    BOOST_TEST(a.unknown_rejects == b.unknown_rejects, boost::test_tools::per_element());
  }
  // And both keep taking lines the same way.
  original.add(0, now + 62 * kMin, 0.5, 200, now + 62 * kMin);
  restored.add(0, now + 62 * kMin, 0.5, 200, now + 62 * kMin);
  same(original.snapshot(now + 63 * kMin).views[0], restored.snapshot(now + 63 * kMin).views[0]);
}

// test/testdata/state/store-format-1.bin is what the build before state format 2
// saved for fill() (varint-coded sketches). It restores to the same answers as
// filling anew, and after saving it again in the current encoding, still does.
BOOST_AUTO_TEST_CASE(a_store_saved_in_state_format_1_restores_and_answers_the_same) {
  Store fresh(infos({"a", "b"}), {});
  const std::int64_t now = fill(fresh);
  const std::string old =
      lle::test::read_file(lle::test::source_dir() / "test/testdata/state/store-format-1.bin");
  Store migrated(infos({"a", "b"}), {});
  Reader r(old);
  std::size_t n = 0;
  BOOST_TEST_REQUIRE(migrated.restore(r, lle::sketch::LatencySketch::Encoding::kVarint, &n));
  BOOST_TEST(r.done());
  BOOST_TEST(n == 2u);
  Writer w;
  migrated.save(w);
  BOOST_TEST(w.bytes().size() < old.size());
  Store again(infos({"a", "b"}), {});
  Reader r2(w.bytes());
  BOOST_TEST_REQUIRE(again.restore(r2, kCurrent, &n));
  // Later times expire the archived slices, which the migration re-encoded.
  for (const std::int64_t t : {now, now + 3 * kMin, now + 61 * kMin, now + 180 * kMin}) {
    const auto a = fresh.snapshot(t), b = migrated.snapshot(t), c = again.snapshot(t);
    for (std::size_t i = 0; i < 2; ++i) {
      same(a.views[i], b.views[i]);
      same(a.views[i], c.views[i]);
    }
  }
  // The same bytes are not a current-format store.
  Store wrong(infos({"a", "b"}), {});
  Reader r3(old);
  BOOST_TEST(!(wrong.restore(r3, kCurrent, &n) && r3.done()));
}

BOOST_AUTO_TEST_CASE(services_are_matched_by_id_dropped_when_gone_and_new_ones_start_empty) {
  Store original(infos({"a", "b"}), {});
  const std::int64_t now = fill(original);
  Writer w;
  original.save(w);
  Store changed(infos({"new", "b"}), {});
  Reader r(w.bytes());
  std::size_t n = 0;
  BOOST_TEST_REQUIRE(changed.restore(r, kCurrent, &n));
  BOOST_TEST(n == 1u);
  const auto s = changed.snapshot(now);
  BOOST_TEST(s.views[0].accepted_total == 0u);
  same(s.views[1], original.snapshot(now).views[1]);
}

// A service whose history is being fetched (a fleet handoff) gets old lines at
// their own time while the others are published at the present: its window
// stays where its lines put it, its view is empty and marked, and a snapshot
// of the state leaves it out, so that a restart fetches it again whole.
BOOST_AUTO_TEST_CASE(a_filling_service_is_neither_moved_to_the_present_nor_saved) {
  Store store(infos({"a", "b"}), {});
  Store reference(infos({"a", "b"}), {});
  store.set_filling(1, true);
  const std::int64_t now = kT0 + 600 * kMin;
  store.add(0, now, 0.1, 200, now);
  const auto during = store.snapshot(now);  // b's window not advanced to now
  BOOST_TEST(during.views[1].filling);
  BOOST_TEST(during.views[1].accepted_total == 0u);
  BOOST_TEST(!during.views[0].filling);
  Writer saved;
  store.save(saved);
  // b's history, an hour old and more: too late for a window at now, not for b's.
  for (int m = 0; m < 60; ++m) {
    const std::int64_t ts = kT0 + m * kMin;
    BOOST_TEST(!store.add(1, ts, 0.2, 200, ts).has_value());
    reference.add(1, ts, 0.2, 200, ts);
  }
  store.set_filling(1, false);
  const auto after = store.snapshot(now);
  BOOST_TEST(!after.views[1].filling);
  same(after.views[1], reference.snapshot(now).views[1]);
  Store restored(infos({"a", "b"}), {});
  Reader r(saved.bytes());
  std::size_t n = 0;
  BOOST_TEST_REQUIRE(restored.restore(r, kCurrent, &n));
  BOOST_TEST(n == 1u);  // a only
}

// Snapshots carry each service's 7-day trend by pointer: shared while it is the
// same, rebuilt when a 5-minute bucket completes, and after a restore.
BOOST_AUTO_TEST_CASE(snapshots_share_a_trend_until_it_changes) {
  Store store(infos({"a", "b"}), {});
  const std::int64_t now = fill(store);
  const auto first = store.snapshot(now);
  const auto second = store.snapshot(now + 1);
  BOOST_TEST_REQUIRE(first.trends.size() == 2u);
  BOOST_TEST_REQUIRE(first.trends[0] != nullptr);
  BOOST_TEST(first.trends[0] == second.trends[0]);  // the same minute: nothing rebuilt
  const auto points = first.trends[0]->points();
  BOOST_TEST(points.size() == static_cast<std::size_t>(first.views[0].baseline_buckets));
  for (std::size_t i = 1; i < points.size(); ++i)
    BOOST_TEST(points[i].bucket_start_ns > points[i - 1].bucket_start_ns);

  const std::int64_t later = now + 10 * kMin;  // two more buckets are final
  store.add(0, later, 0.5, 200, later);
  const auto third = store.snapshot(later);
  BOOST_TEST(third.trends[0] != first.trends[0]);
  BOOST_TEST(third.trends[0]->points().size() > points.size());

  Writer w;
  store.save(w);
  Store restored(infos({"a", "b"}), {});
  Reader r(w.bytes());
  std::size_t n = 0;
  BOOST_TEST_REQUIRE(restored.restore(r, kCurrent, &n));
  const auto back = restored.snapshot(later);
  BOOST_TEST_REQUIRE(back.trends[0] != nullptr);
  const auto a = back.trends[0]->points(), b = third.trends[0]->points();
  BOOST_TEST_REQUIRE(a.size() == b.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    BOOST_TEST(a[i].bucket_start_ns == b[i].bucket_start_ns);
    BOOST_TEST(a[i].p95 == b[i].p95);
  }
}

// The lifetime histogram is every accepted line: the 7 days the window keeps plus
// the hours that left them, across saves. A state format 2 window (which ends
// before those hours) restores with what its 7 days hold.
BOOST_AUTO_TEST_CASE(the_lifetime_histogram_outlives_the_seven_days_and_a_restore) {
  lle::window::ServiceWindow original(lle::window::Options{});
  std::mt19937_64 rng(9);
  std::lognormal_distribution<double> lat(std::log(0.08), 0.7);
  std::int64_t now = kT0;
  lle::sketch::LatencySketch all;
  for (int m = 0; m < 9 * 24 * 60; m += 7) {  // 9 days, a line every 7 minutes
    now = kT0 + m * kMin;
    const double v = lat(rng);
    BOOST_TEST_REQUIRE(!original.add(now - kMin, v, 200, now).has_value());
    all.add(v);
  }
  const auto before = original.view(now);
  BOOST_TEST(before.lifetime->count() == before.accepted_total);
  BOOST_TEST((*before.lifetime == all));
  BOOST_TEST(before.baseline.count < before.accepted_total);  // some hours left the 7 days
  Writer w;
  original.save(w);
  lle::window::ServiceWindow restored(lle::window::Options{});
  Reader r(w.bytes());
  BOOST_TEST_REQUIRE(restored.load(r, kCurrent));
  BOOST_TEST(r.done());
  const auto after = restored.view(now);
  same(before, after);
  BOOST_TEST((*after.lifetime == all));

  // Format 2: the same bytes without the expired hours (one empty string at the end
  // would be a format 3 window with none expired; these end before it). Without slow
  // thresholds, format 5 adds one byte after it (their count, 0); without an SLO,
  // format 6 adds nine (a threshold of 0, 8 bytes, and no days, 1).
  lle::window::Options no_slow;
  no_slow.slow = lle::window::SlowThresholds::of({});
  lle::window::ServiceWindow young(no_slow);
  for (int m = 0; m < 60; ++m) young.add(kT0 + m * kMin, 0.01 * (m + 1), 200, kT0 + m * kMin);
  Writer y;
  young.save(y);
  const std::string format_2 = y.bytes().substr(0, y.bytes().size() - 11);  // "", 0, 0, 0
  lle::window::ServiceWindow old(lle::window::Options{});
  Reader r2(format_2);
  BOOST_TEST_REQUIRE(old.load(r2, kCurrent));
  BOOST_TEST(r2.done());
  const auto v = old.view(kT0 + 60 * kMin);
  BOOST_TEST(v.lifetime->count() == 60u);
  BOOST_TEST((*v.lifetime == *young.view(kT0 + 60 * kMin).lifetime));
}

BOOST_AUTO_TEST_CASE(every_truncation_and_a_corrupted_byte_are_refused_without_a_half_load) {
  Store original(infos({"a", "b"}), {});
  const std::int64_t now = fill(original);
  Writer w;
  original.save(w);
  const std::string bytes = w.bytes();
  for (std::size_t len = 0; len < bytes.size(); len += 1 + len / 64) {
    Store target(infos({"a", "b"}), {});
    Reader r(std::string_view(bytes).substr(0, len));
    std::size_t n = 0;
    const bool ok = target.restore(r, kCurrent, &n) && r.done();
    BOOST_TEST(!ok, "a prefix of " << len << " bytes was accepted");
    if (!ok) BOOST_TEST(target.snapshot(now).views[0].accepted_total == 0u);
  }
  std::string bad = bytes;
  bad[bad.size() / 3] = static_cast<char>(0xff);  // a varint that never ends, or nonsense
  Store target(infos({"a", "b"}), {});
  Reader r(bad);
  std::size_t n = 0;
  if (target.restore(r, kCurrent, &n) && r.done()) {
    // A flipped byte may still decode; the file's checksum is what catches it.
    BOOST_TEST_MESSAGE("the corrupted payload decoded; state_file's CRC guards it");
  } else {
    BOOST_TEST(target.snapshot(now).views[0].accepted_total == 0u);
  }
}

namespace {

// A window snapshot written field by field, as ServiceWindow::save lays it out,
// so that single values can be made hostile while the rest stays valid.
struct Crafted {
  std::int64_t horizon = kT0 / kMin - 5, minute = kT0 / kMin, five = kT0 / (5 * kMin),
               hour = kT0 / (60 * kMin), archived_five = kT0 / (5 * kMin) - 1,
               trend_latest = kT0 / (5 * kMin), trend_value = 10;
  std::vector<double> five_lines, hour_lines;  // the open 5-minute bucket's, the hour's
  static std::string encoded(const std::vector<double>& lines) {
    lle::sketch::LatencySketch s;
    for (const double v : lines) s.add(v);
    std::string out;
    s.encode(out);
    return out;
  }
  std::string bytes() const {
    const std::string empty = encoded({});
    Writer w;
    w.i64(kT0);
    w.i64(horizon);
    w.u64(1);
    w.i64(minute), w.u64(0), w.str(empty);
    w.i64(five), w.str(encoded(five_lines));
    w.i64(hour), w.str(encoded(hour_lines));
    lle::sketch::LatencySketch one;
    one.add(0.1);
    const lle::sketch::CompactSketch compact(one);
    w.u64(1), w.i64(archived_five), w.str(compact.bytes());  // the 5-minute archive
    w.u64(0);                                                // no hours
    w.str(empty), w.str(empty);
    w.u64(lle::window::kTrendPoints);
    for (int i = 0; i < lle::window::kTrendPoints; ++i)
      w.i64(i == 0 ? trend_value : lle::window::TrendSeries::kNoPoint);
    w.i64(trend_latest);
    w.u64(1);            // trend points (recounted on load)
    w.u64(0), w.f64(0);  // accepted, latency total
    w.u64(0);            // by status: none
    w.u64(0), w.u64(0);  // clamped low, high
    w.f64(0), w.f64(0);  // min, max
    w.i64(0), w.i64(0);  // first, last event
    w.u64(0);            // rejects: none
    return w.bytes();
  }
  bool loads() const {
    lle::window::ServiceWindow window{lle::window::Options{}};
    const std::string b = bytes();
    Reader r(b);
    return window.load(r, kCurrent);
  }
};

}  // namespace

// A checksum proves a snapshot undamaged, not well made: values that would make
// index arithmetic overflow, or the trend read outside the sketch's buckets,
// are refused, and the restore starts cold instead of going undefined.
BOOST_AUTO_TEST_CASE(crafted_indices_in_a_valid_snapshot_are_refused) {
  BOOST_TEST_REQUIRE(Crafted{}.loads());
  const std::int64_t huge = INT64_MAX / 2, tiny = INT64_MIN / 2;
  auto with = [](auto change) {
    Crafted c;
    change(c);
    return c.loads();
  };
  BOOST_TEST(!with([&](Crafted& c) { c.trend_latest = huge; }));
  BOOST_TEST(!with([&](Crafted& c) { c.trend_latest = tiny; }));
  BOOST_TEST(!with([&](Crafted& c) { c.trend_latest = INT64_MIN + 1; }));
  BOOST_TEST(!with([](Crafted& c) { c.trend_value = 30000; }));
  BOOST_TEST(!with([&](Crafted& c) { c.minute = huge; }));
  BOOST_TEST(!with([&](Crafted& c) { c.horizon = huge; }));
  BOOST_TEST(!with([&](Crafted& c) { c.five = huge; }));
  BOOST_TEST(!with([&](Crafted& c) { c.hour = tiny; }));
  BOOST_TEST(!with([&](Crafted& c) { c.archived_five = huge; }));
}

// A snapshot's open hour holds every final minute of it, those of the open 5-minute
// bucket included (the window keeps the two apart, exactly, by subtracting the
// bucket): an hour that lacks lines its open bucket holds is inconsistent, refused.
BOOST_AUTO_TEST_CASE(an_open_bucket_with_lines_its_hour_lacks_is_refused) {
  auto with = [](std::vector<double> five, std::vector<double> hour) {
    Crafted c;
    c.five_lines = std::move(five);
    c.hour_lines = std::move(hour);
    return c.loads();
  };
  BOOST_TEST(with({0.1, 0.2}, {0.1, 0.2, 0.3}));
  BOOST_TEST(with({0.1}, {0.1}));
  BOOST_TEST(!with({0.1}, {}));
  BOOST_TEST(!with({0.1, 0.1}, {0.1, 0.3}));
  BOOST_TEST(!with({5.0}, {0.1}));
}

BOOST_AUTO_TEST_SUITE_END()
