// The README's quickstart, deploy/dev/local-stack.sh, from the bundled sample to a
// page: the real exporter, Prometheus and Alertmanager with the shipped
// configuration, and the local PagerDuty stand-in. The bundled policy holds an alert
// for 5 minutes; here the same policy holds it for 2 s, so the run stays bounded.
#include <sys/stat.h>

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <sstream>
#include <string>

#include "test/support/files.h"
#include "test/support/process.h"

namespace json = boost::json;
using lle::test::read_file;

BOOST_AUTO_TEST_SUITE(integration_local_stack)

BOOST_AUTO_TEST_CASE(the_quickstart_pages_payments_for_the_sample_regression) {
  lle::test::TempDir dir;
  const auto root = lle::test::source_dir();
  std::string policy = read_file(root / "rules/alert-rules.yaml");
  for (std::size_t at; (at = policy.find("for: 5m")) != std::string::npos;)
    policy.replace(at, 7, "for: 2s");
  const std::string policy_file = dir.write("policy.yaml", policy);
  const std::string stack = (dir.path() / "stack").string();
  ::setenv("LLE_STACK_DIR", stack.c_str(), 1);
  for (const char* var :
       {"LLE_EXPORTER_PORT", "LLE_PROMETHEUS_PORT", "LLE_ALERTMANAGER_PORT", "LLE_PAGERDUTY_PORT"})
    ::setenv(var, std::to_string(lle::test::free_port()).c_str(), 1);
  ::unsetenv("PAGERDUTY_ROUTING_KEY");

  const std::string out = (dir.path() / "out").string(), err = (dir.path() / "err").string();
  lle::test::Process script({(root / "deploy/dev/local-stack.sh").string(), "--no-build",
                             "--policy", policy_file, "--until-paged", "90"},
                            "/dev/null", out, err);
  const auto code = script.wait(std::chrono::seconds(120));
  BOOST_TEST_REQUIRE(code.has_value(), "the script did not stop by itself");
  BOOST_TEST_REQUIRE(*code == 0, read_file(out) << read_file(err));

  // The first page is payments-api's, to team payments' key, as the policy says.
  std::istringstream lines(read_file(stack + "/pagerduty-events.jsonl"));
  std::string first;
  std::getline(lines, first);
  const auto event = json::parse(first).as_object();
  BOOST_TEST(event.at("event_action").as_string() == "trigger");
  BOOST_TEST(event.at("routing_key").as_string() == "local-payments");
  const auto& payload = event.at("payload").as_object();
  BOOST_TEST(payload.at("severity").as_string() == "critical");
  BOOST_TEST(payload.at("custom_details").as_object().at("service").as_string() == "payments-api");
  const std::string summary(payload.at("summary").as_string());
  BOOST_TEST(summary.find("threshold of 250 ms") != std::string::npos, summary);

  // Keys are files only the owner reads, never in Alertmanager's configuration; and
  // everything the script started has stopped with it.
  struct stat st {};
  BOOST_TEST_REQUIRE(::stat((stack + "/alertmanager/secrets/pagerduty/payments").c_str(), &st) ==
                     0);
  BOOST_TEST((st.st_mode & 0777) == 0600u);
  BOOST_TEST(read_file(stack + "/alertmanager/alertmanager.yml").find("local-payments") ==
             std::string::npos);
  for (const char* var : {"LLE_EXPORTER_PORT", "LLE_PROMETHEUS_PORT", "LLE_ALERTMANAGER_PORT"})
    BOOST_TEST(!lle::test::wait_ready(std::atoi(std::getenv(var)), std::chrono::milliseconds(0)),
               var);
}

BOOST_AUTO_TEST_CASE(a_folder_it_did_not_make_is_never_removed) {
  lle::test::TempDir dir;
  std::filesystem::create_directories(dir.path() / "mine");
  const std::string keep = dir.write("mine/keep.txt", "precious");
  ::setenv("LLE_STACK_DIR", (dir.path() / "mine").c_str(), 1);
  const std::string out = (dir.path() / "out").string(), err = (dir.path() / "err").string();
  BOOST_TEST(lle::test::run_to_exit(
                 {(lle::test::source_dir() / "deploy/dev/local-stack.sh").string(), "--no-build"},
                 out, err) == 2);
  BOOST_TEST(read_file(err).find("is not empty and not an earlier stack") != std::string::npos,
             read_file(err));
  BOOST_TEST(read_file(keep) == "precious");
}

BOOST_AUTO_TEST_CASE(an_unknown_option_is_refused_with_the_usage) {
  lle::test::TempDir dir;
  const std::string out = (dir.path() / "out").string(), err = (dir.path() / "err").string();
  BOOST_TEST(lle::test::run_to_exit(
                 {(lle::test::source_dir() / "deploy/dev/local-stack.sh").string(), "--no-buld"},
                 out, err) == 2);
  BOOST_TEST(read_file(err).find("unknown option '--no-buld'") != std::string::npos);
  BOOST_TEST(read_file(err).find("usage: deploy/dev/local-stack.sh") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
