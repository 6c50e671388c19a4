// Fleet mode on the ingest path: three members fed the same lines together count
// each line exactly once, as one exporter would, and none counts another's.
#include <boost/test/unit_test.hpp>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "exporter/ingest/pipeline.h"
#include "test/unit/ingest/mixed_lines.h"

namespace {

struct Counted {
  std::uint64_t accepted = 0, rejected = 0, slow = 0;
  bool operator==(const Counted&) const = default;
};

std::uint64_t sum(const lle::core::RejectCounts& r) {
  std::uint64_t n = 0;
  for (const auto v : r) n += v;
  return n;
}

// What a pipeline counted, by service.
std::map<std::string, Counted> by_service(const lle::window::Snapshot& s) {
  std::map<std::string, Counted> out;
  for (std::size_t i = 0; i < s.views.size(); ++i) {
    const auto& v = s.views[i];
    std::uint64_t slow = 0;
    for (const auto n : v.slow_total) slow += n;
    out[(*s.services)[i].id] = {v.accepted_total, sum(v.rejects), slow};
  }
  return out;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(ingest_fleet)

BOOST_AUTO_TEST_CASE(members_count_every_line_once_and_as_one_exporter_does) {
  auto lines = lle::test::mixed_lines(6000);
  // Lines no service can be told for: unparseable, and of no known service.
  for (std::size_t i = 0; i < lines.size(); i += 97) lines[i].text = "{\"service\":";
  const lle::test::FortyServices one;
  std::vector<std::unique_ptr<lle::test::FortyServices>> configs;
  std::vector<std::unique_ptr<lle::ingest::Pipeline>> members;
  for (int m = 0; m < 3; ++m) {
    configs.push_back(std::make_unique<lle::test::FortyServices>(
        "fleet: {members: 3, member: " + std::to_string(m) + "}\n"));
    members.push_back(std::make_unique<lle::ingest::Pipeline>(
        configs.back()->cfg, lle::metrics::ExporterStatus{"test", "", 0, {}, {}, {}, {}}));
  }
  lle::ingest::Pipeline single(one.cfg, {"test", "", 0, {}, {}, {}, {}});
  for (std::size_t i = 0; i < lines.size(); ++i) {
    const lle::core::Entry e{{}, lines[i].ts, lines[i].text};
    single.on_entry(e, lines[i].now);
    for (auto& p : members) {  // as the Loki input delivers, and as a replay does
      if (i % 2)
        p->hold_entry(e, lines[i].now);
      else
        p->on_entry(e, lines[i].now);
    }
  }
  const std::int64_t end = lines.back().now;
  const auto whole = single.publish(end);
  const auto expected = by_service(whole->snapshot);
  BOOST_REQUIRE(expected.size() == 40u);

  std::map<std::string, Counted> fleet;
  lle::core::RejectCounts unknown{};
  for (std::size_t m = 0; m < members.size(); ++m) {
    const auto p = members[m]->publish(end);
    const auto& in = p->status.input;
    BOOST_TEST(p->status.fleet.member == static_cast<int>(m));
    BOOST_TEST(p->status.fleet.members == 3);
    BOOST_TEST(in.lines_read == lines.size());
    std::uint64_t counted = sum(p->snapshot.unknown_rejects);
    for (const auto& [id, c] : by_service(p->snapshot)) {
      BOOST_TEST(lle::config::fleet_owner(id, 3) == static_cast<int>(m), id);
      BOOST_TEST(fleet.emplace(id, c).second, id << " counted by two members");
      counted += c.accepted + c.rejected;
    }
    // Every line read is counted here or left to another member, never both.
    BOOST_TEST(counted + in.lines_elsewhere == in.lines_read);
    BOOST_TEST(in.lines_elsewhere > 0u);
    // Lines no service claims are member 0's.
    if (m > 0) BOOST_TEST(sum(p->snapshot.unknown_rejects) == 0u);
    for (std::size_t r = 0; r < unknown.size(); ++r) unknown[r] += p->snapshot.unknown_rejects[r];
  }
  BOOST_TEST(fleet == expected);
  BOOST_TEST(unknown == whole->snapshot.unknown_rejects);
  BOOST_TEST(sum(unknown) > 0u);
}

BOOST_AUTO_TEST_SUITE_END()
