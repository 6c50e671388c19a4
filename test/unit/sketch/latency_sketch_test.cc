#include "exporter/sketch/latency_sketch.h"

#include <algorithm>
#include <boost/test/data/test_case.hpp>
#include <boost/test/unit_test.hpp>
#include <cmath>
#include <ostream>
#include <random>
#include <vector>

namespace bdata = boost::unit_test::data;
using lle::sketch::LatencySketch;

namespace {

// Value generators in seconds, all inside the sketch's guaranteed range.
enum class Dist { kLognormal, kBimodal, kConstant, kUniform, kPareto };

std::ostream& operator<<(std::ostream& os, Dist d) {
  static const char* const kNames[] = {"lognormal", "bimodal", "constant", "uniform", "pareto"};
  return os << kNames[static_cast<int>(d)];
}

std::vector<double> generate(Dist d, std::size_t n, std::uint32_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<double> v(n);
  std::lognormal_distribution<double> lognormal(std::log(0.05), 0.8);
  std::normal_distribution<double> fast(0.004, 0.0005), slow(0.8, 0.1);
  std::uniform_real_distribution<double> uniform(0.0001, 100.0), unit(0.0, 1.0);
  for (auto& x : v) {
    switch (d) {
      case Dist::kLognormal:
        x = lognormal(rng);
        break;
      case Dist::kBimodal:
        x = unit(rng) < 0.9 ? fast(rng) : slow(rng);
        break;
      case Dist::kConstant:
        x = 0.123;
        break;
      case Dist::kUniform:
        x = uniform(rng);
        break;
      case Dist::kPareto:
        x = 0.001 / std::pow(1.0 - unit(rng), 1.0 / 1.2);
        break;
    }
    x = std::clamp(x, lle::sketch::kMinValue, lle::sketch::kMaxValue);
  }
  return v;
}

// The exact lower quantile the sketch promises to approximate.
double exact_quantile(std::vector<double> sorted, double q) {
  return sorted[static_cast<std::size_t>(q * static_cast<double>(sorted.size() - 1))];
}

const std::vector<Dist> kDists = {Dist::kLognormal, Dist::kBimodal, Dist::kConstant, Dist::kUniform,
                                  Dist::kPareto};
const std::vector<std::size_t> kSizes = {1, 2, 10, 1000, 100000, 1000000};
const std::vector<double> kQuantiles = {0, 0.5, 0.9, 0.95, 0.99, 0.999, 1};

}  // namespace

BOOST_AUTO_TEST_SUITE(sketch_latency_sketch)

BOOST_AUTO_TEST_CASE(bucket_index_matches_the_log_definition_over_the_whole_range) {
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> exponent(std::log2(lle::sketch::kMinValue),
                                                  std::log2(lle::sketch::kMaxValue));
  for (int i = 0; i < 200000; ++i) {
    const double v = std::exp2(exponent(rng));
    const double exact = std::ceil(64.0 * std::log2(v));
    const int got = lle::sketch::bucket_index(v);
    // libm's log2 may round across a boundary by one ulp; the table must agree
    // with the definition except within that rounding.
    if (got != exact) {
      BOOST_TEST(std::abs(64.0 * std::log2(v) - std::round(64.0 * std::log2(v))) < 1e-9);
    }
  }
  BOOST_TEST(lle::sketch::bucket_index(1.0) == 0);
  BOOST_TEST(lle::sketch::bucket_index(2.0) == 64);
  BOOST_TEST(lle::sketch::bucket_index(0.5) == -64);
  BOOST_TEST(lle::sketch::bucket_index(lle::sketch::kMinValue) == lle::sketch::kMinIndex);
  BOOST_TEST(lle::sketch::bucket_index(lle::sketch::kMaxValue) == lle::sketch::kMaxIndex);
}

