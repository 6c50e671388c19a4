// Fleet mode against the Loki-compatible test server, in process: three members
// (each a loki::Input feeding an ingest::Pipeline on an io_context of its own,
// with the wall clock injected) share 30 services. Each line Loki stored is
// counted by exactly one member, and each service by one member only, as one
// exporter would count it; also across a rescale from 3 to 4 members and back,
// each member restarting from its snapshot. Waits are bounded and wait for
// conditions.
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/test/unit_test.hpp>
#include <future>
#include <map>
#include <memory>
#include <thread>

#include "exporter/config/config.h"
#include "exporter/core/clock.h"
#include "exporter/ingest/pipeline.h"
#include "exporter/ingest/snapshot_payload.h"
#include "exporter/loki/client.h"
#include "exporter/loki/plan.h"
#include "test/support/exporter_harness.h"

using namespace lle::test;

namespace {

constexpr int kMembers = 3, kFleetServices = 30, kByLabel = 20;

std::string id(int i) { return "svc-" + std::to_string(i); }

// Services 0..19 tailed by their `app` label, 20..29 found by the line's field
// under the shared selector.
std::string services_yaml() {
  std::string s = "services:\n";
  for (int i = 0; i < kFleetServices; ++i) {
    s += "  - id: " + id(i) + "\n    team: t" + std::to_string(i % 4) + "\n    owners: [o]\n";
    if (i < kByLabel) s += "    match: {labels: {app: " + id(i) + "}}\n";
  }
  return s;
}

struct Member {
  TempDir dir;
  lle::config::Config cfg;
  lle::core::ManualClock clock;
  lle::ingest::Pipeline pipeline;
  std::optional<lle::loki::Input> input;
  boost::asio::io_context io;  // after the input: its coroutines go first
  std::thread thread;

  // snapshot: what an earlier member saved (state_payload), or "" to start cold.
  // grace: as `run` starts, keeping the services the snapshot holds that another
  // member owns now (config::keep_leaving); else as its reload when the grace ends.
  Member(const FakeLoki& loki, int member, int members = kMembers, std::int64_t now = now_ns(),
         const std::string& snapshot = "", const std::string& extra = "", bool grace = false)
      : cfg(load(loki, member, members, extra, grace ? snapshot : "")),
        clock(now),
        pipeline(cfg, {"test", "", 0, {}, {}, {}, {}}) {
    input.emplace(
        cfg.loki, lle::loki::plan_shards(cfg), clock,
        [this](const lle::core::Entry& e) { return pipeline.service_by_labels(e); },
        [this](const lle::core::Entry& e) { return pipeline.service_of_line(e); });
    if (!snapshot.empty())
      BOOST_TEST_REQUIRE(
          lle::ingest::restore_payload(snapshot, pipeline.store(), &*input).has_value());
    input->start(io, lle::ingest::hooks_into(pipeline, [](const std::string&) {}));
    thread = std::thread([this] { io.run(); });
  }
  ~Member() {
    io.stop();
    thread.join();
  }

  // extra: more exporter.yaml, under input.loki.
  lle::config::Config load(const FakeLoki& loki, int member, int members, const std::string& extra,
                           const std::string& grace_from) {
    dir.write("services.yaml", services_yaml());
    auto c = lle::config::load(dir.write(
        "exporter.yaml",
        "services_file: services.yaml\ninput:\n  loki:\n    url: " + loki.url() +
            "\n    selector: '{namespace=\"shop\"}'\n    reconcile_bucket: 1s\n"
            "    reconcile_settle: 1s\n    backoff_initial: 20ms\n    backoff_max: 200ms\n"
            "    connect_timeout: 2s\n" +
            extra +
            "parsing: {default_schema_version: \"1\"}\n"
            "windows: {allowed_lateness: 3s}\nfleet: {members: " +
            std::to_string(members) + ", member: " + std::to_string(member) + "}\n"));
    if (!grace_from.empty()) lle::config::keep_leaving(c, lle::ingest::services_saved(grace_from));
    return c;
  }

