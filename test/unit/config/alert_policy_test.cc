#include "exporter/config/alert_policy.h"

#include <boost/test/unit_test.hpp>
#include <string>

#include "exporter/config/config.h"
#include "test/support/files.h"

using lle::config::ConfigError;

namespace {

const char* kServices = R"(services:
  - {id: checkout, team: payments, owners: [alice]}
  - {id: auth, team: identity, owners: [bob]}
)";
const char* kLinks = "links: {runbook: 'https://r/#{alert}', dashboard: 'https://d?s={service}'}\n";

struct Fixture {
  lle::test::TempDir dir;
  Fixture() {
    dir.write("services.yaml", kServices);
    dir.write("exporter.yaml",
              "services_file: services.yaml\nalerting: {policy_file: policy.yaml}\n");
  }
  lle::config::Config load(const std::string& policy) {
    dir.write("policy.yaml", policy);
    return lle::config::load((dir.path() / "exporter.yaml").string());
  }
  std::string error_of(const std::string& policy) {
    try {
      load(policy);
    } catch (const ConfigError& e) {
      return e.what();
    }
    return "";
  }
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(config_alert_policy, Fixture)

BOOST_AUTO_TEST_CASE(defaults_apply_and_overrides_replace_them_per_service) {
  const auto c = load(std::string(kLinks) + R"(defaults:
  latency: {threshold_ms: 300, for: 10m, severity: high}
  regression: {factor: 1.5, for: 30m, severity: medium}
services:
  checkout: {threshold_ms: 250, for: 5m, severity: critical, regression_factor: 2}
)");
  BOOST_TEST_REQUIRE(c.alert_policy.has_value());
  const auto checkout = c.alert_policy->for_service("checkout");
  BOOST_TEST(checkout.latency.threshold_ms == 250);
  BOOST_TEST(checkout.latency.for_ns == 300'000'000'000LL);
  BOOST_TEST(checkout.latency.severity == "critical");
  BOOST_TEST(checkout.regression.factor == 2);
  BOOST_TEST(checkout.threshold_overridden);
  const auto auth = c.alert_policy->for_service("auth");
  BOOST_TEST(auth.latency.threshold_ms == 300);
  BOOST_TEST(auth.latency.for_ns == 600'000'000'000LL);
  BOOST_TEST(auth.latency.severity == "high");
  BOOST_TEST(!auth.threshold_overridden);
  BOOST_TEST(c.alert_policy->file == (dir.path() / "policy.yaml").string());
}

BOOST_AUTO_TEST_CASE(thresholds_at_the_bounds_are_valid) {
  const auto c = load(std::string(kLinks) +
                      "defaults: {latency: {threshold_ms: 50}}\n"
                      "services: {auth: {threshold_ms: 1000}}\n");
  BOOST_TEST(c.alert_policy->for_service("checkout").latency.threshold_ms == 50);
  BOOST_TEST(c.alert_policy->for_service("auth").latency.threshold_ms == 1000);
}

BOOST_AUTO_TEST_CASE(errors_name_the_service_the_bound_and_where_it_is) {
  struct Case {
    std::string policy, expected;
  };
  const Case cases[] = {
      {"services: {auth: {threshold_ms: 1001}}\n",
       "policy.yaml:2: services.auth.threshold_ms: threshold of service 'auth' must lie within "
       "50-1000 ms, got 1001 (above the upper bound of 1000)"},
      {"services: {checkout: {threshold_ms: 49.5}}\n",
       "services.checkout.threshold_ms: threshold of service 'checkout' must lie within 50-1000 "
       "ms, got 49.5 (below the lower bound of 50)"},
      {"defaults: {latency: {threshold_ms: 0}}\n",
       "defaults.latency.threshold_ms: threshold of the default must lie within 50-1000 ms"},
      {"services: {checkout: {threshold_ms: fast}}\n", "expected a number, got 'fast'"},
      {"services: {billing: {threshold_ms: 100}}\n",
       "services.billing: unknown service (not in the services file)"},
      {"services: {auth: {severity: page}}\n",
       "services.auth.severity: expected one of: critical, high, medium, low; got 'page'"},
      {"services: {auth: {treshold_ms: 100}}\n", "services.auth.treshold_ms: unknown key"},
      {"defaults: {regression: {factor: 1}}\n", "defaults.regression.factor: expected a number"},
      {"defaults: {latency: {for: soon}}\n", "defaults.latency.for: expected a duration"},
  };
  for (const auto& c : cases) {
    const std::string error = error_of(std::string(kLinks) + c.policy);
    BOOST_TEST(error.find(c.expected) != std::string::npos, c.policy << " -> " << error);
  }
  BOOST_TEST(error_of("defaults: {}\n").find("links: missing required key") != std::string::npos);
  dir.write("exporter.yaml", "services_file: services.yaml\nalerting: {policy_file: nope.yaml}\n");
  try {
    lle::config::load((dir.path() / "exporter.yaml").string());
    BOOST_FAIL("a missing policy file must fail");
  } catch (const ConfigError& e) {
    BOOST_TEST(std::string(e.what()).find("nope.yaml: cannot read file") != std::string::npos);
  }
}

BOOST_AUTO_TEST_CASE(slos_come_from_the_service_over_its_team_over_the_defaults) {
  dir.write("services.yaml", std::string(kServices) +
                                 "  - {id: refunds, team: payments, owners: [alice]}\n"
                                 "  - {id: login, team: identity, owners: [bob]}\n");
  const auto c = load(std::string(kLinks) + R"(defaults:
  latency: {threshold_ms: 300}
  slo: {period: 28d, min_requests: 50, ticket_severity: medium}
teams:
  payments: {slo: {objective: 0.99}, alert_on: slo}
services:
  checkout: {threshold_ms: 250}
  refunds: {slo: {objective: 0.995, threshold_ms: 400, period: 7d}, alert_on: both}
  login: {threshold_ms: 200, slo: {objective: 0.999}}
)");
  const auto& p = *c.alert_policy;
  // The team's objective, the service's alert threshold, the default period.
  const auto checkout = p.for_service("checkout");
  BOOST_TEST_REQUIRE(checkout.slo.has_value());
  BOOST_TEST(checkout.slo->objective == 0.99);
  BOOST_TEST(checkout.slo->threshold_ms == 250);
  BOOST_TEST(checkout.slo->period_ns == 28 * lle::config::kDayNs);
  BOOST_TEST(!checkout.threshold_alert);
  BOOST_TEST(checkout.slo_alerts);
  const auto refunds = p.for_service("refunds");
  BOOST_TEST(refunds.slo->objective == 0.995);
  BOOST_TEST(refunds.slo->threshold_ms == 400);
  BOOST_TEST(refunds.slo->period_ns == 7 * lle::config::kDayNs);
  BOOST_TEST((refunds.threshold_alert && refunds.slo_alerts));
  // A service's own SLO, outside any team default: both alerts by default.
  const auto login = p.for_service("login");
  BOOST_TEST(login.slo->threshold_ms == 200);
  BOOST_TEST((login.threshold_alert && login.slo_alerts));
  // No objective anywhere: no SLO, threshold alerts only.
  const auto auth = p.for_service("auth");
  BOOST_TEST(!auth.slo.has_value());
  BOOST_TEST((auth.threshold_alert && !auth.slo_alerts));
  BOOST_TEST(p.slo_alerting.min_requests == 50);
  BOOST_TEST(p.slo_alerting.page_severity == "critical");
  BOOST_TEST(p.slo_alerting.ticket_severity == "medium");

  // `slo: off` takes a service out of its team's SLO; an API threshold change
  // does not move an SLO's threshold (it was resolved from the policy file).
  const auto off = load(std::string(kLinks) + R"(teams: {payments: {slo: {objective: 0.99}}}
services: {checkout: {slo: off}}
)");
  BOOST_TEST(!off.alert_policy->for_service("checkout").slo.has_value());
  auto moved = c.alert_policy.value();
  moved.services["checkout"].threshold_ms = 500;
  BOOST_TEST(moved.for_service("checkout").latency.threshold_ms == 500);
  BOOST_TEST(moved.for_service("checkout").slo->threshold_ms == 250);
}

BOOST_AUTO_TEST_CASE(slo_errors_name_the_key_and_the_service) {
  struct Case {
    std::string policy, expected;
  };
  const Case cases[] = {
      {"services: {auth: {slo: {objective: 1}}}\n",
       "services.auth.slo.objective: expected a number from 0.500000 to 0.999990, got 1"},
      {"services: {auth: {slo: {objective: 99}}}\n", "services.auth.slo.objective: expected"},
      {"services: {auth: {slo: {threshold_ms: 300}}}\n",
       "services.auth.slo: objective: missing: an SLO needs an objective"},
      {"services: {auth: {slo: {objective: 0.99, threshold_ms: 20}}}\n",
       "services.auth.slo.threshold_ms: threshold of the SLO of service 'auth' must lie within "
       "50-1000 ms, got 20"},
      {"services: {auth: {slo: {objective: 0.99, period: 30}}}\n",
       "services.auth.slo.period: expected whole days such as 30d from 1d to 90d, got '30'"},
      {"services: {auth: {slo: {objective: 0.99, period: 91d}}}\n", "from 1d to 90d, got '91d'"},
      {"services: {auth: {slo: {objective: 0.99, min_requests: 5}}}\n",
       "services.auth.slo.min_requests: unknown key (expected one of: objective, threshold_ms, "
       "period)"},
      {"services: {auth: {slo: yes}}\n", "services.auth.slo: expected a mapping, or off"},
      {"services: {auth: {alert_on: slo}}\n",
       "services.auth.alert_on: service 'auth' has no SLO to alert on"},
      {"services: {auth: {alert_on: never}}\n",
       "services.auth.alert_on: expected one of: threshold, slo, both; got 'never'"},
      {"teams: {billing: {slo: {objective: 0.99}}}\n",
       "teams.billing: unknown team (no service in the services file belongs to it)"},
      {"teams: {payments: {threshold_ms: 300}}\n", "teams.payments.threshold_ms: unknown key"},
      {"defaults: {slo: {page_severity: urgent}}\n",
       "defaults.slo.page_severity: expected one of: critical, high, medium, low; got 'urgent'"},
  };
  for (const auto& c : cases) {
    const std::string error = error_of(std::string(kLinks) + c.policy);
    BOOST_TEST(error.find(c.expected) != std::string::npos, c.policy << " -> " << error);
  }
}

BOOST_AUTO_TEST_CASE(the_bundled_policy_is_valid_for_the_bundled_services) {
  const auto c =
      lle::config::load((lle::test::source_dir() / "deploy/config/exporter.yaml").string());
  BOOST_TEST_REQUIRE(c.alert_policy.has_value());
  BOOST_TEST(c.alert_policy->for_service("payments-api").threshold_overridden);
}

BOOST_AUTO_TEST_SUITE_END()
