#include "exporter/metrics/text_render.h"

#include <prometheus/text_serializer.h>

#include <boost/test/unit_test.hpp>
#include <cmath>
#include <limits>
#include <random>
#include <sstream>

using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;

namespace {

std::vector<std::string> lines(const std::string& s) {
  std::vector<std::string> out;
  std::istringstream in(s);
  for (std::string l; std::getline(in, l);) out.push_back(l);
  return out;
}

// Same text as TextSerializer, except that numbers may be written differently:
// they must parse to the same value.
void check_equivalent(const std::vector<MetricFamily>& families) {
  std::ostringstream expected;
  prometheus::TextSerializer().Serialize(expected, families);
  const auto want = lines(expected.str()), got = lines(lle::metrics::render_text(families));
  BOOST_TEST_REQUIRE(got.size() == want.size());
  for (std::size_t i = 0; i < got.size(); ++i) {
    if (got[i].starts_with("#")) {
      BOOST_TEST(got[i] == want[i]);
      continue;
    }
    const auto g = got[i].rfind(' '), w = want[i].rfind(' ');
    BOOST_TEST(got[i].substr(0, g) == want[i].substr(0, w));
    const double gv = std::stod(got[i].substr(g + 1)), wv = std::stod(want[i].substr(w + 1));
    if (std::isnan(wv)) {
      BOOST_TEST(std::isnan(gv));
    } else if (std::isinf(wv)) {
      BOOST_TEST(gv == wv);
    } else {
      BOOST_TEST(gv == wv, boost::test_tools::tolerance(1e-15));
    }
  }
}

}  // namespace

BOOST_AUTO_TEST_SUITE(metrics_text_render)

BOOST_AUTO_TEST_CASE(renders_what_text_serializer_renders) {
  std::mt19937_64 rng(9);
  std::uniform_real_distribution<double> value(-1e6, 1e6);
  std::vector<MetricFamily> families;
  for (int f = 0; f < 20; ++f) {
    MetricFamily fam{"family_" + std::to_string(f),
                     "help text " + std::to_string(f),
                     f % 2 ? MetricType::Counter : MetricType::Gauge,
                     {}};
    for (int m = 0; m < 30; ++m) {
      ClientMetric c;
      c.label = {{"service", "svc-" + std::to_string(m)}, {"odd", "quote\" back\\ nl\n"}};
      if (m % 7 == 0) c.label.clear();
      const double v = m == 1   ? std::numeric_limits<double>::quiet_NaN()
                       : m == 2 ? std::numeric_limits<double>::infinity()
                       : m == 3 ? -std::numeric_limits<double>::infinity()
                       : m == 4 ? 0.0
                                : value(rng) / std::pow(10.0, m % 12);
      (f % 2 ? c.counter.value : c.gauge.value) = v;
      fam.metric.push_back(c);
    }
    families.push_back(fam);
  }
  check_equivalent(families);
}

// The exposition format requires \\ and \n escaped in HELP; prometheus-cpp
// 1.0.1's TextSerializer writes them raw (a newline would break the scrape).
BOOST_AUTO_TEST_CASE(help_text_escapes_backslash_and_newline) {
  MetricFamily f{"f", "a \\ b\nc", MetricType::Gauge, {}};
  ClientMetric c;
  c.gauge.value = 1;
  f.metric.push_back(c);
  BOOST_TEST(lle::metrics::render_text({f}) == "# HELP f a \\\\ b\\nc\n# TYPE f gauge\nf 1\n");
}

BOOST_AUTO_TEST_CASE(other_metric_types_are_delegated_unchanged) {
  MetricFamily summary{"s", "a summary", MetricType::Summary, {}};
  ClientMetric c;
  c.summary.sample_count = 3;
  c.summary.sample_sum = 1.5;
  c.summary.quantile = {{0.5, 0.25}};
  summary.metric.push_back(c);
  std::ostringstream expected;
  prometheus::TextSerializer().Serialize(expected, {summary});
  BOOST_TEST(lle::metrics::render_text({summary}) == expected.str());
}

BOOST_AUTO_TEST_SUITE_END()
