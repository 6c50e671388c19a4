#pragma once
// A sketch as a Prometheus native histogram (exponential schema 0 to 6). The
// sketch's grid is schema 6: bucket k holds (2^((k-1)/64), 2^(k/64)]. Schema s
// holds (2^((j-1)/2^s), 2^(j/2^s)], so sketch bucket k lies wholly in bucket
// ceil(k / 2^(6-s)): a coarser schema is an exact merge of neighbours, never a
// re-binning. Latencies clamped below 0.1 ms go to the zero bucket, whose
// threshold 2^-14 s (61 us) is a power of two below every bucket's lower bound at
// every schema; those clamped above 100 s stay in the top bucket, (99.4 s, 100.5 s]
// at schema 6. Thread safety: pure.

#include <cstdint>
#include <span>
#include <vector>

#include "exporter/sketch/latency_sketch.h"

namespace lle::sketch {

inline constexpr int kMaxSchema = 6;
inline constexpr double kZeroThreshold = 1.0 / 16384;  // 2^-14 s

struct NativeHistogram {
  // offset: from the end of the previous span (the first: from index 0).
  struct Span {
    std::int32_t offset = 0;
    std::uint32_t length = 0;
  };
  int schema = kMaxSchema;
  std::uint64_t count = 0;  // every observation, the zero bucket's included
  double sum = 0;
  std::uint64_t zero_count = 0;
  std::vector<Span> spans;
  std::vector<std::int64_t> deltas;  // each bucket's count minus the previous one's
};

// schema: 0 to 6 (clamped).
NativeHistogram to_native(const LatencySketch& s, int schema);

// Classic cumulative buckets: for each bound (a power of two of seconds, so a
// bucket bound at every schema; ascending), the lines at or below it; exact.
std::vector<std::uint64_t> cumulative_counts(const LatencySketch& s,
                                             std::span<const double> bounds);

// The bucket at `schema` that sketch bucket `index` falls in.
inline int native_index(int index, int schema) {
  const int shift = kMaxSchema - schema;
  // ceil(index / 2^shift) for negative indices too: -((-index) >> shift) rounds up.
  return -((-index) >> shift);
}

}  // namespace lle::sketch