BOOST_DATA_TEST_CASE(quantiles_are_within_the_relative_error_bound_of_the_exact_oracle,
                     bdata::make(kDists) * bdata::make(kSizes), dist, size) {
  const auto values = generate(dist, size, static_cast<std::uint32_t>(size) * 31 + 1);
  LatencySketch s;
  for (double v : values) s.add(v);
  auto sorted = values;
  std::sort(sorted.begin(), sorted.end());
  BOOST_TEST_REQUIRE(s.count() == size);
  for (double q : kQuantiles) {
    const double exact = exact_quantile(sorted, q);
    const double got = s.quantile(q);
    BOOST_TEST(std::abs(got - exact) / exact <= lle::sketch::kRelativeAccuracy,
               "q=" << q << " exact=" << exact << " got=" << got);
  }
}

BOOST_DATA_TEST_CASE(merge_equals_the_sketch_of_the_union, bdata::make(kDists), dist) {
  const auto a = generate(dist, 50000, 1), b = generate(Dist::kPareto, 30000, 2);
  LatencySketch sa, sb, su;
  for (double v : a) sa.add(v), su.add(v);
  for (double v : b) sb.add(v), su.add(v);
  sa.merge(sb);
  BOOST_TEST((sa == su));
  for (double q : kQuantiles) BOOST_TEST(sa.quantile(q) == su.quantile(q));
}

// A few values held as indices merge as a sketch of them would, bit for bit: into an
// empty sketch, into one whose range they extend on either side, clamped ones too.
BOOST_DATA_TEST_CASE(a_small_sketch_merges_as_the_sketch_of_its_values, bdata::make(kDists), dist) {
  const auto base = generate(dist, 200, 5);
  auto few = generate(Dist::kUniform, lle::sketch::SmallSketch::kCapacity - 2, 6);
  few.push_back(0.0);     // clamped low
  few.push_back(1000.0);  // clamped high
  lle::sketch::SmallSketch small;
  LatencySketch dense;
  for (double v : few) small.add(v), dense.add(v);
  BOOST_TEST(small.full());
  BOOST_TEST(small.count() == few.size());
  LatencySketch a, b, from_nothing;
  for (double v : base) a.add(v), b.add(v);
  a.merge(small);
  b.merge(dense);
  from_nothing.merge(small);
  BOOST_TEST((a == b));
  BOOST_TEST(a.sum() == b.sum());  // exactly: the same additions in the same order
  BOOST_TEST((from_nothing == dense));
  BOOST_TEST(from_nothing.sum() == dense.sum());
  BOOST_TEST(from_nothing.clamped_low() == 1u);
  BOOST_TEST(from_nothing.clamped_high() == 1u);
  for (double q : kQuantiles) BOOST_TEST(a.quantile(q) == b.quantile(q));
}

BOOST_DATA_TEST_CASE(subtract_inverts_merge, bdata::make(kDists), dist) {
  const auto a = generate(dist, 20000, 3), b = generate(Dist::kUniform, 20000, 4);
  LatencySketch sa, sb, merged;
  for (double v : a) sa.add(v);
  for (double v : b) sb.add(v);
  merged.merge(sa);
  merged.merge(sb);
  BOOST_TEST(merged.subtract(sb));
  BOOST_TEST((merged == sa));
  for (double q : kQuantiles) BOOST_TEST(merged.quantile(q) == sa.quantile(q));
  BOOST_TEST(merged.sum() == sa.sum(), boost::test_tools::tolerance(1e-9));
}

BOOST_AUTO_TEST_CASE(subtracting_what_was_never_added_is_reported_and_clamped_at_zero) {
  LatencySketch s, other;
  s.add(0.010);
  other.add(0.010);
  other.add(5.0);
  BOOST_TEST(!s.subtract(other));
  BOOST_TEST(s.count() == 0u);
  BOOST_TEST(std::isnan(s.quantile(0.5)));
}

BOOST_AUTO_TEST_CASE(values_outside_the_range_are_clamped_and_counted_never_dropped) {
  LatencySketch s;
  s.add(0.0);
  s.add(1e-7);
  s.add(1000.0);
  s.add(0.2);
  BOOST_TEST(s.count() == 4u);
  BOOST_TEST(s.clamped_low() == 2u);
  BOOST_TEST(s.clamped_high() == 1u);
  BOOST_TEST(s.quantile(0) == lle::sketch::bucket_value(lle::sketch::kMinIndex));
  BOOST_TEST(s.quantile(1) == lle::sketch::bucket_value(lle::sketch::kMaxIndex));
}

