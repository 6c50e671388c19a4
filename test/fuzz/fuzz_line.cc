// One log line (JSON or logfmt) through field extraction and the data-quality
// gates: never undefined behaviour; a line is accepted with a finite, in-range
// latency or rejected with a reason.
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "exporter/core/entry.h"
#include "exporter/parse/line_parser.h"

namespace {
lle::parse::LineParser make() {
  lle::parse::Rules r;
  r.default_schema_version = "1";
  r.supported_schema_versions = {"1", "2"};
  r.max_line_bytes = 4096;
  r.services.push_back({{{"app", "checkout"}}, "", "", std::nullopt});
  r.services.push_back({{}, "search", "duration", lle::core::LatencyUnit::kSeconds});
  return lle::parse::LineParser(r);
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const lle::parse::LineParser parser = make();
  static lle::parse::FieldScratch scratch;
  const std::string_view line(reinterpret_cast<const char*>(data), size);
  const std::vector<lle::core::Label> labels[] = {{{"app", "checkout"}}, {{"app", "other"}}};
  for (const auto& l : labels) {
    const auto p = parser.parse(lle::core::Entry{l, 0, line}, scratch);
    if (!p.reject && (p.service < 0 || !std::isfinite(p.latency_seconds) || p.latency_seconds < 0 ||
                      p.latency_seconds > 60)) {
      std::abort();
    }
  }
  return 0;
}
