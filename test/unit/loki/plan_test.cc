#include "exporter/loki/plan.h"

#include <boost/test/unit_test.hpp>

using lle::config::Config;
using lle::config::ServiceConfig;

namespace {

ServiceConfig service(const std::string& id,
                      std::vector<std::pair<std::string, std::string>> labels) {
  ServiceConfig s;
  s.info.id = id;
  s.match_labels = std::move(labels);
  return s;
}

Config config(int shards, int max_tails) {
  Config c;
  c.exporter_file = "exporter.yaml";
  c.loki.url = "http://loki:3100";
  c.loki.selector = R"({namespace="shop"})";
  c.loki.shards = shards;
  c.loki.max_tails = max_tails;
  c.services = {service("a", {{"app", "a"}}), service("b", {{"app", "b.x"}}),
                service("c", {{"app", "c"}}), service("d", {}),
                service("e", {{"app", "e"}, {"env", "prod"}})};
  return c;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(loki_plan)

BOOST_AUTO_TEST_CASE(one_selector_per_label_key_per_multi_label_service_and_for_field_services) {
  const auto p = lle::loki::plan_shards(config(1, 4));
  BOOST_TEST_REQUIRE(p.size() == 3u);
  BOOST_TEST(p[0].selector == R"({app=~"a|b\\.x|c"})");
  BOOST_TEST((p[0].services == std::vector<int>{0, 1, 2}));
  BOOST_TEST(p[1].selector == R"({app="e",env="prod"})");
  BOOST_TEST(p[2].selector == R"({namespace="shop"})");
  BOOST_TEST(p[2].field_matched);
  BOOST_TEST((p[2].services == std::vector<int>{3}));
}

BOOST_AUTO_TEST_CASE(more_shards_split_the_largest_alternation_and_every_service_stays_once) {
  const auto p = lle::loki::plan_shards(config(4, 4));
  BOOST_TEST_REQUIRE(p.size() == 4u);
  BOOST_TEST(p[0].selector == R"({app=~"a|b\\.x"})");
  BOOST_TEST(p[3].selector == R"({app="c"})");
  std::vector<int> all;
  for (const auto& s : p) all.insert(all.end(), s.services.begin(), s.services.end());
  std::sort(all.begin(), all.end());
  BOOST_TEST((all == std::vector<int>{0, 1, 2, 3, 4}));
}

BOOST_AUTO_TEST_CASE(never_more_tails_than_the_budget) {
  BOOST_CHECK_EXCEPTION(lle::loki::plan_shards(config(1, 2)), lle::config::ConfigError,
                        [](const lle::config::ConfigError& e) {
                          return std::string(e.what()).find("input.loki.max_tails") !=
                                 std::string::npos;
                        });
  BOOST_TEST(lle::loki::plan_shards(config(10, 10)).size() == 5u);  // 3 values split at most
}

// A fleet handoff backfills only the services a member gained: for a shard of
// one label, a selector of theirs; the others' shards have no narrower one.
BOOST_AUTO_TEST_CASE(some_of_a_shards_services_get_a_selector_of_their_own) {
  const auto p = lle::loki::plan_shards(config(1, 4));
  BOOST_TEST_REQUIRE(p.size() == 3u);
  BOOST_TEST((p[0].ids == std::vector<std::string>{"a", "b", "c"}));
  BOOST_TEST(lle::loki::selector_of(p[0], {1}) == R"({app="b.x"})");
  BOOST_TEST(lle::loki::selector_of(p[0], {0, 2}) == R"({app=~"a|c"})");
  BOOST_TEST(lle::loki::selector_of(p[0], {}) == p[0].selector);
  BOOST_TEST(lle::loki::selector_of(p[1], {0}) == p[1].selector);
  BOOST_TEST(lle::loki::selector_of(p[2], {0}) == p[2].selector);
}

BOOST_AUTO_TEST_SUITE_END()
