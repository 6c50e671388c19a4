#include "exporter/sketch/native_histogram.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace lle::sketch {

namespace {
// Empty buckets inside a span cost a delta byte each; a new span costs two or
// three bytes: runs of up to this many empty buckets stay inside the span.
constexpr int kMaxGapInSpan = 2;
}  // namespace

NativeHistogram to_native(const LatencySketch& s, int schema) {
  NativeHistogram h;
  h.schema = std::clamp(schema, 0, kMaxSchema);
  h.count = s.count();
  h.sum = s.sum();
  h.zero_count = s.clamped_low();
  std::int64_t previous = 0;       // the count of the last bucket written
  int next = 0;                    // the index after the last bucket written
  int pending = 0;                 // the bucket being summed
  std::int64_t pending_count = 0;  // 0: none yet
  const auto flush = [&] {
    if (pending_count == 0) return;
    const int gap = pending - next;
    if (h.spans.empty() || gap > kMaxGapInSpan) {
      h.spans.push_back({h.spans.empty() ? pending : gap, 0});
    } else {
      for (int i = 0; i < gap; ++i, previous = 0) h.deltas.push_back(-previous);
      h.spans.back().length += static_cast<std::uint32_t>(gap);
    }
    h.deltas.push_back(pending_count - previous);
    previous = pending_count;
    ++h.spans.back().length;
    next = pending + 1;
  };
  s.for_each_bucket([&](int index, std::uint64_t n) {
    if (index == kMinIndex) n -= std::min<std::uint64_t>(n, s.clamped_low());
    if (n == 0) return;
    const int j = native_index(index, h.schema);
    if (j != pending || pending_count == 0) {
      flush();
      pending = j;
      pending_count = 0;
    }
    pending_count += static_cast<std::int64_t>(n);
  });
  flush();
  return h;
}

std::vector<std::uint64_t> cumulative_counts(const LatencySketch& s,
                                             std::span<const double> bounds) {
  // Bucket index holds (2^((index-1)/64), 2^(index/64)]: at or below 2^e exactly
  // when index <= 64 e. Buckets and bounds both ascend: one walk.
  std::vector<std::uint64_t> out(bounds.size(), 0);
  std::size_t b = 0;
  const auto last_index = [&] {  // of the bound b
    return b < bounds.size() ? kBucketsPerOctave * std::ilogb(bounds[b])
                             : std::numeric_limits<int>::max();
  };
  int limit = last_index();
  std::uint64_t below = 0;
  s.for_each_bucket([&](int index, std::uint64_t n) {
    while (index > limit) {
      out[b++] = below;
      limit = last_index();
    }
    below += n;
  });
  while (b < bounds.size()) out[b++] = below;
  return out;
}

}  // namespace lle::sketch
