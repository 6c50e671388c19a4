#pragma once
// The Prometheus text exposition format (0.0.4), written straight into one
// string. prometheus::TextSerializer formats through std::ostream and was ~80%
// of a 10,000-service scrape; this renders the same text for counter, gauge and
// untyped families (numbers in shortest round-trip form) and hands any other
// type to TextSerializer. Thread safety: a pure function.

#include <prometheus/metric_family.h>

#include <string>
#include <vector>

namespace lle::metrics {

std::string render_text(const std::vector<prometheus::MetricFamily>& families);

}  // namespace lle::metrics
