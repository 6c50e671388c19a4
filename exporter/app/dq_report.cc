// dq-report: replays a recorded export through the same gates as `run` and
// prints per-service data-quality figures as JSON; exits 1 if a gate fails.
#include <boost/json.hpp>
#include <fstream>
#include <iostream>

#include "exporter/app/commands.h"
#include "exporter/app/version.h"
#include "exporter/ingest/pipeline.h"
#include "exporter/log/log.h"

namespace lle::app {
namespace {
namespace json = boost::json;

void pretty(std::ostream& os, const json::value& v, int indent = 0) {
  const std::string pad(static_cast<std::size_t>(indent + 2), ' ');
  if (const auto* o = v.if_object(); o && !o->empty()) {
    os << "{\n";
    bool first = true;
    for (const auto& kv : *o) {
      os << (first ? "" : ",\n") << pad << json::serialize(json::string(kv.key())) << ": ";
      pretty(os, kv.value(), indent + 2);
      first = false;
    }
    os << "\n" << std::string(static_cast<std::size_t>(indent), ' ') << "}";
  } else if (const auto* a = v.if_array(); a && !a->empty()) {
    os << "[\n";
    for (std::size_t i = 0; i < a->size(); ++i) {
      os << (i ? ",\n" : "") << pad;
      pretty(os, (*a)[i], indent + 2);
    }
    os << "\n" << std::string(static_cast<std::size_t>(indent), ' ') << "]";
  } else {
    os << json::serialize(v);
  }
}

json::object reject_object(const core::RejectCounts& counts, std::uint64_t* total) {
  json::object o;
  for (std::size_t r = 0; r < counts.size(); ++r) {
    if (counts[r] == 0) continue;
    o[core::reject_reason_name(static_cast<core::RejectReason>(r))] = counts[r];
    *total += counts[r];
  }
  return o;
}

json::value number_or_null(double v) {
  return std::isnan(v) ? json::value(nullptr) : json::value(v);
}

// One service's part of the report; its rejected lines and reject ratio go to
// *rejected and *ratio.
json::object service_report(const window::ServiceView& v, std::uint64_t* rejected, double* ratio) {
  json::object rejects = reject_object(v.rejects, rejected);
  const std::uint64_t seen = v.accepted_total + *rejected;
  *ratio = seen ? static_cast<double>(*rejected) / static_cast<double>(seen) : 0.0;
  return json::object{
      {"accepted", v.accepted_total},
      {"rejected", *rejected},
      {"rejected_by_reason", std::move(rejects)},
      {"reject_ratio", *ratio},
      {"min_latency_seconds", number_or_null(v.min_latency)},
      {"max_latency_seconds", number_or_null(v.max_latency)},
      {"first_event",
       v.accepted_total ? json::value(core::format_timestamp(v.first_event_ns)) : nullptr},
      {"last_event",
       v.accepted_total ? json::value(core::format_timestamp(v.last_event_ns)) : nullptr},
      {"baseline_buckets", v.baseline_buckets},
      {"baseline_p95_seconds", number_or_null(v.baseline.p95)},
  };
}

// To `out` ("" or "-": stdout); false (logged) when it cannot be written.
bool write_report(const json::object& report, const std::string& out) {
  if (out.empty() || out == "-") {
    pretty(std::cout, report);
    std::cout << "\n";
    return true;
  }
  std::ofstream f(out);
  pretty(f, report);
  f << "\n";
  if (!f) log::error("cannot write report", {{"path", out}});
  return static_cast<bool>(f);
}

}  // namespace

int dq_report(const std::string& config_path, const std::string& replay_path,
              const std::string& out, std::optional<int> fleet_member) {
  config::Config cfg;
  try {
    cfg = config::load(config_path, {fleet_member, "", false});
  } catch (const std::exception& e) {
    log::error("invalid configuration", {{"error", e.what()}});
    return 2;
  }
  const std::string path = replay_path.empty() ? cfg.replay.path : replay_path;
  if (path.empty()) {
    log::error("dq-report needs --replay PATH (or input.replay.path in the config)");
    return 2;
  }
  const core::SystemClock wall;
  std::optional<source::Replay> replay;
  try {
    replay.emplace(source::Replay::load({path, cfg.replay.rebase_to_now, 0}, wall, std::cin));
  } catch (const std::exception& e) {
    log::error("cannot read replay input", {{"error", e.what()}});
    return 2;
  }
  ingest::Pipeline pipeline(cfg, {kVersion, kRevision, wall.now_ns(), {}, {}, {}, {}});
  // replay_into closes every open minute: the report covers all accepted lines.
  const auto ended = ingest::replay_into(*replay, pipeline);
  if (!ended.error.empty()) {
    log::error("cannot read replay input", {{"error", ended.error}});
    return 2;
  }
  const std::int64_t end = ended.now_ns;
  const auto snap = pipeline.store().snapshot(end);

  json::object services;
  json::array gates;
  bool passed = true;
  std::uint64_t all_accepted = 0, all_rejected = 0;
  auto gate = [&](const std::string& name, const std::string& service, double value, double limit,
                  bool ok) {
    gates.push_back(json::object{
        {"gate", name}, {"service", service}, {"value", value}, {"limit", limit}, {"passed", ok}});
    passed = passed && ok;
  };
  for (std::size_t i = 0; i < snap.services->size(); ++i) {
    const auto& info = (*snap.services)[i];
    const auto& v = snap.views[i];
    std::uint64_t rejected = 0;
    double ratio = 0;
    services[info.id] = service_report(v, &rejected, &ratio);
    all_accepted += v.accepted_total;
    all_rejected += rejected;
    gate("max_reject_ratio", info.id, ratio, cfg.data_quality.max_reject_ratio,
         ratio <= cfg.data_quality.max_reject_ratio);
    gate("min_baseline_buckets", info.id, v.baseline_buckets, cfg.data_quality.min_baseline_buckets,
         v.baseline_buckets >= cfg.data_quality.min_baseline_buckets);
  }
  std::uint64_t unknown = 0;
  json::object unknown_rejects = reject_object(snap.unknown_rejects, &unknown);
  all_rejected += unknown;
  const std::uint64_t all = all_accepted + all_rejected;
  const double overall = all ? static_cast<double>(all_rejected) / static_cast<double>(all) : 0.0;
  gate("max_reject_ratio", "*", overall, cfg.data_quality.max_reject_ratio,
       overall <= cfg.data_quality.max_reject_ratio);

  const auto& st = replay->stats();
  json::object report{
      {"input", json::object{{"path", path},
                             {"records", st.records},
                             {"lines", pipeline.input().lines_read},
                             {"malformed_records", st.malformed_records},
                             {"malformed_entries", st.malformed_entries}}},
      {"totals",
       json::object{
           {"accepted", all_accepted}, {"rejected", all_rejected}, {"reject_ratio", overall}}},
      {"services", std::move(services)},
      {"unknown_service",
       json::object{{"rejected", unknown}, {"rejected_by_reason", std::move(unknown_rejects)}}},
      {"gates", std::move(gates)},
      {"passed", passed},
  };
  if (!write_report(report, out)) return 2;
  if (!passed) log::warn("data-quality gates failed", {{"report", out.empty() ? "stdout" : out}});
  return passed ? 0 : 1;
}

}  // namespace lle::app
