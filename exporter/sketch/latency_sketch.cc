#include "exporter/sketch/latency_sketch.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <limits>

namespace lle::sketch {
namespace detail {
namespace {
Tables make_tables() {
  Tables t{};
  for (int k = 0; k <= kBucketsPerOctave; ++k)
    t.bound[k] = std::exp2(k / double(kBucketsPerOctave));
  for (int cell = 0; cell < 1024; ++cell) {
    const double low = 1.0 + cell / 1024.0;
    int k = 0;
    while (t.bound[k] < low) ++k;
    t.cell_floor[cell] = static_cast<std::uint8_t>(k);
  }
  return t;
}
}  // namespace
const Tables kTables = make_tables();
}  // namespace detail

namespace {
constexpr int kGrowSlack = 8;  // room to grow without reallocating on every new bucket

void put_varint(std::string& out, std::uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}

bool get_varint(std::string_view& in, std::uint64_t* v) {
  std::uint64_t result = 0;
  for (int shift = 0; shift < 64 && !in.empty(); shift += 7) {
    const auto byte = static_cast<std::uint8_t>(in.front());
    in.remove_prefix(1);
    result |= std::uint64_t{byte & 0x7fu} << shift;
    if ((byte & 0x80) == 0) {
      *v = result;
      return true;
    }
  }
  return false;
}

std::uint64_t zigzag(std::int64_t v) {
  return (static_cast<std::uint64_t>(v) << 1) ^ static_cast<std::uint64_t>(v >> 63);
}
std::int64_t unzigzag(std::uint64_t v) {
  return static_cast<std::int64_t>(v >> 1) ^ -static_cast<std::int64_t>(v & 1);
}

// Rice coding of the bucket differences: a block of kRiceBlock values shares a
// parameter k (6 bits); each value v is v >> k in unary (ones, then a zero) and
// then its low k bits. Bits are packed from the least significant bit of each byte.
constexpr std::size_t kRiceBlock = 16;
constexpr int kRiceParameterBits = 6;

class BitWriter {
 public:
  explicit BitWriter(std::string& out) : out_(out) {}
  void put(std::uint64_t v, int bits) {  // the low `bits` (<= 64) bits of v
    if (bits > 32) {
      put_low(v & 0xffffffffu, 32);
      v >>= 32;
      bits -= 32;
    }
    put_low(v & ((std::uint64_t{1} << bits) - 1), bits);
  }
  void put_unary(std::uint64_t q) {
    for (; q >= 32; q -= 32) put_low(0xffffffffu, 32);
    put_low((std::uint64_t{1} << q) - 1, static_cast<int>(q) + 1);  // q ones, then a zero
  }
  // v >> k in unary, then the low k bits of v: in one step when they fit in 32 bits.
  void put_rice(std::uint64_t v, int k) {
    const std::uint64_t q = v >> k;
    if (q + 1 + static_cast<std::uint64_t>(k) > 32) {
      put_unary(q);
      put(v, k);
      return;
    }
    const std::uint64_t low = v & ((std::uint64_t{1} << k) - 1);
    put_low(((std::uint64_t{1} << q) - 1) | (low << (q + 1)), static_cast<int>(q) + 1 + k);
  }
  void finish() {  // the bits left, the last byte padded with zeros
    for (; used_ > 0; used_ -= std::min(used_, 8), acc_ >>= 8)
      out_.push_back(static_cast<char>(acc_ & 0xff));
    acc_ = 0;
  }

 private:
  // v < 2^bits, bits <= 32. Fewer than 32 bits wait in acc_, so they fit; whole
  // 32-bit words go out at once, least significant byte first.
  void put_low(std::uint64_t v, int bits) {
    acc_ |= v << used_;
    used_ += bits;
    if (used_ < 32) return;
    const char word[4] = {static_cast<char>(acc_ & 0xff), static_cast<char>((acc_ >> 8) & 0xff),
                          static_cast<char>((acc_ >> 16) & 0xff),
                          static_cast<char>((acc_ >> 24) & 0xff)};
    out_.append(word, 4);
    acc_ >>= 32;
    used_ -= 32;
  }

