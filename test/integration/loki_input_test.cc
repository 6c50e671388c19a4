// The real binary against the Loki-compatible test server: under every fault
// the tail meets, each stored line is counted exactly once (lines stored ==
// lines read == lines accepted, nothing in excess). Waits are bounded and wait
// for conditions (tails reopened, counts reached), never for time to pass.
#include <boost/test/unit_test.hpp>
#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <string>

#include "test/support/exporter_harness.h"

using namespace std::chrono_literals;
using namespace lle::test;

namespace {

// Waits for a snapshot taken after now (every line so far counted in it), pushes
// 150 more lines and kills the exporter with SIGKILL: they are lost from its state.
void kill_after_next_snapshot(lle::test::FakeLoki& loki, lle::test::Exporter& e,
                              const std::filesystem::path& file) {
  const auto counted = std::filesystem::file_time_type::clock::now();
  BOOST_TEST_REQUIRE(lle::test::wait_until(
      [&] {
        return std::filesystem::exists(file) && std::filesystem::last_write_time(file) > counted;
      },
      20s));
  lle::test::push(loki, 150);
  e.process->signal(SIGKILL);
  BOOST_TEST_REQUIRE(e.process->wait(10s).has_value());
}

// One exporter's state (`top`, the state keys it returns, in `state`) after it
// counted 100 lines of each of the three services and stopped: its last snapshot
// holds every line.
std::string saved_alone(FakeLoki& loki, const lle::test::TempDir& state) {
  const std::string top = "state:\n  dir: " + state.path().string() + "\n  interval: 1s\n";
  Exporter alone(loki, "", 3, "", top, "6s");
  push(loki, 300);
  alone.expect_exact(loki);
  alone.process->signal(SIGTERM);
  BOOST_TEST_REQUIRE(alone.process->wait(20s).value_or(-1) == 0, alone.log());
  return top;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(integration_loki_input)

BOOST_AUTO_TEST_CASE(tails_every_shard_and_counts_each_line_once) {
  FakeLoki loki({});
  Exporter e(loki, "");
  BOOST_TEST_REQUIRE(reopened(loki, 2), e.log());  // checkout, search and the field shard
  push(loki, 300);
  e.expect_exact(loki);
  const auto s = e.scrape();
  BOOST_TEST(metric(s, "loki_latency_loki_connected") == 3);
  BOOST_TEST(metric(s, "loki_latency_requests_total", "service=\"payments\"") == 100);
}

BOOST_AUTO_TEST_CASE(max_duration_closes_lose_nothing) {
  FakeLoki::Options o;
  o.max_duration_s = 0.3;
  FakeLoki loki(o);
  Exporter e(loki, "");
  for (int round = 0; round < 4; ++round) {
    const auto opened = loki.tails_opened();
    push(loki, 200);
    BOOST_TEST_REQUIRE(reopened(loki, opened + 2), e.log());
  }
  e.expect_exact(loki);
  // Loki drops the connection right after its close frame: the reason is the frame's.
  const auto s = e.scrape();
  BOOST_TEST(metric(s, "loki_latency_loki_reconnects_total", "max_duration") >= 3);
  BOOST_TEST(metric(s, "loki_latency_loki_reconnects_total", "reason=\"error\"") == 0);
}

BOOST_AUTO_TEST_CASE(abrupt_drops_even_mid_message_lose_nothing) {
  FakeLoki loki({});
  Exporter e(loki, "");
  BOOST_TEST_REQUIRE(reopened(loki, 2), e.log());
  for (bool mid : {true, false, true}) {
    push(loki, 150);
    const auto opened = loki.tails_opened();
    loki.drop_tails(mid);
    push(loki, 150);  // while the tails are down or coming back
    BOOST_TEST_REQUIRE(reopened(loki, opened + 2), e.log());
  }
  e.expect_exact(loki);
  BOOST_TEST(metric(e.scrape(), "loki_latency_loki_reconnects_total", "dropped") >= 3);
}

BOOST_AUTO_TEST_CASE(a_loki_restart_loses_nothing) {
  FakeLoki loki({});
  Exporter e(loki, "");
  BOOST_TEST_REQUIRE(reopened(loki, 2), e.log());
  push(loki, 200);
  const auto opened = loki.tails_opened();
  loki.stop();
  push(loki, 200);  // ingested by Loki while its queriers restart
  BOOST_TEST_REQUIRE(
      lle::test::wait_until(
          [&] { return metric(e.scrape(), "loki_latency_loki_reconnects_total", "refused") > 0; },
          20s),
      e.log());
  // Readiness never depends on Loki: a sidecar must not take its pod out of service.
  BOOST_TEST(lle::test::http_request(e.port, "GET", "/-/ready").status == 200);
  // Every shard notices on its own: one refused reconnect does not mean all have.
  BOOST_TEST(lle::test::wait_until(
                 [&] { return metric(e.scrape(), "loki_latency_loki_connected") == 0; }, 20s),
             e.log());
  loki.start();
  BOOST_TEST_REQUIRE(reopened(loki, opened + 2), e.log());
  push(loki, 200);
  e.expect_exact(loki);
}

BOOST_AUTO_TEST_CASE(more_lines_than_a_tail_carries_are_repaired_to_the_exact_count) {
  FakeLoki::Options o;
  o.lines_per_second = 300;
  FakeLoki loki(o);
  Exporter e(loki, "", 1);
  BOOST_TEST_REQUIRE(reopened(loki, 1), e.log());
  push(loki, 3000);
  e.expect_exact(loki);
  const auto s = e.scrape();
  BOOST_TEST(loki.lines_dropped_by_cap() > 0u);
  BOOST_TEST(metric(s, "loki_latency_loki_repaired_lines_total") > 0);
  BOOST_TEST(metric(s, "loki_latency_loki_dropped_entries_total") > 0);
  BOOST_TEST(metric(s, "loki_latency_loki_unrepaired_lines_total") == 0);
}

// Lost lines: what Loki counted but the exporter never got, and what came after
// its window had closed.
double lost(const std::string& scrape) {
  return metric(scrape, "loki_latency_loki_unrepaired_lines_total") +
         metric(scrape, "loki_latency_loki_late_lines_total");
}

BOOST_AUTO_TEST_CASE(a_backlog_of_late_lines_is_counted_whichever_path_brings_it) {
  // A shipper's backlog: lines that reach Loki only after their bucket's first
  // check (within the 10 s allowed_lateness), pushed at once, ten times what the
  // tail carries in a second. What the tail drops is fetched by the last check,
  // and must still be counted.
  FakeLoki::Options o;
  o.lines_per_second = 300;
  FakeLoki loki(o);
  Exporter e(loki, "", 1, "", "", "10s");
  BOOST_TEST_REQUIRE(reopened(loki, 1), e.log());
  const std::int64_t from = now_ns(), step = 33'333, last = from + 2999 * step;
  BOOST_TEST_REQUIRE(lle::test::wait_until(
                         [&] {
                           return loki.count_queries_covering(from) > 0 &&
                                  loki.count_queries_covering(last) > 0;
                         },
                         20s),
                     e.log());
  for (int i = 0; i < 3000; ++i) push(loki, 1, 0, from + i * step);
  e.expect_exact(loki);
  const auto s = e.scrape();
  BOOST_TEST(loki.lines_dropped_by_cap() > 0u);
  BOOST_TEST(metric(s, "loki_latency_loki_repaired_lines_total") > 0);
  BOOST_TEST(lost(s) == 0);
}

BOOST_AUTO_TEST_CASE(lines_too_late_for_every_window_are_counted_as_lost) {
  // Stamped a minute before Loki receives them: beyond allowed_lateness (3 s) and
  // the last check. Delivered by the tail, they cannot be counted: they are lost,
  // and said so, never silently dropped.
  FakeLoki loki({});
  Exporter e(loki, "", 1);
  // Both tails (the selector's shard and the field-matched one) before the push:
  // a tail opened later starts after these lines, and they predate the ledger.
  BOOST_TEST_REQUIRE(reopened(loki, 1), e.log());
  push(loki, 60, 0, now_ns() - 60'000'000'000LL);
  push(loki, 90);
  std::string s;
  BOOST_TEST(lle::test::wait_until(
                 [&] {
                   s = e.scrape();
                   return metric(s, "loki_latency_requests_total") + lost(s) >= 150;
                 },
                 30s),
             e.log());
  BOOST_TEST(metric(s, "loki_latency_requests_total") == 90);
  BOOST_TEST(metric(s, "loki_latency_loki_late_lines_total") == 60);
  BOOST_TEST(metric(s, "loki_latency_rejected_lines_total", "too_late") == 60);
}

BOOST_AUTO_TEST_CASE(lines_stored_late_after_a_backfill_are_counted) {
  // Stamped before the exporter started, stored after its backfill finished,
  // within allowed_lateness: no query the backfill made could see them.
  FakeLoki loki({});
  const std::int64_t started = now_ns();
  Exporter e(loki, "", 3, "    backfill: 1m\n    backfill_pages_per_second: 100\n");
  BOOST_TEST_REQUIRE(reopened(loki, 2), e.log());
  BOOST_TEST_REQUIRE(
      lle::test::wait_until(
          [&] { return e.log().find("backfill done shard=2") != std::string::npos; }, 10s),
      e.log());
  push(loki, 90, 0, started - 1'500'000'000LL);
  e.expect_exact(loki);
  BOOST_TEST(lost(e.scrape()) == 0);
}

BOOST_AUTO_TEST_CASE(lines_sharing_one_nanosecond_across_a_reconnect_count_once_each) {
  FakeLoki loki({});
  Exporter e(loki, "");
  BOOST_TEST_REQUIRE(reopened(loki, 2), e.log());
  const std::int64_t ts = now_ns();
  push(loki, 60, ts);
  const auto opened = loki.tails_opened();
  loki.drop_tails(false);
  push(loki, 60, ts);
  BOOST_TEST_REQUIRE(reopened(loki, opened + 2), e.log());
  push(loki, 60, ts);
  e.expect_exact(loki);
}

BOOST_AUTO_TEST_CASE(a_missing_tenant_is_refused_and_retried_without_harm) {
  FakeLoki::Options o;
  o.tenant = "team-a";
  FakeLoki loki(o);
  push(loki, 30);
  Exporter wrong(loki, "");
  BOOST_TEST_REQUIRE(lle::test::wait_until(
      [&] { return metric(wrong.scrape(), "loki_latency_loki_reconnects_total", "http_401") >= 3; },
      20s));
  BOOST_TEST(metric(wrong.scrape(), "loki_latency_lines_read_total") == 0);
  BOOST_TEST(!wrong.process->wait(0ms).has_value());  // alive

  // The lines stored before it started come through its backfill: without one they
  // would be counted only if they fell into the bucket its ledger starts with.
  Exporter right(loki, "team-a", 3, "    backfill: 1m\n");
  push(loki, 30);
  right.expect_exact(loki);
}

BOOST_AUTO_TEST_CASE(declined_upgrades_are_retried) {
  FakeLoki loki({});
  loki.decline_upgrades(4, 400);
  Exporter e(loki, "");
  BOOST_TEST_REQUIRE(reopened(loki, 2), e.log());
  push(loki, 90);
  e.expect_exact(loki);
  BOOST_TEST(metric(e.scrape(), "loki_latency_loki_reconnects_total", "http_400") == 4);
}

BOOST_AUTO_TEST_CASE(garbage_and_truncated_messages_are_counted_and_the_tail_kept) {
  FakeLoki loki({});
  Exporter e(loki, "", 1);
  BOOST_TEST_REQUIRE(reopened(loki, 1), e.log());
  const auto opened = loki.tails_opened();
  loki.send_raw_to_tails("{not json");
  loki.send_raw_to_tails("{\"streams\":[{\"stream\":{\"app\":\"checkout\"},\"values\":[[\"1\",");
  push(loki, 90);
  e.expect_exact(loki);
  const auto s = e.scrape();
  BOOST_TEST(metric(s, "loki_latency_loki_malformed_messages_total") == 4);  // 2 per tail
  BOOST_TEST(loki.tails_opened() == opened);
}

BOOST_AUTO_TEST_CASE(poll_mode_counts_each_line_once_without_tails) {
  FakeLoki loki({});
  Exporter e(loki, "", 3,
             "    mode: poll\n    poll_interval: 200ms\n    poll_lag: 0s\n    limit: 50\n");
  // Pollers start from the time they start: push once they are polling.
  BOOST_TEST_REQUIRE(lle::test::wait_until([&] { return loki.queries() > 0; }, 20s), e.log());
  push(loki, 200);
  BOOST_TEST_REQUIRE(lle::test::wait_until([&] { return loki.queries() > 3; }, 20s), e.log());
  push(loki, 200);
  e.expect_exact(loki);
  BOOST_TEST(loki.tails_opened() == 0u);
}

BOOST_AUTO_TEST_CASE(poll_mode_reads_each_line_once_when_nothing_is_lost) {
  // The poller reads up to now - poll_lag, later than a bucket's first check
  // (bucket end + settle): the check waits for the poller instead of fetching the
  // bucket itself, so each line is fetched once, by the poller.
  FakeLoki loki({});
  Exporter e(loki, "", 1, "    mode: poll\n    poll_interval: 300ms\n    poll_lag: 2s\n");
  BOOST_TEST_REQUIRE(lle::test::wait_until([&] { return loki.queries() > 0; }, 20s), e.log());
  for (int round = 0; round < 3; ++round) {
    const auto before = loki.query_ranges();
    push(loki, 200);
    BOOST_TEST_REQUIRE(
        lle::test::wait_until([&] { return loki.query_ranges() > before + 2; }, 20s));
  }
  e.expect_exact(loki);
  const auto s = e.scrape();
  BOOST_TEST(metric(s, "loki_latency_loki_repaired_lines_total") == 0);
  BOOST_TEST(metric(s, "loki_latency_loki_duplicate_lines_total") == 0);
  BOOST_TEST(loki.most_served_by_query_range() == 1u);  // per selector: at most one pass
}

BOOST_AUTO_TEST_CASE(a_cold_start_backfills_history_then_tails_without_overlap) {
  FakeLoki loki({});
  const std::int64_t past = now_ns() - 40'000'000'000LL;
  for (int i = 0; i < 5; ++i) push(loki, 60, 0, past + i * 5'000'000'000LL);
  Exporter e(loki, "", 3, "    backfill: 1m\n    backfill_pages_per_second: 100\n    limit: 25\n");
  BOOST_TEST_REQUIRE(reopened(loki, 2), e.log());
  push(loki, 90);
  e.expect_exact(loki);
  BOOST_TEST(e.log().find("backfill done shard=0") != std::string::npos, e.log());
}

BOOST_AUTO_TEST_CASE(credentials_are_sent_but_never_logged_or_exported) {
  FakeLoki loki({});
  lle::test::TempDir secrets;
  const auto pw = secrets.write("pw", "s3cret-pw\n");
  std::filesystem::permissions(pw, std::filesystem::perms::owner_read |
                                       std::filesystem::perms::owner_write |
                                       std::filesystem::perms::others_read);
  Exporter e(loki, "", 3, "    basic_auth: {username: exporter, password_file: " + pw + "}\n");
  BOOST_TEST_REQUIRE(reopened(loki, 2), e.log());
  push(loki, 30);
  e.expect_exact(loki);
  BOOST_TEST(loki.last_authorization() == "Basic ZXhwb3J0ZXI6czNjcmV0LXB3");
  BOOST_TEST(e.log().find("s3cret") == std::string::npos);
  BOOST_TEST(e.scrape().find("s3cret") == std::string::npos);
  BOOST_TEST(e.log().find("ZXhwb3J0ZXI6") == std::string::npos);
  // The file is readable by every user: said when the input starts, naming only the file.
  BOOST_TEST(e.log().find("a secret file is readable by every user") != std::string::npos);
}

// A local CA and a server certificate for localhost, made with the openssl CLI.
struct TestCerts {
  lle::test::TempDir dir;
  std::string ca, cert, key;
  TestCerts() {
    const auto d = dir.path().string();
    dir.write("ext", "subjectAltName=DNS:localhost\n");
    const std::string script =
        "set -e; cd " + d +
        "; openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes"
        " -keyout ca.key -out ca.pem -days 2 -subj /CN=lle-test-ca"
        "; openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes"
        " -keyout server.key -out server.csr -subj /CN=localhost"
        "; openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial"
        " -out server.pem -days 2 -extfile ext";
    BOOST_TEST_REQUIRE(lle::test::run_to_exit({"sh", "-c", script}, d + "/out", d + "/err") == 0,
                       lle::test::read_file(dir.path() / "err"));
    ca = d + "/ca.pem";
    cert = d + "/server.pem";
    key = d + "/server.key";
  }
};

BOOST_AUTO_TEST_CASE(tls_with_a_configured_ca_verifies_the_host_and_loses_nothing) {
  TestCerts certs;
  FakeLoki::Options o;
  o.tls_cert_file = certs.cert;
  o.tls_key_file = certs.key;
  FakeLoki loki(o);
  Exporter e(loki, "", 3, "    tls: {ca_file: " + certs.ca + "}\n");
  BOOST_TEST_REQUIRE(reopened(loki, 2), e.log());
  push(loki, 90);
  e.expect_exact(loki);
  BOOST_TEST(loki.url().starts_with("https://localhost:"));
}

BOOST_AUTO_TEST_CASE(tls_refuses_an_unknown_ca_unless_verification_is_explicitly_off) {
  TestCerts certs;
  FakeLoki::Options o;
  o.tls_cert_file = certs.cert;
  o.tls_key_file = certs.key;
  FakeLoki loki(o);
  push(loki, 30);
  Exporter strict(loki, "", 3, "    tls: {ca_file: " + certs.cert + "}\n");  // not the CA
  BOOST_TEST_REQUIRE(
      lle::test::wait_until(
          [&] { return metric(strict.scrape(), "loki_latency_loki_reconnects_total") >= 6; }, 20s),
      strict.log());
  BOOST_TEST(metric(strict.scrape(), "loki_latency_lines_read_total") == 0);
  BOOST_TEST(loki.tails_opened() == 0u);
  BOOST_TEST(strict.log().find("certificate verify failed") != std::string::npos);

  // Lines from before its start come through the backfill.
  Exporter lax(loki, "", 3, "    tls: {insecure_skip_verify: true}\n    backfill: 1m\n");
  BOOST_TEST(lle::test::wait_until(
      [&] { return lax.log().find("verification is off") != std::string::npos; }, 10s));
  push(loki, 30);
  lax.expect_exact(loki);
}

BOOST_AUTO_TEST_CASE(state_survives_kill_9_and_sigterm_and_the_downtime_is_repaired_exactly) {
  FakeLoki loki({});
  lle::test::TempDir state;
  const int first_seq = lle::test::push_seq();
  // Also the slow-line counters (a 50 ms threshold, which push()'s 10-99 ms lines
  // straddle) must come back exact: each restart restores them. (`top` follows the
  // harness's `windows:` block, so its first, indented line belongs to it.)
  const std::string top =
      "  slow_thresholds_ms: [50]\nstate:\n  dir: " + state.path().string() + "\n  interval: 1s\n";
  const auto file = state.path() / "state.bin";
  {
    Exporter first(loki, "", 3, "", top, "6s");
    BOOST_TEST_REQUIRE(reopened(loki, 2), first.log());
    push(loki, 300);
    first.expect_exact(loki);
    kill_after_next_snapshot(loki, first, file);
  }
  push(loki, 150);  // while the exporter is down
  {
    Exporter second(loki, "", 3, "", top, "6s");
    BOOST_TEST_REQUIRE(
        lle::test::wait_until(
            [&] { return second.log().find("state restored") != std::string::npos; }, 10s),
        second.log());
    BOOST_TEST(second.log().find("shards=3") != std::string::npos);
    second.expect_exact(loki, true);
    second.process->signal(SIGTERM);  // graceful: the last snapshot holds everything
    BOOST_TEST_REQUIRE(second.process->wait(20s).value_or(-1) == 0);
  }
  push(loki, 90);
  Exporter third(loki, "", 3, "", top, "6s");
  third.expect_exact(loki, true);
  int slow = 0;  // push() writes 10 + seq % 90 ms
  for (int seq = first_seq; seq < lle::test::push_seq(); ++seq) slow += 10 + seq % 90 > 50;
  BOOST_TEST(metric(third.scrape(), "loki_latency_slow_requests_total", "threshold=\"0.05\"") ==
             slow);
}

BOOST_AUTO_TEST_CASE(a_corrupt_snapshot_is_moved_aside_and_the_exporter_starts_cold) {
  FakeLoki loki({});
  lle::test::TempDir state;
  state.write("state.bin", std::string("LLESTATE\x01\x00\x00\x00", 12));  // cut after the version
  Exporter e(loki, "", 3, "", "state: {dir: " + state.path().string() + "}\n");
  BOOST_TEST_REQUIRE(
      lle::test::wait_until(
          [&] { return e.log().find("state snapshot rejected") != std::string::npos; }, 10s),
      e.log());
  BOOST_TEST(e.log().find("truncated") != std::string::npos);
  bool aside = false;
  for (const auto& f : std::filesystem::directory_iterator(state.path()))
    aside = aside || f.path().filename().string().starts_with("state.bin.rejected-");
  BOOST_TEST(aside);
  BOOST_TEST_REQUIRE(reopened(loki, 2), e.log());
  push(loki, 60);
  e.expect_exact(loki);
}

// Fleet mode (docs/fleet.md): two members share push()'s three services; every line
// Loki stores is counted by exactly one of them. A member killed with SIGKILL and
// restarted from its state loses nothing and counts nothing twice (the restart
// guarantee above, now per member), while the other goes on.
BOOST_AUTO_TEST_CASE(a_fleet_member_killed_and_restarted_keeps_every_line_counted_once) {
  FakeLoki loki({});
  lle::test::TempDir state0, state1;
  const auto top = [](const lle::test::TempDir& state, int member) {
    return "state:\n  dir: " + state.path().string() +
           "\n  interval: 1s\nfleet: {members: 2, member: " + std::to_string(member) + "}\n";
  };
  // Lines counted by the two members together, each member's own accounting exact.
  const auto fleet_exact = [&](const Exporter& a, const Exporter& b) {
    const double stored = static_cast<double>(loki.stored());
    std::string sa, sb;
    const bool done = lle::test::wait_until(
        [&] {
          sa = a.scrape();
          sb = b.scrape();
          return metric(sa, "loki_latency_requests_total") +
                         metric(sb, "loki_latency_requests_total") >=
                     stored &&
                 metric(sa, "loki_latency_loki_reconciled_minutes_total") > 0 &&
                 metric(sb, "loki_latency_loki_reconciled_minutes_total") > 0;
        },
        30s);
    BOOST_TEST(done, a.log() << b.log());
    BOOST_TEST(metric(sa, "loki_latency_requests_total") +
                   metric(sb, "loki_latency_requests_total") ==
               stored);
    for (const auto* s : {&sa, &sb}) {
      BOOST_TEST(metric(*s, "loki_latency_rejected_lines_total") == 0);
      BOOST_TEST(metric(*s, "loki_latency_loki_excess_lines_total") == 0);
    }
    BOOST_TEST(metric(sa, "loki_latency_fleet_owned_services") +
                   metric(sb, "loki_latency_fleet_owned_services") ==
               3);
    BOOST_TEST(metric(sb, "loki_latency_fleet_info", "member=\"1\",members=\"2\"") == 1);
    // No service on both.
    for (const char* service : {"checkout", "search", "payments"}) {
      const std::string label = "service=\"" + std::string(service) + "\"";
      BOOST_TEST((sa.find("loki_latency_service_info{" + label) == std::string::npos) !=
                     (sb.find("loki_latency_service_info{" + label) == std::string::npos),
                 service);
    }
  };
  Exporter other(loki, "", 3, "", top(state0, 0), "6s");
  const auto file = state1.path() / "state.bin";
  {
    Exporter member(loki, "", 3, "", top(state1, 1), "6s");
    push(loki, 300);
    fleet_exact(other, member);
    kill_after_next_snapshot(loki, member, file);
  }
  push(loki, 150);  // while member 1 is down
  Exporter member(loki, "", 3, "", top(state1, 1), "6s");
  BOOST_TEST_REQUIRE(
      lle::test::wait_until(
          [&] { return member.log().find("state restored") != std::string::npos; }, 10s),
      member.log());
  fleet_exact(other, member);
}

// The handoff's grace period, whole process: one exporter's state, restarted as
// member 0 of 2, keeps serving the services member 1 owns now (marked leaving, their
// counts whole) until fleet.handoff_grace ends; then a reload drops them.
BOOST_AUTO_TEST_CASE(a_member_serves_the_services_it_lost_until_its_grace_ends) {
  FakeLoki loki({});
  lle::test::TempDir state;
  const std::string top = saved_alone(loki, state);
  Exporter member(loki, "", 3, "", top + "fleet: {members: 2, member: 0, handoff_grace: 2s}\n",
                  "6s");
  std::string s;
  BOOST_TEST_REQUIRE(lle::test::wait_until(
                         [&] {
                           s = member.scrape();
                           return metric(s, "loki_latency_requests_total") >= 300;
                         },
                         10s),
                     member.log());
  const double owned = metric(s, "loki_latency_fleet_owned_services");
  const double leaving = metric(s, "loki_latency_fleet_service_leaving");
  BOOST_TEST(leaving >= 1);
  BOOST_TEST(owned + leaving == 3);
  BOOST_TEST(metric(s, "loki_latency_requests_total") == 300);  // every service, whole
  for (const char* service : {"checkout", "search", "payments"}) {
    const std::string label = "service=\"" + std::string(service) + "\"";
    BOOST_TEST(metric(s, "loki_latency_requests_total", label) == 100, service);
  }
  // The grace over, the services member 1 owns leave this member's /metrics.
  BOOST_TEST_REQUIRE(lle::test::wait_until(
                         [&] {
                           s = member.scrape();
                           return s.find("loki_latency_fleet_service_leaving") == std::string::npos;
                         },
                         20s),
                     member.log());
  BOOST_TEST(member.log().find("handoff grace period over") != std::string::npos);
  BOOST_TEST(metric(s, "loki_latency_fleet_owned_services") == owned);
  BOOST_TEST(metric(s, "loki_latency_service_info") == owned);
  BOOST_TEST(metric(s, "loki_latency_requests_total") == 100 * owned);
}

// With fleet.peer_url the grace ends, service by service, once the new owner has
// the service ready: member 0 (one exporter's state, restarted as member 0 of 2 with
// an hour's grace) keeps what member 1 owns while member 1 cannot be asked (its URL
// first wrong, then set right by a reload), and drops it once member 1, a cold start
// fetching an hour of history, lists it ready.
BOOST_AUTO_TEST_CASE(a_member_drops_what_it_lost_once_the_new_owner_has_it_ready) {
  FakeLoki loki({});
  lle::test::TempDir state;
  const std::string top = saved_alone(loki, state);
  const std::string peer = "127.0.0.1:" + std::to_string(lle::test::free_port());
  const std::string fleet = "fleet: {members: 2, member: 0, handoff_grace: 1h, peer_url: 'http://";
  const std::string wrong = fleet + "127.0.0.1:1', peer_check_interval: 1s}\n";
  Exporter member(loki, "", 3, "", top + wrong, "6s");
  BOOST_TEST_REQUIRE(
      lle::test::wait_until(
          [&] { return member.log().find("cannot learn from a fleet peer") != std::string::npos; },
          10s),
      member.log());
  std::string s = member.scrape();
  const double leaving = metric(s, "loki_latency_fleet_service_leaving");
  const double owned = metric(s, "loki_latency_fleet_owned_services");
  BOOST_TEST_REQUIRE(leaving >= 1);  // member 1 cannot be asked: they stay
  BOOST_TEST(owned + leaving == 3);
  BOOST_TEST(metric(s, "loki_latency_requests_total") == 300);

  // Its backfill takes seconds (pages of 10 lines, 4 a second), so that member 0
  // asks while member 1 is still fetching.
  Exporter owner(loki, "", 3, "    backfill: 1h\n    limit: 10\n    backfill_pages_per_second: 4\n",
                 "fleet: {members: 2, member: 1}\n", "6s", peer);
  const auto yaml = member.dir.path() / "exporter.yaml";
  std::string config = lle::test::read_file(yaml);
  config.replace(config.find(wrong), wrong.size(), fleet + peer + "', peer_check_interval: 1s}\n");
  std::ofstream(yaml) << config;
  member.process->signal(SIGHUP);
  BOOST_TEST_REQUIRE(lle::test::wait_until(
                         [&] {
                           s = member.scrape();
                           return s.find("loki_latency_fleet_service_leaving") == std::string::npos;
                         },
                         20s),
                     member.log() << owner.log());
  const std::string log = member.log();
  BOOST_TEST(log.find("the new owners have these services ready") != std::string::npos, log);
  BOOST_TEST(log.find("handoff grace period over") == std::string::npos, log);
  BOOST_TEST(metric(s, "loki_latency_fleet_owned_services") == owned);
  BOOST_TEST(metric(s, "loki_latency_requests_total") == 100 * owned);
  // When member 0 let them go, member 1 had them ready, whole.
  const std::string o = owner.scrape();
  BOOST_TEST(owner.log().find("backfill done") != std::string::npos, owner.log());
  BOOST_TEST(metric(o, "loki_latency_fleet_owned_services") == leaving);
  BOOST_TEST(metric(o, "loki_latency_fleet_service_ready") == leaving);
  BOOST_TEST(metric(o, "loki_latency_requests_total") == 100 * leaving, owner.log());
}

BOOST_AUTO_TEST_SUITE_END()