  // What a restart finds: the state snapshot, taken on the io thread.
  std::string snapshot() {
    std::promise<std::string> p;
    boost::asio::post(io, [&] {
      p.set_value(lle::ingest::state_payload(pipeline.store(), &*input, clock.now_ns()));
    });
    return p.get_future().get();
  }

  // The shards' status, read on the io thread as the Input requires.
  std::uint64_t sum(std::uint64_t lle::core::ShardStatus::*field) {
    std::promise<std::uint64_t> p;
    boost::asio::post(io, [&] {
      std::uint64_t n = 0;
      for (const auto& s : input->status()) n += s.*field;
      p.set_value(n);
    });
    return p.get_future().get();
  }
  // Moves the clock past the last check of every bucket so far, and waits until
  // every shard's reconciler has checked them all at that time (a repair handed
  // on at a later step of the clock could be too late for the windows).
  bool reconcile() {
    clock.advance(cfg.loki.reconcile_final_ns + 2 * cfg.loki.reconcile_bucket_ns);
    const std::int64_t at = clock.now_ns();
    return wait_until(
        [&] {
          std::promise<bool> p;
          boost::asio::post(io, [&] {
            bool all = true;
            for (const auto& s : input->status()) all = all && s.reconciled_ns >= at;
            p.set_value(all);
          });
          return p.get_future().get();
        },
        20s);
  }

