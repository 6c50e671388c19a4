#pragma once
// A mergeable, subtractable relative-error quantile sketch (DDSketch family) on
// the base-2 exponential grid of Prometheus native histograms, schema 6:
// bucket i holds values in (2^((i-1)/64), 2^(i/64)] seconds, so answering with
// the bucket's representative value is within kRelativeAccuracy (~0.54%) of the
// true value at every quantile. Counts are exact, so merge(a, b) equals the
// sketch of the union, and subtract undoes merge exactly.
//
// Thread safety: none; a sketch belongs to one thread at a time.

#include <bit>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "exporter/core/heap.h"

namespace lle::sketch {

inline constexpr int kBucketsPerOctave = 64;           // schema 6
inline constexpr double kMinValue = 1e-4;              // 0.1 ms
inline constexpr double kMaxValue = 100.0;             // 100 s
inline constexpr int kMinIndex = -850;                 // bucket of kMinValue
inline constexpr int kMaxIndex = 426;                  // bucket of kMaxValue
inline constexpr double kRelativeAccuracy = 0.005415;  // (g-1)/(g+1), g = 2^(1/64), rounded up

namespace detail {
struct Tables {
  std::uint8_t cell_floor[1024];        // smallest k with 2^(k/64) >= 1 + cell/1024
  double bound[kBucketsPerOctave + 1];  // 2^(k/64)
};
extern const Tables kTables;
}  // namespace detail

// Bucket of v for kMinValue <= v <= kMaxValue: ceil(64 * log2(v)) without libm,
// from the exponent bits and a 1024-cell table on the mantissa's top bits.
inline int bucket_index(double v) {
  const auto bits = std::bit_cast<std::uint64_t>(v);
  const int exponent = static_cast<int>((bits >> 52) & 0x7ff) - 1023;
  const std::uint64_t mantissa = bits & ((std::uint64_t{1} << 52) - 1);
  if (mantissa == 0) return exponent * kBucketsPerOctave;
  int k = detail::kTables.cell_floor[mantissa >> 42];
  const double m = std::bit_cast<double>(mantissa | (std::uint64_t{1023} << 52));
  if (m > detail::kTables.bound[k]) ++k;
  return exponent * kBucketsPerOctave + k;
}

// Representative value of bucket i: within kRelativeAccuracy of any value in it.
double bucket_value(int index);

enum class Clamp : std::uint8_t { kNone, kLow, kHigh };
// The bucket a latency is counted in: values below kMinValue (including 0) or above
// kMaxValue go to the edge buckets, and *clamp says which.
inline int clamped_bucket_index(double seconds, Clamp* clamp) {
  if (seconds >= kMinValue && seconds <= kMaxValue) [[likely]] {
    *clamp = Clamp::kNone;
    return bucket_index(seconds);
  }
  if (seconds > kMaxValue) {
    *clamp = Clamp::kHigh;
    return kMaxIndex;
  }
  *clamp = Clamp::kLow;  // below kMinValue, 0 included
  return kMinIndex;
}

// Up to kCapacity latencies as their bucket indices, without a heap block: a quiet
// minute's lines (issue 15: at 6 lines a minute, 10,000 services allocated, grew and
// merged 330,000 sketches of a few values each). LatencySketch::merge of it gives what
// merging a LatencySketch of the same values would, bit for bit (the sum included).
class SmallSketch {
 public:
  static constexpr int kCapacity = 12;
  bool full() const { return size_ == kCapacity; }
  std::uint64_t count() const { return size_; }
  double sum() const { return sum_; }
  // Precondition: !full().
  void add(double seconds) {
    Clamp clamp;
    index_[size_++] = static_cast<std::int16_t>(clamped_bucket_index(seconds, &clamp));
    clamped_low_ += clamp == Clamp::kLow;
    clamped_high_ += clamp == Clamp::kHigh;
    sum_ += seconds;
  }

 private:
  friend class LatencySketch;
  double sum_ = 0;
  std::int16_t index_[kCapacity];
  std::uint8_t size_ = 0, clamped_low_ = 0, clamped_high_ = 0;
};

class LatencySketch {
 public:
  // Fetches the counter add(seconds) would increment into the cache, if it exists.
  void prefetch(double seconds) const {
    if (!(seconds >= kMinValue && seconds <= kMaxValue)) return;
    const auto slot = static_cast<std::size_t>(bucket_index(seconds) - offset_);
    if (slot < counts_.size()) __builtin_prefetch(counts_.data() + slot);
  }
  // Adds a latency in seconds. Values below kMinValue (including 0) or above
  // kMaxValue are clamped into the edge buckets and counted as clamped; callers
  // gate NaN and negatives before this point.
  void add(double seconds) {
    Clamp clamp;
    const int index = clamped_bucket_index(seconds, &clamp);
    if (clamp != Clamp::kNone) [[unlikely]]
      ++(clamp == Clamp::kHigh ? clamped_high_ : clamped_low_);
    auto slot = static_cast<std::size_t>(index - offset_);
    if (slot >= counts_.size()) [[unlikely]] {
      grow_to(index);
      slot = static_cast<std::size_t>(index - offset_);
    }
    if (++counts_[slot] == 0) [[unlikely]]
      carry(slot);
    ++count_;
    sum_ += seconds;
  }

