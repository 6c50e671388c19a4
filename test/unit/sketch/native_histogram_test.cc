#include "exporter/sketch/native_histogram.h"

#include <boost/test/unit_test.hpp>
#include <cmath>
#include <map>
#include <random>
#include <vector>

using lle::sketch::LatencySketch;
using lle::sketch::NativeHistogram;

namespace {

// index -> count, read back from spans and deltas as Prometheus reads them.
std::map<int, std::int64_t> buckets(const NativeHistogram& h) {
  std::map<int, std::int64_t> out;
  std::size_t d = 0;
  std::int64_t count = 0;
  int index = 0;
  for (const auto& s : h.spans) {
    index += s.offset;
    for (std::uint32_t i = 0; i < s.length; ++i, ++index) {
      BOOST_TEST_REQUIRE(d < h.deltas.size());
      count += h.deltas[d++];
      BOOST_TEST_REQUIRE(count >= 0);
      if (count > 0) out[index] += count;
    }
  }
  BOOST_TEST(d == h.deltas.size());
  return out;
}

// The bucket of v at schema s from the definition: (2^((j-1)/2^s), 2^(j/2^s)].
int exact_index(double v, int schema) {
  return static_cast<int>(std::ceil(std::log2(static_cast<long double>(v)) * (1 << schema)));
}

}  // namespace

BOOST_AUTO_TEST_SUITE(sketch_native_histogram)

BOOST_AUTO_TEST_CASE(every_schema_holds_each_value_in_its_own_bucket_and_the_underflow_at_zero) {
  std::mt19937_64 rng(7);
  std::lognormal_distribution<double> lat(std::log(0.08), 1.5);
  std::vector<double> values;
  for (int i = 0; i < 20000; ++i) values.push_back(lat(rng));
  for (double v : {0.0, 5e-5, 9e-5, 150.0, 1e4}) values.push_back(v);  // clamped ones
  LatencySketch s;
  for (double v : values) s.add(v);
  for (int schema = 0; schema <= lle::sketch::kMaxSchema; ++schema) {
    const NativeHistogram h = lle::sketch::to_native(s, schema);
    BOOST_TEST(h.schema == schema);
    std::map<int, std::int64_t> expected;
    std::uint64_t below = 0;
    for (double v : values) {
      if (v < lle::sketch::kMinValue) {
        ++below;
        continue;
      }
      if (v > lle::sketch::kMaxValue) {  // the top bucket
        ++expected[lle::sketch::native_index(lle::sketch::kMaxIndex, schema)];
        continue;
      }
      BOOST_TEST_REQUIRE(lle::sketch::native_index(exact_index(v, 6), schema) ==
                         exact_index(v, schema));
      ++expected[exact_index(v, schema)];
    }
    BOOST_TEST(h.zero_count == below);
    BOOST_TEST(h.count == values.size());
    BOOST_TEST((buckets(h) == expected), "schema " << schema);
  }
}

// 0.25 s = 2^-2 is a bucket's upper bound at every schema, so a fraction of
// requests at or below 250 ms needs no interpolation.
BOOST_AUTO_TEST_CASE(a_quarter_second_closes_a_bucket_at_every_schema) {
  LatencySketch s;
  s.add(0.25);
  s.add(0.2500001);
  for (int schema = 0; schema <= lle::sketch::kMaxSchema; ++schema) {
    const auto b = buckets(lle::sketch::to_native(s, schema));
    BOOST_TEST_REQUIRE(b.size() == 2u);
    BOOST_TEST(std::exp2(static_cast<double>(b.begin()->first) / (1 << schema)) == 0.25);
  }
}

BOOST_AUTO_TEST_CASE(short_gaps_stay_inside_a_span_and_long_ones_start_a_new_one) {
  LatencySketch s;
  const auto at = [](int k) { return std::exp2((k - 0.5) / 64); };  // inside bucket k
  for (int i = 0; i < 3; ++i) s.add(at(10));
  s.add(at(13));
  for (int i = 0; i < 5; ++i) s.add(at(20));
  const NativeHistogram h = lle::sketch::to_native(s, 6);
  BOOST_TEST_REQUIRE(h.spans.size() == 2u);
  BOOST_TEST(h.spans[0].offset == 10);
  BOOST_TEST(h.spans[0].length == 4u);
  BOOST_TEST(h.spans[1].offset == 6);
  BOOST_TEST(h.spans[1].length == 1u);
  BOOST_TEST((h.deltas == std::vector<std::int64_t>{3, -3, 0, 1, 4}));
  BOOST_TEST(lle::sketch::to_native(LatencySketch{}, 3).spans.empty());
}

BOOST_AUTO_TEST_CASE(classic_buckets_at_powers_of_two_count_exactly) {
  std::mt19937_64 rng(11);
  std::lognormal_distribution<double> lat(std::log(0.2), 1.2);
  std::vector<double> values = {0.25, 0.5, 1.0, 0.0, 1e-6, 500.0};  // bounds, clamped
  for (int i = 0; i < 5000; ++i) values.push_back(lat(rng));
  LatencySketch s;
  for (double v : values) s.add(v);
  const std::vector<double> bounds = {1.0 / 8192, 0.125, 0.25, 0.5, 1, 2, 64};
  const auto counts = lle::sketch::cumulative_counts(s, bounds);
  BOOST_TEST_REQUIRE(counts.size() == bounds.size());
  for (std::size_t i = 0; i < bounds.size(); ++i) {
    std::uint64_t expected = 0;
    for (double v : values) expected += std::min(v, lle::sketch::kMaxValue) <= bounds[i];
    BOOST_TEST(counts[i] == expected, "le " << bounds[i]);
  }
}

BOOST_AUTO_TEST_SUITE_END()