  // The published state, taken on the io thread as the pipeline requires; at the
  // time the input vouches for (as the engine publishes), or later.
  std::shared_ptr<const lle::metrics::Published> published(std::int64_t later_ns = 0) {
    std::promise<std::shared_ptr<const lle::metrics::Published>> p;
    boost::asio::post(io, [&] { p.set_value(pipeline.publish(input->vouched_ns() + later_ns)); });
    return p.get_future().get();
  }
};

std::uint64_t sum(const lle::core::RejectCounts& r) {
  std::uint64_t n = 0;
  for (const auto v : r) n += v;
  return n;
}

// Lines a member counted: accepted or rejected, with or without a service; not
// those of services it serves only for a handoff's grace period (their new owner
// counts them).
std::uint64_t counted(const lle::metrics::Published& p) {
  std::uint64_t n = sum(p.snapshot.unknown_rejects);
  for (std::size_t i = 0; i < p.snapshot.views.size(); ++i) {
    const auto& v = p.snapshot.views[i];
    if (!(*p.snapshot.services)[i].leaving) n += v.accepted_total + sum(v.rejects);
  }
  return n;
}

// n lines stamped from base on, a nanosecond apart, round robin over the services;
// every 50th of no service. Counts them into *pushed by service ("nobody").
void push(FakeLoki& loki, std::int64_t base, int n, std::map<std::string, std::uint64_t>& pushed) {
  static int seq = 0;
  for (int i = 0; i < n; ++i, ++seq) {
    const int s = seq % kFleetServices;
    const bool nobody = seq % 50 == 49;
    const std::string service = nobody ? "nobody" : id(s);
    std::map<std::string, std::string> labels{{"namespace", "shop"}};
    if (s < kByLabel && !nobody) labels["app"] = service;
    loki.push(labels, base + i,
              "{\"service\":\"" + service + "\",\"latency_ms\":" + std::to_string(5 + seq % 300) +
                  ",\"status\":200,\"seq\":" + std::to_string(seq) + "}");
    ++pushed[service];
  }
}

using Members = std::vector<std::unique_ptr<Member>>;

std::uint64_t total(Members& members) {
  std::uint64_t n = 0;
  for (auto& m : members) n += counted(*m->published());
  return n;
}

// Waits until the members together have counted every line Loki stored, moving
// their clocks on (reconcile()) so that repairs and backfills can finish.
bool all_counted(Members& members, const FakeLoki& loki) {
  return wait_until(
      [&] {
        if (total(members) == loki.stored()) return true;
        for (auto& m : members) m->reconcile();
        return total(members) == loki.stored();
      },
      60s);
}

// Per service, the lines counted and the member counting them; every service on
// exactly one member, its owner among `members`, with exactly the lines pushed.
// A service a member serves for a handoff's grace period has exactly those lines
// there too, and another owner. Returns the number of those.
std::size_t check_exact(Members& members, int n, std::map<std::string, std::uint64_t>& pushed) {
  std::map<std::string, std::uint64_t> fleet;
  std::uint64_t unknown = 0;
  std::size_t leaving = 0;
  for (int m = 0; m < n; ++m) {
    const auto p = members[static_cast<std::size_t>(m)]->published();
    const auto& snap = p->snapshot;
    for (std::size_t i = 0; i < snap.views.size(); ++i) {
      const auto& sid = (*snap.services)[i].id;
      BOOST_TEST(!snap.views[i].filling, sid);
      if ((*snap.services)[i].leaving) {
        BOOST_TEST(lle::config::fleet_owner(sid, n) != m, sid);
        BOOST_TEST(snap.views[i].accepted_total == pushed[sid], sid << " leaving " << m);
        ++leaving;
        continue;
      }
      BOOST_TEST(lle::config::fleet_owner(sid, n) == m, sid);
      // Every line is valid: counted means accepted (not too late, say).
      BOOST_TEST(sum(snap.views[i].rejects) == 0u,
                 sid << " on " << m << " of " << n << ": too late "
                     << snap.views[i]
                            .rejects[static_cast<std::size_t>(lle::core::RejectReason::kTooLate)]);
      BOOST_TEST(fleet.emplace(sid, snap.views[i].accepted_total).second,
                 sid << " served by two members");
    }
    // Lines of no service are member 0's; the others leave them, as their services'.
    if (m > 0) BOOST_TEST(sum(snap.unknown_rejects) == 0u);
    unknown += sum(snap.unknown_rejects);
  }
  BOOST_TEST(fleet.size() == static_cast<std::size_t>(kFleetServices));
  BOOST_TEST(unknown == pushed["nobody"]);
  for (const auto& [sid, count] : fleet) BOOST_TEST(count == pushed[sid], sid);
  return leaving;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(fleet_in_process)

BOOST_AUTO_TEST_CASE(three_members_count_each_stored_line_exactly_once) {
  FakeLoki loki({});
  Members members;
  for (int m = 0; m < kMembers; ++m) members.push_back(std::make_unique<Member>(loki, m));
  // Every member tails its label services and the shared selector.
  BOOST_TEST_REQUIRE(reopened(loki, 2 * kMembers - 1));

  // About 20,000 lines, round robin over the services; every 50th of no service.
  constexpr int kLines = 20'000;
  std::map<std::string, std::uint64_t> pushed;
  push(loki, now_ns(), kLines, pushed);
  BOOST_TEST_REQUIRE(wait_until([&] { return total(members) >= loki.stored(); }, 30s));
  // Each member's reconciler agrees with Loki's counts, the lines it left to the
  // others included: nothing to repair, nothing in excess.
  for (auto& m : members) {
    BOOST_TEST_REQUIRE(m->reconcile());
    BOOST_TEST(m->sum(&lle::core::ShardStatus::lines_repaired) == 0u);
    BOOST_TEST(m->sum(&lle::core::ShardStatus::excess_lines) == 0u);
  }

  BOOST_TEST(check_exact(members, kMembers, pushed) == 0u);
  // On each member, lines read = lines counted + lines left to another member.
  for (auto& m : members) {
    const auto p = m->published();
    BOOST_TEST(counted(*p) + p->status.input.lines_elsewhere == p->status.input.lines_read);
  }
  BOOST_TEST(total(members) == loki.stored());
  BOOST_TEST(loki.stored() == static_cast<std::size_t>(kLines));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(fleet_rescale)

// 3 -> 4 -> 3 members, each restarting from its snapshot (the new one cold), with
// lines logged while they were down and after: every service's count stays
// exact on its owner, with no service on two members, and the services moved
// back hold the same 7-day baseline as one exporter computes from every line.
BOOST_AUTO_TEST_CASE(scaling_out_and_back_counts_every_line_once) {
  FakeLoki loki({});
  std::map<std::string, std::uint64_t> pushed;
  // A backfill long enough for all the history; fast, so that the test is.
  const std::string backfill = "    backfill: 1h\n    backfill_pages_per_second: 1000\n";
  const std::int64_t t0 = now_ns();
  std::vector<std::string> saved(kMembers);
  // Stops members 0..2 as for a restart: their snapshots into `saved`; returns when
  // the next ones start, 2 s after the latest member's clock.
  const auto stop = [&saved](Members& members) {
    std::int64_t latest = 0;
    for (std::size_t m = 0; m < members.size(); ++m) {
      if (m < saved.size()) saved[m] = members[m]->snapshot();
      latest = std::max(latest, members[m]->clock.now_ns());
    }
    members.clear();
    return latest + 2'000'000'000;
  };

  Members three;
  for (int m = 0; m < kMembers; ++m)
    three.push_back(std::make_unique<Member>(loki, m, kMembers, t0, "", backfill));
  push(loki, t0, 6000, pushed);
  BOOST_TEST_REQUIRE(all_counted(three, loki));
  BOOST_TEST(check_exact(three, kMembers, pushed) == 0u);
  const std::int64_t t1 = stop(three);

  // Down for a while: lines logged meanwhile, then four members.
  push(loki, t1 - 1'000'000'000, 3000, pushed);
  Members four;
  for (int m = 0; m < 4; ++m) {
    four.push_back(std::make_unique<Member>(
        loki, m, 4, t1, m < kMembers ? saved[static_cast<std::size_t>(m)] : "", backfill));
  }
  push(loki, t1, 3000, pushed);
  BOOST_TEST_REQUIRE(all_counted(four, loki));
  BOOST_TEST(check_exact(four, 4, pushed) == 0u);
  const std::int64_t t2 = stop(four);

  // And back to three: member 3's services move back, their history refetched.
  push(loki, t2 - 1'000'000'000, 3000, pushed);
  Members back;
  for (int m = 0; m < kMembers; ++m)
    back.push_back(std::make_unique<Member>(loki, m, kMembers, t2,
                                            saved[static_cast<std::size_t>(m)], backfill));
  // The services moved back are marked filling until their history is in. (Their
  // live lines meanwhile come by a later repair; with this test's clock, moved
  // on in steps near the lateness, that repair could come too late: see
  // docs/fleet.md.)
  BOOST_TEST_REQUIRE(wait_until(
      [&] {
        for (auto& m : back) {
          const auto p = m->published();  // kept: the loop reads its views
          for (const auto& v : p->snapshot.views)
            if (v.filling) return false;
        }
        return true;
      },
      30s));
  push(loki, t2, 3000, pushed);
  BOOST_TEST_REQUIRE(all_counted(back, loki));
  BOOST_TEST(check_exact(back, kMembers, pushed) == 0u);
  std::uint64_t backfilled = 0;
  for (auto& m : back) backfilled += m->sum(&lle::core::ShardStatus::backfill_lines);
  BOOST_TEST(backfilled > 0u);

  // One exporter, cold, on the same lines: the baselines the members hold.
  Members one;
  one.push_back(std::make_unique<Member>(loki, 0, 1, t2, "", backfill));
  BOOST_TEST_REQUIRE(all_counted(one, loki));
  // Two hours on, every line is in a complete hour: in the baseline.
  constexpr std::int64_t kLater = 2 * 3600'000'000'000;
  const auto single = one[0]->published(kLater);
  std::map<std::string, lle::window::WindowStats> expected;
  for (std::size_t i = 0; i < single->snapshot.views.size(); ++i)
    expected[(*single->snapshot.services)[i].id] = single->snapshot.views[i].baseline;
  std::size_t moved = 0;
  for (auto& m : back) {
    const auto p = m->published(kLater);
    for (std::size_t i = 0; i < p->snapshot.views.size(); ++i) {
      const auto& sid = (*p->snapshot.services)[i].id;
      const auto& got = p->snapshot.views[i].baseline;
      if (lle::config::fleet_owner(sid, 4) == 3) ++moved;
      BOOST_TEST(got.count == pushed[sid], sid);
      BOOST_TEST(got.count == expected[sid].count, sid);
      BOOST_TEST(got.p50 == expected[sid].p50, sid);
      BOOST_TEST(got.p95 == expected[sid].p95, sid);
      BOOST_TEST(got.p99 == expected[sid].p99, sid);
    }
  }
  BOOST_TEST(moved > 0u);
  BOOST_TEST(loki.stored() == 18'000u);
}

// 3 -> 4 members with the handoff's grace period: the members that lose services
// to the new one keep tailing, counting and serving them, exactly, while the new
// member fetches their history; when the grace ends (a reload without them, as
// `run` does), each service is on its one owner again, every count exact.
BOOST_AUTO_TEST_CASE(a_member_serves_what_it_lost_until_its_grace_ends) {
  FakeLoki loki({});
  std::map<std::string, std::uint64_t> pushed;
  const std::string backfill = "    backfill: 1h\n    backfill_pages_per_second: 1000\n";
  const std::int64_t t0 = now_ns();
  Members three;
  for (int m = 0; m < kMembers; ++m)
    three.push_back(std::make_unique<Member>(loki, m, kMembers, t0, "", backfill));
  push(loki, t0, 3000, pushed);
  BOOST_TEST_REQUIRE(all_counted(three, loki));
  std::vector<std::string> saved;
  for (auto& m : three) saved.push_back(m->snapshot());
  const std::int64_t t1 = three[0]->clock.now_ns() + 2'000'000'000;
  three.clear();

  Members four;
  for (int m = 0; m < 4; ++m) {
    four.push_back(std::make_unique<Member>(
        loki, m, 4, t1, m < kMembers ? saved[static_cast<std::size_t>(m)] : "", backfill, true));
  }
  std::size_t kept = 0;
  for (int m = 0; m < kMembers; ++m) {
    for (const auto& s : four[static_cast<std::size_t>(m)]->cfg.services) {
      if (!s.info.leaving) continue;
      ++kept;
      BOOST_TEST(lle::config::fleet_owner(s.info.id, 4) == 3, s.info.id);
    }
  }
  BOOST_TEST_REQUIRE(kept > 0u);  // every service member 3 gained
  BOOST_TEST(kept == four[3]->cfg.services.size());
  push(loki, t1, 3000, pushed);
  BOOST_TEST_REQUIRE(all_counted(four, loki));
  BOOST_TEST(check_exact(four, 4, pushed) == kept);

  // The grace ends: members 0..2 go on without the services they lost.
  for (int m = 0; m < kMembers; ++m) {
    auto& old = four[static_cast<std::size_t>(m)];
    const std::string state = old->snapshot();
    const std::int64_t now = old->clock.now_ns();
    old.reset();
    old = std::make_unique<Member>(loki, m, 4, now, state, backfill);
  }
  push(loki, four[0]->clock.now_ns(), 3000, pushed);
  BOOST_TEST_REQUIRE(all_counted(four, loki));
  BOOST_TEST(check_exact(four, 4, pushed) == 0u);
  BOOST_TEST(loki.stored() == 9000u);
}

BOOST_AUTO_TEST_SUITE_END()
