// Fleet mode's ownership: every service owned by exactly one member, spread
// evenly, few moved when the fleet grows; the configuration that says who is who.
#include <boost/test/unit_test.hpp>
#include <map>
#include <set>
#include <string>

#include "exporter/config/config.h"
#include "exporter/loki/plan.h"
#include "test/support/files.h"

using lle::config::ConfigError;
using lle::config::fleet_owner;

namespace {

std::string id(int i) { return "svc-" + std::to_string(i); }

std::string services_yaml(int n) {
  std::string s = "services:\n";
  for (int i = 0; i < n; ++i)
    s += "  - id: " + id(i) + "\n    team: t" + std::to_string(i % 4) + "\n    owners: [o" +
         std::to_string(i % 7) + "]\n    match: {field: " + id(i) + "}\n";
  return s;
}

struct Fleet {
  lle::test::TempDir dir;
  Fleet() { dir.write("services.yaml", services_yaml(60)); }
  lle::config::Config load(const std::string& exporter, lle::config::Overrides who = {}) {
    return lle::config::load(
        dir.write("exporter.yaml", "services_file: services.yaml\n" + exporter), who);
  }
  std::string error_of(const std::string& exporter, lle::config::Overrides who = {}) {
    try {
      load(exporter, who);
    } catch (const ConfigError& e) {
      return e.what();
    }
    return "";
  }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(fleet)

BOOST_AUTO_TEST_CASE(services_spread_evenly_over_the_members) {
  constexpr int kServices = 6000;
  for (const int members : {2, 3, 5, 8}) {
    std::map<int, int> owned;
    for (int i = 0; i < kServices; ++i) {
      const int m = fleet_owner(id(i), members);
      BOOST_REQUIRE(m >= 0);
      BOOST_REQUIRE(m < members);
      ++owned[m];
    }
    BOOST_TEST(owned.size() == static_cast<std::size_t>(members));
    // Within 10% of an even share (binomial: about 5 standard deviations at 2).
    for (const auto& [m, n] : owned) {
      BOOST_TEST(std::abs(n - kServices / members) < kServices / members / 10,
                 "member " << m << " of " << members << " owns " << n);
    }
  }
}

BOOST_AUTO_TEST_CASE(a_new_member_takes_about_its_share_and_nothing_else_moves) {
  constexpr int kServices = 6000;
  for (const int members : {1, 2, 3, 4, 9}) {
    int moved = 0;
    for (int i = 0; i < kServices; ++i) {
      const int before = fleet_owner(id(i), members);
      const int after = fleet_owner(id(i), members + 1);
      if (before == after) continue;
      ++moved;
      BOOST_TEST(after == members, id(i) << " moved between old members");
    }
    const double share = static_cast<double>(moved) / kServices;
    BOOST_TEST(std::abs(share - 1.0 / (members + 1)) < 0.1 / (members + 1),
               "going to " << members + 1 << " members moved " << share);
  }
}

BOOST_AUTO_TEST_CASE(the_owner_depends_on_the_id_only) {
  BOOST_TEST(fleet_owner("checkout", 1) == 0);
  BOOST_TEST(fleet_owner("checkout", 7) == fleet_owner(std::string("check") + "out", 7));
  // Not the order of services.yaml, nor the length: neighbours differ.
  std::set<int> owners;
  for (int i = 0; i < 20; ++i) owners.insert(fleet_owner(id(i), 4));
  BOOST_TEST(owners.size() == 4u);
}

BOOST_AUTO_TEST_CASE(a_pod_name_ends_in_its_ordinal) {
  BOOST_TEST(lle::config::pod_ordinal("lle-3").value_or(-1) == 3);
  BOOST_TEST(lle::config::pod_ordinal("lle-0").value_or(-1) == 0);
  BOOST_TEST(lle::config::pod_ordinal("loki-latency-exporter-12").value_or(-1) == 12);
  for (const char* none : {"lle", "lle-", "-3", "lle-03", "lle-x", "lle-3a", ""})
    BOOST_TEST(!lle::config::pod_ordinal(none).has_value(), none);
}

BOOST_FIXTURE_TEST_CASE(each_member_loads_its_services_and_knows_the_others, Fleet) {
  std::set<std::string> seen;
  for (int m = 0; m < 3; ++m) {
    const auto c = load("fleet: {members: 3, member: " + std::to_string(m) + "}\n");
    BOOST_TEST(c.fleet.members == 3);
    BOOST_TEST(c.fleet.member == m);
    BOOST_TEST(c.services.size() + c.fleet.elsewhere.size() == 60u);
    for (const auto& s : c.services) {
      BOOST_TEST(fleet_owner(s.info.id, 3) == m);
      BOOST_TEST(seen.insert(s.info.id).second, s.info.id << " owned twice");
      BOOST_TEST(!lle::config::owned_elsewhere(c, s.info.id).has_value());
    }
    for (const auto& s : c.fleet.elsewhere)
      BOOST_TEST(lle::config::owned_elsewhere(c, s.info.id).value_or(-1) ==
                 fleet_owner(s.info.id, 3));
    BOOST_TEST(!lle::config::owned_elsewhere(c, "nobody").has_value());
  }
  BOOST_TEST(seen.size() == 60u);
  // The flag wins over the key; without a fleet everything is member 0's.
  BOOST_TEST(load("fleet: {members: 3, member: 0}\n", {2, "", false}).fleet.member == 2);
  const auto single = load("");
  BOOST_TEST(single.fleet.members == 1);
  BOOST_TEST(single.services.size() == 60u);
  // Rules and offline checks need no member: 0 when none is given.
  BOOST_TEST(load("fleet: {members: 3}\n", {std::nullopt, "", true}).fleet.member == 0);
}

BOOST_FIXTURE_TEST_CASE(a_bad_fleet_is_an_error_naming_the_key, Fleet) {
  BOOST_TEST(error_of("fleet: {members: 3, member: 3}\n").find("fleet.member") !=
             std::string::npos);
  BOOST_TEST(error_of("fleet: {members: 0}\n").find("fleet.members") != std::string::npos);
  BOOST_TEST(error_of("fleet: {members: 2, shard: 1}\n").find("fleet.shard: unknown key") !=
             std::string::npos);
  const auto flag = error_of("fleet: {members: 2}\n", {5, "", false});
  BOOST_TEST(flag.find("fleet.member: --fleet-member 5: expected a member from 0 to 1") !=
                 std::string::npos,
             flag);
  BOOST_TEST(error_of("", {1, "", false}).find("fleet.member") != std::string::npos);
}

// After 3 -> 4 members, member 0 keeps for its grace period the services its
// snapshot held that member 3 owns now: served as its own, marked leaving; nothing
// it never held, and nothing another old member owns.
BOOST_FIXTURE_TEST_CASE(a_member_keeps_what_it_held_and_lost_for_the_grace, Fleet) {
  const auto before = load("fleet: {members: 3, member: 0}\n");
  std::vector<std::string> held;
  for (const auto& s : before.services) held.push_back(s.info.id);
  held.push_back("removed");  // no longer in services.yaml: ignored
  auto c = load("fleet: {members: 4, member: 0, handoff_grace: 30m}\n");
  BOOST_TEST(c.fleet.handoff_grace_ns == 1800'000'000'000);
  const std::size_t own = c.services.size();
  const auto kept = lle::config::keep_leaving(c, held);
  BOOST_TEST_REQUIRE(!kept.empty());
  BOOST_TEST(c.services.size() == own + kept.size());
  BOOST_TEST(c.services.size() + c.fleet.elsewhere.size() == 60u);
  for (const auto& s : c.services) {
    const int now = fleet_owner(s.info.id, 4);
    BOOST_TEST(s.info.leaving == (now != 0), s.info.id);
    if (s.info.leaving) {
      BOOST_TEST(fleet_owner(s.info.id, 3) == 0, s.info.id);
      BOOST_TEST(now == 3, s.info.id);  // only the new member gains
    }
  }
  for (const auto& s : c.fleet.elsewhere) BOOST_TEST(!s.info.leaving);
  // Nothing held: nothing kept; the default grace is 6 hours, 0 turns it off.
  auto fresh = load("fleet: {members: 4, member: 0}\n");
  BOOST_TEST(lle::config::keep_leaving(fresh, {}).empty());
  BOOST_TEST(fresh.fleet.handoff_grace_ns == 6 * 3600'000'000'000);
  BOOST_TEST(
      load("fleet: {members: 4, handoff_grace: 0s}\n", {0, "", false}).fleet.handoff_grace_ns == 0);
  BOOST_TEST(error_of("fleet: {members: 4, member: 0, handoff_grace: 15d}\n")
                 .find("fleet.handoff_grace") != std::string::npos);
}

// Where the other members answer /-/fleet: a URL template, "{member}" standing for
// the member's number; checked at load, its key named.
BOOST_FIXTURE_TEST_CASE(the_peers_are_found_by_a_url_template, Fleet) {
  const auto c = load(
      "fleet: {members: 12, member: 0, peer_url: 'http://lle-{member}.lle:9464/x{member}', "
      "peer_check_interval: 5s}\n");
  BOOST_TEST(lle::config::peer_url(c.fleet.peer_url, 11) == "http://lle-11.lle:9464/x11");
  BOOST_TEST(lle::config::peer_url(c.fleet.peer_url, 0) == "http://lle-0.lle:9464/x0");
  BOOST_TEST(lle::config::peer_url("http://{member}{member}", 7) == "http://77");
  BOOST_TEST(c.fleet.peer_check_interval_ns == 5'000'000'000);
  const auto plain = load("fleet: {members: 2, member: 0}\n");
  BOOST_TEST(plain.fleet.peer_url.empty());  // none: only the grace period's end
  BOOST_TEST(plain.fleet.peer_check_interval_ns == 30'000'000'000);
  for (const char* bad : {"https://lle-{member}:9464", "lle-{member}:9464", "http://", "x"}) {
    const auto e =
        error_of("fleet: {members: 2, member: 0, peer_url: '" + std::string(bad) + "'}\n");
    BOOST_TEST(e.find("fleet.peer_url") != std::string::npos, bad << ": " << e);
    BOOST_TEST(e.find("http://") != std::string::npos, e);
  }
  BOOST_TEST(error_of("fleet: {members: 2, member: 0, peer_check_interval: 0s}\n")
                 .find("fleet.peer_check_interval") != std::string::npos);
  // Members ask each other without credentials: a port behind basic auth could not answer.
  dir.write("web.yml",
            "basic_auth_users: {prometheus: '$2y$10$QOauhQNbBCuQDKes6eFzPeMqBSjb7Mr5DUmpZ/"
            "VcEd00UAV/LDeSi'}\n");
  const std::string web = "http: {web_config_file: web.yml}\n";
  BOOST_TEST(load(web + "fleet: {members: 2, member: 0}\n").http.web.basic_auth_users.size() == 1u);
  const auto e =
      error_of(web + "fleet: {members: 2, member: 0, peer_url: 'http://lle-{member}:9464'}\n");
  BOOST_TEST(e.find("fleet.peer_url") != std::string::npos, e);
  BOOST_TEST(e.find("basic auth") != std::string::npos, e);
}

BOOST_FIXTURE_TEST_CASE(the_fleets_tails_together_stay_within_the_tenants_limit, Fleet) {
  const std::string loki =
      "input: {loki: {url: 'http://127.0.0.1:1', selector: '{job=\"x\"}', max_tails: 4, "
      "shards: 1}}\n";
  // Field-matched services: one tail per member.
  BOOST_TEST(lle::loki::fleet_tails(load(loki + "fleet: {members: 3, member: 0}\n")) == 3);
  const auto over = load(loki + "fleet: {members: 3, member: 0, max_tails_per_tenant: 2}\n");
  try {
    lle::loki::fleet_tails(over);
    BOOST_FAIL("3 tails passed a limit of 2");
  } catch (const ConfigError& e) {
    const std::string what = e.what();
    BOOST_TEST(what.find("fleet.max_tails_per_tenant") != std::string::npos, what);
    BOOST_TEST(what.find("would open 3 tails") != std::string::npos, what);
    BOOST_TEST(what.find("poll") != std::string::npos, what);
  }
  // Polls open no tails.
  const auto poll = load(
      "input: {loki: {url: 'http://127.0.0.1:1', selector: '{job=\"x\"}', mode: poll}}\n"
      "fleet: {members: 3, member: 0, max_tails_per_tenant: 2}\n");
  BOOST_TEST(lle::loki::fleet_tails(poll) == 0);
}

BOOST_AUTO_TEST_SUITE_END()