  std::string& out_;
  std::uint64_t acc_ = 0;
  int used_ = 0;
};

class BitReader {
 public:
  explicit BitReader(std::string_view in) : in_(in) {}
  bool get(int bits, std::uint64_t* v) {  // bits <= 64
    std::uint64_t out = 0;
    for (int done = 0; done < bits;) {
      const int n = std::min(bits - done, 32);
      refill();
      if (avail_ < n) return false;
      out |= (window_ & ((std::uint64_t{1} << n) - 1)) << done;
      consume(n);
      done += n;
    }
    *v = out;
    return true;
  }
  // Ones up to the next zero; false past the end or beyond `limit` ones.
  bool get_unary(std::uint64_t limit, std::uint64_t* q) {
    std::uint64_t ones = 0;
    for (;;) {
      refill();
      if (avail_ == 0) return false;
      const int run = std::min(std::countr_one(window_), avail_);
      ones += static_cast<std::uint64_t>(run);
      if (ones > limit) return false;
      if (run < avail_) {
        consume(run + 1);
        *q = ones;
        return true;
      }
      consume(run);
    }
  }
  // The bytes after the coded part; false unless its padding bits are zero.
  bool rest(std::string_view* out) {
    const int pad = avail_ % 8;
    if ((window_ & ((std::uint64_t{1} << pad) - 1)) != 0) return false;
    *out = in_.substr(pos_ - static_cast<std::size_t>(avail_ / 8));
    return true;
  }

