#include "exporter/api/thresholds.h"

#include <fcntl.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <fstream>
#include <stdexcept>

#include "exporter/api/json_number.h"
#include "exporter/api/strict_json.h"
#include "exporter/core/atomic_file.h"
#include "exporter/core/clock.h"
#include "exporter/core/regular_file.h"
#include "exporter/parse/timestamp.h"

namespace lle::api {
namespace json = boost::json;
namespace {

std::string number(double v) { return json::serialize(json_number(v)); }

std::string file_text(const std::map<std::string, ApiThreshold>& m) {
  json::object services;
  for (const auto& [id, t] : m) {
    services[id] = json::object{{"threshold_ms", json_number(t.ms)},
                                {"version", t.version},
                                {"changed_by", t.changed_by},
                                {"changed_at", core::format_timestamp(t.changed_at_ns)}};
  }
  return json::serialize(json::object{{"format", 1}, {"thresholds", services}}) + "\n";
}

void append_line(const std::string& file, const std::string& line) {
  const int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) throw std::runtime_error("cannot open " + file + ": " + std::strerror(errno));
  const ssize_t n = ::write(fd, line.data(), line.size());
  const bool ok = n == static_cast<ssize_t>(line.size()) && ::fsync(fd) == 0;
  const std::string why = std::strerror(errno);
  ::close(fd);
  if (!ok) throw std::runtime_error("cannot append to " + file + ": " + why);
}

}  // namespace

Effective effective(const config::AlertPolicy& policy, const std::string& id,
                    const ApiThreshold* api) {
  const auto e = policy.for_service(id);
  Effective out{e.latency.threshold_ms,
                e.threshold_overridden ? "policy" : "default",
                e.latency.for_ns,
                e.latency.severity,
                "",
                0,
                ""};
  if (api) {
    out.ms = api->ms;
    out.source = "api";
    out.changed_by = api->changed_by;
    out.changed_at_ns = api->changed_at_ns;
  }
  out.etag = "\"" + out.source + "-" + std::to_string(api ? api->version : 0) + "-" +
             number(out.ms) + "\"";
  return out;
}

config::AlertPolicy with_api_thresholds(config::AlertPolicy policy,
                                        const std::map<std::string, ApiThreshold>& api) {
  for (const auto& [id, t] : api) policy.services[id].threshold_ms = t.ms;
  return policy;
}

namespace {
constexpr std::size_t kMaxThresholdsFileBytes = 64 << 20;
}  // namespace

ThresholdStore::ThresholdStore(config::ThresholdsConfig c) : cfg_(std::move(c)) {
  if (cfg_.file.empty()) return;  // no thresholds_file: nothing set, changes refused
  const core::FileRead read = core::read_regular_file(cfg_.file, kMaxThresholdsFileBytes);
  if (read.status == core::FileRead::Status::kMissing) return;  // none set yet
  const std::string& text = read.content;
  try {
    if (read.status == core::FileRead::Status::kRefused) throw std::runtime_error("it " + read.why);
    std::string why;
    const auto parsed = parse_json_strict(text, &why);
    if (!parsed) throw std::runtime_error(why);
    const auto& doc = parsed->as_object();
    if (doc.at("format").to_number<int>() != 1) throw std::runtime_error("unknown format");
    for (const auto& [id, v] : doc.at("thresholds").as_object()) {
      const auto& o = v.as_object();
      ApiThreshold t;
      t.ms = o.at("threshold_ms").to_number<double>();
      t.version = o.at("version").to_number<std::uint64_t>();
      t.changed_by = o.at("changed_by").as_string();
      const auto at = parse::parse_timestamp_ns(o.at("changed_at").as_string());
      if (!at) throw std::runtime_error("bad changed_at");
      t.changed_at_ns = *at;
      if (!(t.ms >= config::kMinThresholdMs && t.ms <= config::kMaxThresholdMs))
        throw std::runtime_error("threshold of " + std::string(id) + " out of bounds");
      by_service_[std::string(id)] = t;
    }
  } catch (const std::exception& e) {
    throw std::runtime_error(cfg_.file + ": not a thresholds file written by the exporter (" +
                             e.what() + ")");
  }
}

ThresholdStore::All ThresholdStore::all() const {
  std::lock_guard lock(mutex_);
  return {by_service_, generation_};
}

std::optional<ApiThreshold> ThresholdStore::get(const std::string& id) const {
  std::lock_guard lock(mutex_);
  const auto it = by_service_.find(id);
  if (it == by_service_.end()) return std::nullopt;
  return it->second;
}

Effective ThresholdStore::effective(const config::AlertPolicy& policy,
                                    const std::string& id) const {
  std::lock_guard lock(mutex_);
  const auto it = by_service_.find(id);
  return api::effective(policy, id, it == by_service_.end() ? nullptr : &it->second);
}

ThresholdStore::Change ThresholdStore::set(const config::AlertPolicy& policy, const std::string& id,
                                           double ms, const std::string& if_match,
                                           const std::string& who, std::int64_t now_ns) {
  std::lock_guard lock(mutex_);
  Change c;
  const auto it = by_service_.find(id);
  c.before = api::effective(policy, id, it == by_service_.end() ? nullptr : &it->second);
  if (!if_match.empty() && if_match != "*" && if_match != c.before.etag) {
    c.outcome = Outcome::kStale;
    c.after = c.before;
    return c;
  }
  auto next = by_service_;
  ApiThreshold& t = next[id];
  t.ms = ms;
  ++t.version;
  t.changed_by = who;
  t.changed_at_ns = now_ns;
  try {
    core::write_file_atomic(cfg_.file, {file_text(next)}, 0644);
  } catch (const std::exception& e) {
    c.error = e.what();
    return c;
  }
  json::object audit{{"at", core::format_timestamp(now_ns)},
                     {"service", id},
                     {"by", who},
                     {"old_ms", json_number(c.before.ms)},
                     {"old_source", c.before.source},
                     {"new_ms", json_number(ms)},
                     {"version", t.version}};
  try {
    append_line(cfg_.audit_log, json::serialize(audit) + "\n");
  } catch (const std::exception& e) {
    // An unaudited change does not stand: put the old file back.
    c.error = e.what();
    try {
      core::write_file_atomic(cfg_.file, {file_text(by_service_)}, 0644);
    } catch (const std::exception& again) {
      c.error += "; and the thresholds file could not be restored: " + std::string(again.what());
    }
    return c;
  }
  by_service_ = std::move(next);
  c.outcome = Outcome::kChanged;
  c.after = api::effective(policy, id, &by_service_.at(id));
  c.all = {by_service_, ++generation_};
  return c;
}

}  // namespace lle::api
