// One log line (JSON or logfmt) through field extraction and the data-quality
// gates: never undefined behaviour; a line is accepted with a finite, in-range
// latency or rejected with a reason. Differential for JSON: what the scanner
// takes, boost::json::parse takes too, with the same fields as Boost.JSON's SAX
// parser gives; a line boost::json refuses is never extracted.
#include <boost/json.hpp>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "exporter/core/entry.h"
#include "exporter/parse/fields.h"
#include "exporter/parse/line_parser.h"

namespace {
lle::parse::LineParser make() {
  lle::parse::Rules r;
  r.default_schema_version = "1";
  r.supported_schema_versions = {"1", "2"};
  r.max_line_bytes = 4096;
  r.trace_id_field = "trace_id";  // the exemplars' id: one key more on every line
  r.services.push_back({{{"app", "checkout"}}, "", "", std::nullopt});
  r.services.push_back({{}, "search", "duration", lle::core::LatencyUnit::kSeconds});
  return lle::parse::LineParser(r);
}

void differential_json(std::string_view line) {
  using lle::parse::FieldValue;
  static lle::parse::FieldScratch a, b;
  static const std::string_view keys[] = {"service", "latency_ms", "a", "", "x\"y"};
  FieldValue fast[5], slow[5];
  const bool taken = lle::parse::detail::scan_json_fields(line, keys, fast, a);
  const bool parsed = lle::parse::detail::parse_json_fields(line, keys, slow, b);
  std::error_code ec;
  const auto doc = boost::json::parse(line, ec);
  if (parsed != (!ec && doc.is_object())) std::abort();  // the SAX path is not Boost's verdict
  if (!taken) return;
  if (!parsed) std::abort();  // the scanner took what Boost.JSON refuses
  for (std::size_t i = 0; i < std::size(keys); ++i) {
    if (fast[i].kind != slow[i].kind) std::abort();
    if (fast[i].kind != FieldValue::Kind::kComposite && fast[i].text != slow[i].text) std::abort();
  }
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const lle::parse::LineParser parser = make();
  static lle::parse::FieldScratch scratch;
  const std::string_view line(reinterpret_cast<const char*>(data), size);
  differential_json(line);
  const std::vector<lle::core::Label> labels[] = {{{"app", "checkout"}}, {{"app", "other"}}};
  for (const auto& l : labels) {
    const auto p = parser.parse(lle::core::Entry{l, 0, line}, scratch);
    if (!p.reject && (p.service < 0 || !std::isfinite(p.latency_seconds) || p.latency_seconds < 0 ||
                      p.latency_seconds > 60)) {
      std::abort();
    }
    // An id comes only from a line that names its field (escapes aside).
    if (!p.trace_id.empty() && line.find("trace") == std::string_view::npos &&
        line.find('\\') == std::string_view::npos)
      std::abort();
  }
  return 0;
}