BOOST_AUTO_TEST_CASE(empty_sketch_answers_nan) {
  LatencySketch s;
  BOOST_TEST(std::isnan(s.quantile(0.95)));
  BOOST_TEST(s.empty());
}

BOOST_AUTO_TEST_CASE(several_quantiles_in_one_pass_equal_single_queries) {
  LatencySketch s;
  for (double v : generate(Dist::kLognormal, 10000, 9)) s.add(v);
  const double qs[] = {0.5, 0.95, 0.99};
  double out[3];
  s.quantiles(qs, out);
  for (int i = 0; i < 3; ++i) BOOST_TEST(out[i] == s.quantile(qs[i]));
}

BOOST_DATA_TEST_CASE(encode_then_decode_round_trips, bdata::make(kDists), dist) {
  LatencySketch s;
  for (double v : generate(dist, 5000, 11)) s.add(v);
  s.add(500.0);
  std::string bytes;
  s.encode(bytes);
  LatencySketch back;
  BOOST_TEST_REQUIRE(LatencySketch::decode(bytes, &back));
  BOOST_TEST((back == s));
  BOOST_TEST(back.sum() == s.sum());
  const lle::sketch::CompactSketch compact(s);
  BOOST_TEST((compact.expand() == s));
  BOOST_TEST(compact.memory_bytes() < s.memory_bytes());
  const auto from_bytes = lle::sketch::CompactSketch::from_encoded(bytes);
  BOOST_TEST_REQUIRE(from_bytes.has_value());
  BOOST_TEST((from_bytes->expand() == s));
}

// Snapshots hold sketches as encode() writes them, so its bytes must not change
// with its implementation: these are the bytes the first Block-Rice encoder wrote
// for a sketch with every kind of block (sparse and dense buckets, a count that
// needs a long unary quotient, clamped values), as FNV-1a 64 and length.
BOOST_AUTO_TEST_CASE(the_encoding_of_a_sketch_does_not_change) {
  LatencySketch s, spike;  // values from integer arithmetic: the same on any library
  for (int i = 0; i < 3000; ++i) s.add((1 + (i * 7919) % 5000) / 10000.0);
  for (int i = 0; i < 3000; ++i) s.add(0.05 + (i % 100) / 10000.0);
  for (int i = 0; i < 100; ++i) spike.add(0.0301);
  for (int doubling = 0; doubling < 30; ++doubling) spike.merge(LatencySketch(spike));
  s.merge(spike);
  s.add(0.0), s.add(500.0);
  std::string bytes;
  s.encode(bytes);
  std::uint64_t h = 0xcbf29ce484222325;
  for (const char c : bytes) h = (h ^ static_cast<std::uint8_t>(c)) * 0x100000001b3;
  BOOST_TEST(bytes.size() == 472u);
  BOOST_TEST(h == 0x774d260a5e309804u);
}

// Counts of any size, next to empty buckets: blocks whose Rice parameter must be
// large, and a first difference as large as the count itself.
BOOST_AUTO_TEST_CASE(huge_counts_next_to_empty_buckets_round_trip) {
  LatencySketch s;
  for (int i = 0; i < 100; ++i) s.add(0.001), s.add(0.002);
  s.add(50.0);
  for (int doubling = 0; doubling < 34; ++doubling) s.merge(LatencySketch(s));  // ~2^41 lines
  s.add(0.0011);
  std::string bytes;
  s.encode(bytes);
  LatencySketch back;
  BOOST_TEST_REQUIRE(LatencySketch::decode(bytes, &back));
  BOOST_TEST((back == s));
  BOOST_TEST(back.count() > (std::uint64_t{1} << 40));
}

