// Fleet mode against the Loki-compatible test server, in process: three members
// (each a loki::Input feeding an ingest::Pipeline on an io_context of its own,
// with the wall clock injected) share 30 services. Each line Loki stored is
// counted by exactly one member, and each service by one member only, as one
// exporter would count it. Waits are bounded and wait for conditions.
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
  lle::core::ManualClock clock{now_ns()};
  lle::ingest::Pipeline pipeline;
  std::optional<lle::loki::Input> input;
  boost::asio::io_context io;  // after the input: its coroutines go first
  std::thread thread;

  Member(const FakeLoki& loki, int member)
      : cfg(load(loki, member)), pipeline(cfg, {"test", "", 0, {}, {}, {}, {}}) {
    input.emplace(cfg.loki, lle::loki::plan_shards(cfg), clock,
                  [this](const lle::core::Entry& e) { return pipeline.service_by_labels(e); });
    input->start(io, lle::ingest::hooks_into(pipeline, [](const std::string&) {}));
    thread = std::thread([this] { io.run(); });
  }
  ~Member() {
    io.stop();
    thread.join();
  }

  lle::config::Config load(const FakeLoki& loki, int member) {
    dir.write("services.yaml", services_yaml());
    return lle::config::load(dir.write(
        "exporter.yaml",
        "services_file: services.yaml\ninput:\n  loki:\n    url: " + loki.url() +
            "\n    selector: '{namespace=\"shop\"}'\n    reconcile_bucket: 1s\n"
            "    reconcile_settle: 1s\n    backoff_initial: 20ms\n    backoff_max: 200ms\n"
            "    connect_timeout: 2s\nparsing: {default_schema_version: \"1\"}\n"
            "windows: {allowed_lateness: 3s}\nfleet: {members: " +
            std::to_string(kMembers) + ", member: " + std::to_string(member) + "}\n"));
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
  // the reconciler has checked them.
  bool reconcile() {
    const auto before = sum(&lle::core::ShardStatus::minutes_reconciled);
    clock.advance(cfg.loki.reconcile_final_ns + 2 * cfg.loki.reconcile_bucket_ns);
    return wait_until([&] { return sum(&lle::core::ShardStatus::minutes_reconciled) > before; },
                      20s);
  }

  // The published state, taken on the io thread as the pipeline requires.
  std::shared_ptr<const lle::metrics::Published> published() {
    std::promise<std::shared_ptr<const lle::metrics::Published>> p;
    boost::asio::post(io, [&] { p.set_value(pipeline.publish(clock.now_ns())); });
    return p.get_future().get();
  }
};

std::uint64_t sum(const lle::core::RejectCounts& r) {
  std::uint64_t n = 0;
  for (const auto v : r) n += v;
  return n;
}

// Lines a member counted: accepted or rejected, with or without a service.
std::uint64_t counted(const lle::metrics::Published& p) {
  std::uint64_t n = sum(p.snapshot.unknown_rejects);
  for (const auto& v : p.snapshot.views) n += v.accepted_total + sum(v.rejects);
  return n;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(fleet_in_process)

BOOST_AUTO_TEST_CASE(three_members_count_each_stored_line_exactly_once) {
  FakeLoki loki({});
  std::vector<std::unique_ptr<Member>> members;
  for (int m = 0; m < kMembers; ++m) members.push_back(std::make_unique<Member>(loki, m));
  // Every member tails its label services and the shared selector.
  BOOST_TEST_REQUIRE(reopened(loki, 2 * kMembers - 1));

  // About 20,000 lines, round robin over the services; every 50th of no service.
  constexpr int kLines = 20'000;
  std::map<std::string, std::uint64_t> pushed;
  const std::int64_t base = now_ns();
  for (int i = 0; i < kLines; ++i) {
    const int s = i % kFleetServices;
    const bool nobody = i % 50 == 49;
    const std::string service = nobody ? "nobody" : id(s);
    std::map<std::string, std::string> labels{{"namespace", "shop"}};
    if (s < kByLabel && !nobody) labels["app"] = service;
    loki.push(labels, base + i,
              "{\"service\":\"" + service + "\",\"latency_ms\":" + std::to_string(5 + i % 300) +
                  ",\"status\":200,\"seq\":" + std::to_string(i) + "}");
    ++pushed[service];
  }
  const auto total = [&] {
    std::uint64_t n = 0;
    for (auto& m : members) n += counted(*m->published());
    return n;
  };
  BOOST_TEST_REQUIRE(wait_until([&] { return total() >= loki.stored(); }, 30s));
  // Each member's reconciler agrees with Loki's counts, the lines it left to the
  // others included: nothing to repair, nothing in excess.
  for (auto& m : members) {
    BOOST_TEST_REQUIRE(m->reconcile());
    BOOST_TEST(m->sum(&lle::core::ShardStatus::lines_repaired) == 0u);
    BOOST_TEST(m->sum(&lle::core::ShardStatus::excess_lines) == 0u);
  }

  std::map<std::string, std::uint64_t> fleet;
  std::uint64_t unknown = 0;
  for (int m = 0; m < kMembers; ++m) {
    const auto p = members[static_cast<std::size_t>(m)]->published();
    const auto& snap = p->snapshot;
    for (std::size_t i = 0; i < snap.views.size(); ++i) {
      const auto& sid = (*snap.services)[i].id;
      BOOST_TEST(lle::config::fleet_owner(sid, kMembers) == m, sid);
      BOOST_TEST(
          fleet.emplace(sid, snap.views[i].accepted_total + sum(snap.views[i].rejects)).second,
          sid << " served by two members");
    }
    // Lines of no service are member 0's; the others leave them, as their services'.
    if (m > 0) BOOST_TEST(sum(snap.unknown_rejects) == 0u);
    unknown += sum(snap.unknown_rejects);
    BOOST_TEST(counted(*p) + p->status.input.lines_elsewhere == p->status.input.lines_read);
  }
  BOOST_TEST(fleet.size() == static_cast<std::size_t>(kFleetServices));
  BOOST_TEST(unknown == pushed["nobody"]);
  for (const auto& [sid, n] : fleet) BOOST_TEST(n == pushed[sid], sid);
  BOOST_TEST(total() == loki.stored());
  BOOST_TEST(loki.stored() == static_cast<std::size_t>(kLines));
}

BOOST_AUTO_TEST_SUITE_END()