  // An empty sketch with room for the buckets other holds: the next minute of a
  // busy service spans what its last one did, allocated once instead of regrown
  // bucket by bucket (each regrowth leaves a hole in the heap).
  static LatencySketch with_room_of(const LatencySketch& other);

  void merge(const LatencySketch& other);
  void merge(const SmallSketch& few);
  // Removes other, which must have been merged into this before. Returns false
  // (and clamps at zero) if other holds counts this does not.
  bool subtract(const LatencySketch& other);
  void clear();

  // Lower quantile: the value of rank floor(q * (count - 1)). NaN when empty.
  double quantile(double q) const;
  // Several quantiles (ascending) in one pass; out gets NaN when empty.
  void quantiles(std::span<const double> qs, std::span<double> out) const;
  // The same as bucket indices (quantile = bucket_value(index)); not for an empty sketch.
  void quantile_buckets(std::span<const double> qs, std::span<int> out) const;

  // f(index, count) for each bucket with a count, ascending.
  template <class F>
  void for_each_bucket(F&& f) const {
    for (std::size_t i = 0; i < counts_.size(); ++i)
      if (const std::uint64_t c = at(i); c != 0) f(offset_ + static_cast<int>(i), c);
  }

  std::uint64_t count() const { return count_; }
  double sum() const { return sum_; }
  // Replaces the sum by one its caller added up in another order: a float sum
  // depends on the order of addition, the counts do not (a window's hour takes its
  // buckets from 5-minute roll-ups and its sum from its minutes, in their order).
  void set_sum(double sum) { sum_ = sum; }
  bool empty() const { return count_ == 0; }
  std::uint64_t clamped_low() const { return clamped_low_; }
  std::uint64_t clamped_high() const { return clamped_high_; }
  // The heap blocks behind the counts, as the allocator holds them.
  std::size_t memory_bytes() const {
    return core::heap_bytes(counts_.capacity() * sizeof(std::uint32_t)) +
           (high_.empty() ? 0 : core::heap_bytes(high_.capacity() * sizeof(std::uint32_t)));
  }

  // Compact, platform-independent encoding, used for archived slices and snapshots:
  // the occupied range, then the zigzag differences between neighbouring buckets
  // (small: neighbours hold similar counts) Rice-coded in blocks of 16, each block
  // with the parameter that suits it, then sum and clamped counts.
  // kVarint is the encoding of state format 1 (each difference a varint, 40-80%
  // larger), still read from older snapshots. decode returns false on malformed
  // input and leaves *out empty.
  enum class Encoding { kBlockRice, kVarint };
  void encode(std::string& out) const;
  static bool decode(std::string_view in, LatencySketch* out,
                     Encoding encoding = Encoding::kBlockRice);
  // Whether decode would accept it, without building the sketch.
  static bool valid_encoding(std::string_view in);

  friend bool operator==(const LatencySketch& a, const LatencySketch& b);

 private:
  template <bool kFill>
  static bool walk(std::string_view in, Encoding encoding, LatencySketch* s);
  // Room for the buckets [first, last] besides those held, with some slack.
  void grow_to(int first, int last);
  void grow_to(int index) { grow_to(index, index); }
  // [first, last) of counts_ without the zero buckets at either end.
  std::pair<std::size_t, std::size_t> occupied() const;
  // The count of counts_[i] with its high half.
  std::uint64_t at(std::size_t i) const {
    return high_.empty() ? counts_[i] : (std::uint64_t{high_[i]} << 32) | counts_[i];
  }
  void set(std::size_t i, std::uint64_t c);
  void carry(std::size_t i);  // counts_[i] wrapped to 0: one more in its high half

  int offset_ = 0;  // bucket index of counts_[0]
  // The counts' low 32 bits: half the memory of 64-bit counts, and no bucket of a
  // minute, an hour or a week of one service comes near 2^32 lines. high_ holds
  // the high halves, as long as counts_, once a bucket has needed one (never, for
  // most sketches: then it holds no memory).
  std::vector<std::uint32_t> counts_;
  std::vector<std::uint32_t> high_;
  std::uint64_t count_ = 0;
  double sum_ = 0;
  std::uint64_t clamped_low_ = 0;
  std::uint64_t clamped_high_ = 0;
};

// An immutable encoded sketch: under a byte per occupied bucket instead of 8. Held
// as an exact-size buffer (16 bytes of bookkeeping rather than a std::string's 32:
// a service keeps 180 of these). Move-only.
class CompactSketch {
 public:
  CompactSketch() = default;
  explicit CompactSketch(const LatencySketch& s);
  // From encode()'s bytes, as stored in a snapshot; nullopt when malformed.
  static std::optional<CompactSketch> from_encoded(std::string_view bytes);
  // The same without walking the bytes: for a snapshot whose checksum already
  // vouches for them (10,000 services hold 1.7M archived slices). Bytes that are
  // nevertheless malformed expand() to an empty sketch: never undefined behaviour.
  static CompactSketch from_checksummed(std::string_view bytes);
  // From a state format 1 snapshot (Encoding::kVarint), re-encoded; malformed
  // bytes give an empty sketch.
  static CompactSketch from_format_1(std::string_view bytes);
  LatencySketch expand() const;
  std::size_t memory_bytes() const { return core::heap_bytes(size_); }
  std::string_view bytes() const { return {data_.get(), size_}; }

 private:
  std::unique_ptr<char[]> data_;
  std::uint32_t size_ = 0;
};

}  // namespace lle::sketch