// Counts are held as 32-bit halves: a bucket that passes 2^32 - 1 by an add, a
// merge or a decode carries into its high half, and a subtraction borrows back.
BOOST_AUTO_TEST_CASE(a_bucket_passing_two_to_the_32_carries_and_borrows_exactly) {
  LatencySketch one, all_but_one, doubling;
  one.add(0.25);
  doubling.add(0.25);
  for (int bit = 0; bit < 32; ++bit) {  // 2^0 + ... + 2^31 = 2^32 - 1 lines at 0.25 s
    all_but_one.merge(doubling);
    doubling.merge(LatencySketch(doubling));
  }
  all_but_one.add(0.002);  // a second bucket, so quantiles can tell them apart
  const std::uint64_t kLow = (std::uint64_t{1} << 32) - 1;
  BOOST_TEST_REQUIRE(all_but_one.count() == kLow + 1);
  const std::size_t narrow = all_but_one.memory_bytes();

  LatencySketch added = all_but_one, merged = all_but_one;
  added.add(0.25);    // by an add
  merged.merge(one);  // by a merge
  BOOST_TEST((added == merged));
  BOOST_TEST(added.memory_bytes() > narrow);  // the high halves exist now
  std::uint64_t at_quarter = 0;
  added.for_each_bucket([&](int index, std::uint64_t n) {
    if (index == lle::sketch::bucket_index(0.25)) at_quarter = n;
  });
  BOOST_TEST(at_quarter == kLow + 1);
  // Rank 0 is the 2 ms line, every other rank the 0.25 s bucket.
  BOOST_TEST(added.quantile(0) == lle::sketch::bucket_value(lle::sketch::bucket_index(0.002)));
  BOOST_TEST(added.quantile(1e-9) == lle::sketch::bucket_value(lle::sketch::bucket_index(0.25)));

  std::string bytes;
  added.encode(bytes);
  LatencySketch back;
  BOOST_TEST_REQUIRE(LatencySketch::decode(bytes, &back));  // by a decode
  BOOST_TEST((back == added));

  BOOST_TEST(back.subtract(one));  // borrows from the high half
  BOOST_TEST((back == all_but_one));
  back.merge(doubling);  // 2^32 more, into the high half alone
  BOOST_TEST(back.count() == kLow + 1 + (std::uint64_t{1} << 32));
  BOOST_TEST(back.subtract(doubling));
  BOOST_TEST((back == all_but_one));
}

// An hour at 100 lines/s: the Rice-coded differences take under a byte per
// occupied bucket (state format 1's varints took about 1.2).
BOOST_AUTO_TEST_CASE(an_hour_of_lognormal_latencies_takes_under_a_byte_per_bucket) {
  std::mt19937_64 rng(3);
  std::lognormal_distribution<double> lat(std::log(0.08), 0.5);
  LatencySketch s;
  for (int i = 0; i < 360000; ++i) s.add(lat(rng));
  std::string bytes;
  s.encode(bytes);
  const double lo = std::log2(s.quantile(0)) * lle::sketch::kBucketsPerOctave,
               hi = std::log2(s.quantile(1)) * lle::sketch::kBucketsPerOctave;
  const double buckets = hi - lo + 1;
  BOOST_TEST(buckets > 300);
  BOOST_TEST(static_cast<double>(bytes.size()) < buckets,
             bytes.size() << " bytes, " << buckets << " buckets");
}

// Sketches in snapshots of state format 1 (a varint per difference) still read:
// this encoding is made by hand, byte by byte.
BOOST_AUTO_TEST_CASE(the_varint_encoding_of_state_format_1_still_decodes) {
  LatencySketch s;
  s.add(1.0), s.add(1.0), s.add(2.0);  // buckets 0 (twice) and 64
  std::string bytes;
  bytes += '\x00';                                              // first bucket 0, zigzag
  bytes += '\x41';                                              // 65 buckets
  bytes += '\x04';                                              // +2
  bytes += '\x03';                                              // -2
  bytes += std::string(62, '\0');                               // 62 x +0
  bytes += '\x02';                                              // +1
  bytes += std::string("\x00\x00\x00\x00\x00\x00\x10\x40", 8);  // sum 4.0, little-endian
  bytes += std::string("\x00\x00", 2);                          // nothing clamped
  LatencySketch back;
  BOOST_TEST_REQUIRE(LatencySketch::decode(bytes, &back, LatencySketch::Encoding::kVarint));
  BOOST_TEST((back == s));
  BOOST_TEST(back.sum() == 4.0);
  BOOST_TEST((lle::sketch::CompactSketch::from_format_1(bytes).expand() == s));
  BOOST_TEST(lle::sketch::CompactSketch::from_format_1(bytes.substr(0, 40)).expand().empty());
}

