#pragma once
// Turns one entry into either (service, latency, status) or exactly one reject
// reason: the data-quality gates that do not depend on time. Time gates (too
// late, too far in the future) belong to the windows, which know "now".
//
// Thread safety: parse() is const and may be called from several threads, each
// with its own FieldScratch.

#include <boost/unordered/unordered_flat_map.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "exporter/core/entry.h"
#include "exporter/core/reject_reason.h"
#include "exporter/core/units.h"
#include "exporter/parse/fields.h"

namespace lle::parse {

enum class Format { kAuto, kJson, kLogfmt };

struct ServiceRule {
  std::vector<std::pair<std::string, std::string>> labels;  // all must be equal
  std::string field_value;                                  // "" = not matched by field
  std::string latency_field;                                // "" = Rules::latency_field
  std::optional<core::LatencyUnit> latency_unit;
};

// The parsing options (exporter.yaml `parsing:`), one default each; config fills them.
struct Options {
  Format format = Format::kAuto;
  std::string service_field = "service";
  std::string latency_field = "latency_ms";
  std::string status_field = "status";
  std::string schema_version_field = "schema_version";
  // The line's trace or request id, kept as an exemplar; "" = none (costs nothing).
  std::string trace_id_field;
  core::LatencyUnit latency_unit = core::LatencyUnit::kMilliseconds;
  std::vector<std::string> supported_schema_versions = {"1"};
  std::string default_schema_version;  // "" = a line without a version is rejected
  double max_latency_seconds = 60;
  std::size_t max_line_bytes = 64 * 1024;
};

struct Rules : Options {
  std::vector<ServiceRule> services;  // index = service index everywhere else
};

struct ParsedLine {
  static constexpr int kUnknownService = -1;
  int service = kUnknownService;
  std::optional<core::RejectReason> reject;
  double latency_seconds = 0;
  int status = 0;  // HTTP-style status, 0 when absent or not a number
  // With Options::trace_id_field: the line's id (a string or number), else empty.
  // It views the line or the FieldScratch: valid until the next parse.
  std::string_view trace_id;
};

class LineParser {
 public:
  explicit LineParser(Rules rules);
  ParsedLine parse(const core::Entry& entry, FieldScratch& scratch) const;
  // The service whose label matchers the entry's labels satisfy, or kUnknownService.
  int service_by_labels(const core::Entry& entry) const;

 private:
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  // Open addressing, keys inline: with 10,000 services a line's lookup is one or two
  // cache misses, not a std::unordered_map's three (bucket, node, key).
  template <typename V>
  using Map = boost::unordered_flat_map<std::string, V, Hash, std::equal_to<>>;

  Rules rules_;
  // Services with label matchers, indexed by their first matcher's name, then value.
  Map<Map<std::vector<int>>> by_label_;
  Map<int> by_field_;
  // Keys extracted from every line: service, status, schema, then latency fields.
  std::vector<std::string_view> keys_;
  std::size_t trace_key_ = 0;  // index into keys_; 0 = none
  // Each service's latency field and unit, together: with 10,000 services a line's
  // look-up is a cache miss, one rather than two.
  struct LatencyField {
    std::size_t key;  // index into keys_
    double seconds_per_unit;
  };
  std::vector<LatencyField> latency_of_service_;
};

// A latency token (number in the configured unit, or a duration string) in
// seconds; nullopt when not a finite non-negative value.
std::optional<double> latency_seconds(const FieldValue& v, double seconds_per_unit);

}  // namespace lle::parse
