#pragma once
// Thresholds changed through the API, kept in their own machine-written file
// (alerting.thresholds_file) over the human-written policy: the effective
// threshold of a service is the API's if set, else the policy's override, else
// its default. Every change is checked against the caller's ETag, persisted
// atomically and appended to the audit log (who, when, old, new) under one
// lock, so two racing changes never lose one another and the file and the log
// agree. Every change makes a new generation: whoever writes something from the
// thresholds (the rule file) does so outside this lock and keeps the newest.
// Thread safety: all members may be called from any thread.

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <utility>

#include "exporter/config/config.h"

namespace lle::api {

struct ApiThreshold {
  double ms = 0;
  std::uint64_t version = 0;  // changes made through the API so far
  std::string changed_by;
  std::int64_t changed_at_ns = 0;
};

struct Effective {
  double ms = 0;
  std::string source;  // "default", "policy" (alert-rules.yaml) or "api"
  std::int64_t for_ns = 0;
  std::string severity;
  std::string changed_by;  // api only
  std::int64_t changed_at_ns = 0;
  std::string etag;  // changes whenever the value or its source does
};

Effective effective(const config::AlertPolicy& policy, const std::string& id,
                    const ApiThreshold* api);

// The policy with the API's thresholds written over it, for rulegen.
config::AlertPolicy with_api_thresholds(config::AlertPolicy policy,
                                        const std::map<std::string, ApiThreshold>& api);

class ThresholdStore {
 public:
  // Reads the file (missing: none set yet). Throws std::runtime_error naming the
  // file when it is unreadable or malformed. Without a thresholds_file it holds
  // nothing and refuses changes.
  explicit ThresholdStore(config::ThresholdsConfig c);

  // Every API threshold, and the generation they make (1 + changes so far).
  struct All {
    std::map<std::string, ApiThreshold> by_service;
    std::uint64_t generation = 0;
  };

  bool writable() const { return !cfg_.file.empty(); }
  All all() const;
  std::optional<ApiThreshold> get(const std::string& id) const;
  // The threshold in force for a service: the API's over the policy's.
  Effective effective(const config::AlertPolicy& policy, const std::string& id) const;

  enum class Outcome { kChanged, kStale, kFailed };
  struct Change {
    Outcome outcome = Outcome::kFailed;
    Effective before, after;
    std::string error;  // kFailed: what could not be written (nothing was changed)
    All all;            // kChanged: every API threshold once the change is durable
  };
  // if_match: the ETag the caller last saw ("" = no precondition; '*' = any).
  Change set(const config::AlertPolicy& policy, const std::string& id, double ms,
             const std::string& if_match, const std::string& who, std::int64_t now_ns);

 private:
  config::ThresholdsConfig cfg_;
  mutable std::mutex mutex_;
  std::map<std::string, ApiThreshold> by_service_;
  std::uint64_t generation_ = 1;
};

}  // namespace lle::api