// Random damage to an encoding is refused or decodes to some valid sketch; it
// never reads out of bounds (the ASan build runs this too).
BOOST_AUTO_TEST_CASE(damaged_encodings_never_crash) {
  LatencySketch s;
  for (double v : generate(Dist::kPareto, 20000, 9)) s.add(v);
  std::string bytes;
  s.encode(bytes);
  std::mt19937 rng(17);
  int refused = 0;
  for (int trial = 0; trial < 3000; ++trial) {
    std::string bad = bytes;
    for (int flips = 1 + trial % 3; flips > 0; --flips)
      bad[rng() % bad.size()] ^= static_cast<char>(1 << (rng() % 8));
    LatencySketch out;
    if (LatencySketch::decode(bad, &out)) {
      BOOST_TEST(LatencySketch::valid_encoding(bad));
    } else {
      ++refused;
      BOOST_TEST(out.empty());
    }
  }
  BOOST_TEST(refused > 0);
}

BOOST_AUTO_TEST_CASE(decode_rejects_truncated_and_corrupt_input) {
  LatencySketch s;
  for (double v : generate(Dist::kLognormal, 1000, 5)) s.add(v);
  std::string bytes;
  s.encode(bytes);
  LatencySketch out;
  for (std::size_t cut = 0; cut < bytes.size(); ++cut) {
    const auto part = std::string_view(bytes).substr(0, cut);
    BOOST_TEST(!LatencySketch::decode(part, &out));
    BOOST_TEST(out.empty());
    BOOST_TEST(!LatencySketch::valid_encoding(part));
    BOOST_TEST(!lle::sketch::CompactSketch::from_encoded(part).has_value());
    // Taken unwalked from a checksummed snapshot, it still expands safely: to nothing.
    BOOST_TEST(lle::sketch::CompactSketch::from_checksummed(part).expand().empty());
  }
  BOOST_TEST((lle::sketch::CompactSketch::from_checksummed(bytes).expand() == s));
  BOOST_TEST(LatencySketch::valid_encoding(bytes));
  BOOST_TEST(!LatencySketch::valid_encoding(bytes + "x"));
  BOOST_TEST(!LatencySketch::decode(bytes + "x", &out));
  std::string bad_index = bytes;
  bad_index[0] = '\x7e';  // an offset far outside the grid
  BOOST_TEST(!LatencySketch::decode(bad_index, &out));
}

// Found by fuzz_state: a count delta of INT64_MIN (zigzag 2^64-1) was negated in
// signed arithmetic. It is refused as a negative count, without UB (UBSan in CI).
BOOST_AUTO_TEST_CASE(a_count_delta_of_int64_min_is_refused) {
  const auto varint = [](std::uint64_t v) {
    std::string out;
    for (; v >= 0x80; v >>= 7) out += static_cast<char>((v & 0x7f) | 0x80);
    return out + static_cast<char>(v);
  };
  const std::uint64_t first =
      2 * static_cast<std::uint64_t>(-lle::sketch::kMinIndex) - 1;  // zigzag
  const std::string bytes = varint(first) + varint(1) + varint(~std::uint64_t{0});
  LatencySketch out;
  BOOST_TEST(!LatencySketch::decode(bytes, &out, LatencySketch::Encoding::kVarint));
  BOOST_TEST(out.empty());
  // Also found by fuzz_state: a first index near INT64_MAX overflowed first + n.
  const std::uint64_t huge_first = 2 * (std::uint64_t{INT64_MAX} - 3);  // zigzag
  for (const auto e : {LatencySketch::Encoding::kVarint, LatencySketch::Encoding::kBlockRice}) {
    BOOST_TEST(
        !LatencySketch::decode(varint(huge_first) + varint(55) + std::string(55, '\0'), &out, e));
  }
}

BOOST_AUTO_TEST_SUITE_END()