 private:
  void refill() {
    for (; avail_ <= 56 && pos_ < in_.size(); avail_ += 8)
      window_ |= std::uint64_t{static_cast<std::uint8_t>(in_[pos_++])} << avail_;
  }
  void consume(int n) {
    window_ = n == 64 ? 0 : window_ >> n;
    avail_ -= n;
  }
  std::string_view in_;
  std::size_t pos_ = 0;
  std::uint64_t window_ = 0;
  int avail_ = 0;
};

// The Rice parameter for a block: the best of the three around log2 of its mean.
int rice_parameter(const std::uint64_t* v, std::size_t n) {
  std::uint64_t total = 0;
  for (std::size_t i = 0; i < n; ++i) total += std::min(v[i], std::uint64_t{1} << 56);
  const int guess = std::max(0, static_cast<int>(std::bit_width(total / n)) - 1);
  int best = guess;
  std::uint64_t best_bits = std::numeric_limits<std::uint64_t>::max();
  for (int k = std::max(0, guess - 1); k <= std::min(63, guess + 1); ++k) {
    std::uint64_t bits = 0;
    for (std::size_t i = 0; i < n; ++i) bits += (v[i] >> k) + 1 + static_cast<std::uint64_t>(k);
    if (bits < best_bits) best_bits = bits, best = k;
  }
  return best;
}
}  // namespace

double bucket_value(int index) {
  // 2 * upper / (1 + g): the point whose relative distance to both bucket ends is equal.
  static const double kFactor = 2.0 / (1.0 + std::exp2(1.0 / kBucketsPerOctave));
  return std::exp2(index / double(kBucketsPerOctave)) * kFactor;
}

void LatencySketch::grow_to(int first, int last) {
  if (counts_.empty()) {
    offset_ = std::max(kMinIndex, first - kGrowSlack);
    counts_.assign(static_cast<std::size_t>(std::min(kMaxIndex, last + kGrowSlack) - offset_ + 1),
                   0);
    return;
  }
  const int old_end = offset_ + static_cast<int>(counts_.size());  // exclusive
  const int new_begin = first < offset_ ? std::max(kMinIndex, first - kGrowSlack) : offset_;
  const int new_end = last >= old_end ? std::min(kMaxIndex + 1, last + kGrowSlack + 1) : old_end;
  if (new_begin == offset_ && new_end == old_end) return;
  const auto regrown = [&](const std::vector<std::uint32_t>& v) {
    std::vector<std::uint32_t> grown(static_cast<std::size_t>(new_end - new_begin), 0);
    std::copy(v.begin(), v.end(), grown.begin() + (offset_ - new_begin));
    return grown;
  };
  counts_ = regrown(counts_);
  if (!high_.empty()) high_ = regrown(high_);
  offset_ = new_begin;
}

void LatencySketch::set(std::size_t i, std::uint64_t c) {
  counts_[i] = static_cast<std::uint32_t>(c);
  if (c >> 32 != 0 && high_.empty()) high_.assign(counts_.size(), 0);
  if (!high_.empty()) high_[i] = static_cast<std::uint32_t>(c >> 32);
}

void LatencySketch::carry(std::size_t i) {
  if (high_.empty()) high_.assign(counts_.size(), 0);
  ++high_[i];
}

std::pair<std::size_t, std::size_t> LatencySketch::occupied() const {
  std::size_t first = 0, last = counts_.size();
  while (first < last && at(first) == 0) ++first;
  while (last > first && at(last - 1) == 0) --last;
  return {first, last};
}

LatencySketch LatencySketch::with_room_of(const LatencySketch& other) {
  LatencySketch s;
  const auto [first, last] = other.occupied();
  if (first == last) return s;
  s.offset_ = std::max(kMinIndex, other.offset_ + static_cast<int>(first) - kGrowSlack);
  const int end = std::min(kMaxIndex + 1, other.offset_ + static_cast<int>(last) + kGrowSlack);
  s.counts_.assign(static_cast<std::size_t>(end - s.offset_), 0);
  return s;
}

void LatencySketch::merge(const LatencySketch& other) {
  if (other.count_ == 0) return;
  if (counts_.empty()) {  // into nothing: one copy, not two regrowths
    counts_ = other.counts_;
    high_ = other.high_;
    offset_ = other.offset_;
  } else {
    grow_to(other.offset_, other.offset_ + static_cast<int>(other.counts_.size()) - 1);
    const auto first = static_cast<std::size_t>(other.offset_ - offset_);
    std::uint32_t* dst = counts_.data() + first;
    const std::uint32_t* src = other.counts_.data();
    const std::size_t n = other.counts_.size();
    // The low halves in one vectorisable pass; a sum that wrapped is below what
    // was added, and carries into its high half (rare: then a second pass).
    // (Each value read once: re-reading src after the store to dst, which may
    // alias it for all the compiler knows, kept this loop scalar.)
    unsigned wrapped = 0;
    for (std::size_t i = 0; i < n; ++i) {
      const std::uint32_t add = src[i], sum = dst[i] + add;
      dst[i] = sum;
      wrapped |= sum < add;
    }
    if (wrapped || !other.high_.empty()) {
      if (high_.empty()) high_.assign(counts_.size(), 0);
      for (std::size_t i = 0; i < n; ++i)
        high_[first + i] += (dst[i] < src[i]) + (other.high_.empty() ? 0 : other.high_[i]);
    }
  }
  count_ += other.count_;
  sum_ += other.sum_;
  clamped_low_ += other.clamped_low_;
  clamped_high_ += other.clamped_high_;
}

bool LatencySketch::subtract(const LatencySketch& other) {
  bool consistent = true;
  for (std::size_t i = 0; i < other.counts_.size(); ++i) {
    const std::uint64_t c = other.at(i);
    if (c == 0) continue;
    const auto slot = static_cast<std::size_t>(other.offset_ + static_cast<int>(i) - offset_);
    if (slot >= counts_.size() || at(slot) < c) {
      consistent = false;
      if (slot < counts_.size()) set(slot, 0);
      continue;
    }
    set(slot, at(slot) - c);
  }
  auto sat_sub = [&](std::uint64_t& a, std::uint64_t b) {
    if (a < b) consistent = false;
    a = a < b ? 0 : a - b;
  };
  sat_sub(count_, other.count_);
  sat_sub(clamped_low_, other.clamped_low_);
  sat_sub(clamped_high_, other.clamped_high_);
  sum_ = count_ == 0 ? 0 : sum_ - other.sum_;
  if (!consistent) {  // recompute the count from the buckets so quantiles stay valid
    count_ = 0;
    for (std::size_t i = 0; i < counts_.size(); ++i) count_ += at(i);
  }
  return consistent;
}

void LatencySketch::merge(const SmallSketch& few) {
  if (few.size_ == 0) return;
  const std::span<const std::int16_t> indices(few.index_, few.size_);
  const auto [first, last] = std::minmax_element(indices.begin(), indices.end());
  grow_to(*first, *last);
  for (const int index : indices) {
    const auto slot = static_cast<std::size_t>(index - offset_);
    if (++counts_[slot] == 0) [[unlikely]]
      carry(slot);
  }
  count_ += few.size_;
  sum_ += few.sum_;
  clamped_low_ += few.clamped_low_;
  clamped_high_ += few.clamped_high_;
}

void LatencySketch::clear() {
  std::fill(counts_.begin(), counts_.end(), 0);
  high_ = {};
  count_ = 0;
  sum_ = 0;
  clamped_low_ = clamped_high_ = 0;
}

double LatencySketch::quantile(double q) const {
  double out;
  quantiles({&q, 1}, {&out, 1});
  return out;
}

void LatencySketch::quantiles(std::span<const double> qs, std::span<double> out) const {
  if (count_ == 0) {
    std::fill(out.begin(), out.end(), std::numeric_limits<double>::quiet_NaN());
    return;
  }
  int buckets[8];
  for (std::size_t done = 0; done < qs.size(); done += std::size(buckets)) {
    const std::size_t n = std::min(std::size(buckets), qs.size() - done);
    quantile_buckets(qs.subspan(done, n), {buckets, n});
    for (std::size_t j = 0; j < n; ++j) out[done + j] = bucket_value(buckets[j]);
  }
}

void LatencySketch::quantile_buckets(std::span<const double> qs, std::span<int> out) const {
  // Each quantile's rank once, then one walk: a bucket costs an add and a compare.
  const auto rank = [&](std::size_t j) {
    return static_cast<std::uint64_t>(std::clamp(qs[j], 0.0, 1.0) *
                                      static_cast<double>(count_ - 1));
  };
  const auto scan = [&](auto count_at) {
    std::size_t j = 0;
    if (qs.empty()) return j;
    std::uint64_t cumulative = 0, next = rank(0);
    for (std::size_t i = 0; i < counts_.size(); ++i) {
      cumulative += count_at(i);
      while (cumulative > next) {
        out[j++] = offset_ + static_cast<int>(i);
        if (j == qs.size()) return j;
        next = rank(j);
      }
    }
    return j;
  };
  std::size_t j = high_.empty() ? scan([this](std::size_t i) { return counts_[i]; })
                                : scan([this](std::size_t i) { return at(i); });
  for (; j < qs.size(); ++j) out[j] = offset_ + static_cast<int>(counts_.size()) - 1;
}

void LatencySketch::encode(std::string& out) const {
  out.clear();
  const auto [first, last] = occupied();
  put_varint(out, zigzag(offset_ + static_cast<std::int64_t>(first)));
  put_varint(out, last - first);
  BitWriter bits(out);
  std::uint64_t block[kRiceBlock];
  std::uint64_t previous = 0;
  // Local pointers: the writes to `out` may alias any member as far as the
  // compiler knows, which would reload them at every bucket.
  const std::uint32_t* low = counts_.data();
  const std::uint32_t* high = high_.empty() ? nullptr : high_.data();
  for (std::size_t i = first; i < last; i += kRiceBlock) {
    const std::size_t n = std::min(kRiceBlock, last - i);
    for (std::size_t j = 0; j < n; ++j) {
      const std::uint64_t c =
          high ? (std::uint64_t{high[i + j]} << 32) | low[i + j] : std::uint64_t{low[i + j]};
      block[j] = zigzag(static_cast<std::int64_t>(c - previous));
      previous = c;
    }
    const int k = rice_parameter(block, n);
    bits.put(static_cast<std::uint64_t>(k), kRiceParameterBits);
    for (std::size_t j = 0; j < n; ++j) bits.put_rice(block[j], k);
  }
  bits.finish();
  const auto sum_bits = std::bit_cast<std::uint64_t>(sum_);
  for (int b = 0; b < 8; ++b) out.push_back(static_cast<char>((sum_bits >> (8 * b)) & 0xff));
  put_varint(out, clamped_low_);
  put_varint(out, clamped_high_);
}

// Walks an encoding and checks it is one encode() could have written; with
// `counts`, also fills them (sized to the range). The fields go to *s.
template <bool kFill>
bool LatencySketch::walk(std::string_view in, Encoding encoding, LatencySketch* s) {
  std::uint64_t raw_first, n;
  if (!get_varint(in, &raw_first) || !get_varint(in, &n)) return false;
  const std::int64_t first = unzigzag(raw_first);
  if (n > static_cast<std::uint64_t>(kMaxIndex - kMinIndex + 1)) return false;
  // first is checked on its own before anything is added to it (no overflow).
  if (n > 0 && (first < kMinIndex || first > kMaxIndex ||
                first + static_cast<std::int64_t>(n) - 1 > kMaxIndex)) {
    return false;
  }
  if (n > 0) {
    s->offset_ = static_cast<int>(first);
    if constexpr (kFill) s->counts_.resize(n);
    std::uint64_t previous = 0;
    const auto take = [&](std::uint64_t i, std::uint64_t delta) {
      const std::int64_t d = unzigzag(delta);
      // A negative count; the magnitude in unsigned arithmetic (-INT64_MIN overflows).
      if (d < 0 && 0 - static_cast<std::uint64_t>(d) > previous) return false;
      const std::uint64_t c = previous + static_cast<std::uint64_t>(d);
      if constexpr (kFill) s->set(i, c);
      previous = c;
      if (s->count_ + c < s->count_) return false;  // overflow: not a sketch we wrote
      s->count_ += c;
      return true;
    };
    if (encoding == Encoding::kVarint) {
      for (std::uint64_t i = 0; i < n; ++i) {
        std::uint64_t delta;
        if (!get_varint(in, &delta) || !take(i, delta)) return false;
      }
    } else {
      BitReader bits(in);
      for (std::uint64_t i = 0; i < n;) {
        std::uint64_t k;
        if (!bits.get(kRiceParameterBits, &k)) return false;
        for (std::size_t j = 0; j < kRiceBlock && i < n; ++j, ++i) {
          std::uint64_t q, low;
          // A quotient whose shift would lose bits was never written.
          if (!bits.get_unary(std::numeric_limits<std::uint64_t>::max() >> k, &q) ||
              !bits.get(static_cast<int>(k), &low) || !take(i, (q << k) | low)) {
            return false;
          }
        }
      }
      if (!bits.rest(&in)) return false;
    }
  }
  if (in.size() < 8) return false;
  std::uint64_t sum_bits = 0;
  for (int b = 0; b < 8; ++b)
    sum_bits |= std::uint64_t{static_cast<std::uint8_t>(in[b])} << (8 * b);
  in.remove_prefix(8);
  s->sum_ = std::bit_cast<double>(sum_bits);
  if (!get_varint(in, &s->clamped_low_) || !get_varint(in, &s->clamped_high_) || !in.empty()) {
    return false;
  }
  return std::isfinite(s->sum_) && s->clamped_low_ <= s->count_ && s->clamped_high_ <= s->count_;
}

bool LatencySketch::decode(std::string_view in, LatencySketch* out, Encoding encoding) {
  *out = LatencySketch{};
  LatencySketch s;
  if (!walk<true>(in, encoding, &s)) return false;
  *out = std::move(s);
  return true;
}

bool LatencySketch::valid_encoding(std::string_view in) {
  LatencySketch s;
  return walk<false>(in, Encoding::kBlockRice, &s);
}

bool operator==(const LatencySketch& a, const LatencySketch& b) {
  if (a.count_ != b.count_ || a.clamped_low_ != b.clamped_low_ ||
      a.clamped_high_ != b.clamped_high_) {
    return false;
  }
  // Same counts per bucket index, whatever the allocated ranges.
  const int lo = std::min(a.offset_, b.offset_);
  const int hi = std::max(a.offset_ + static_cast<int>(a.counts_.size()),
                          b.offset_ + static_cast<int>(b.counts_.size()));
  auto at = [](const LatencySketch& s, int i) -> std::uint64_t {
    const auto slot = static_cast<std::size_t>(i - s.offset_);
    return slot < s.counts_.size() ? s.at(slot) : 0;
  };
  for (int i = lo; i < hi; ++i) {
    if (at(a, i) != at(b, i)) return false;
  }
  return true;
}

CompactSketch::CompactSketch(const LatencySketch& s) {
  // Encoded into a buffer that keeps its room: a fresh string would grow a few
  // times per sketch (one per 5 minutes per service, and every hour's).
  thread_local std::string bytes;
  s.encode(bytes);
  size_ = static_cast<std::uint32_t>(bytes.size());
  data_ = std::make_unique<char[]>(bytes.size());
  std::copy(bytes.begin(), bytes.end(), data_.get());
}

std::optional<CompactSketch> CompactSketch::from_encoded(std::string_view bytes) {
  if (!LatencySketch::valid_encoding(bytes)) return std::nullopt;
  return from_checksummed(bytes);
}

CompactSketch CompactSketch::from_checksummed(std::string_view bytes) {
  CompactSketch c;
  c.size_ = static_cast<std::uint32_t>(bytes.size());
  c.data_ = std::make_unique_for_overwrite<char[]>(bytes.size());
  std::copy(bytes.begin(), bytes.end(), c.data_.get());
  return c;
}

CompactSketch CompactSketch::from_format_1(std::string_view bytes) {
  LatencySketch s;
  LatencySketch::decode(bytes, &s, LatencySketch::Encoding::kVarint);  // malformed: empty
  return CompactSketch(s);
}

LatencySketch CompactSketch::expand() const {
  LatencySketch s;
  LatencySketch::decode(bytes(), &s);  // malformed (see from_checksummed): left empty
  return s;
}

}  // namespace lle::sketch
