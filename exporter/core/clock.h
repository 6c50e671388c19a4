#pragma once
// Time is injected everywhere as a Clock& so that windows can be tested by
// moving a clock instead of sleeping.

#include <atomic>
#include <cstdint>
#include <string>

namespace lle::core {

inline constexpr std::int64_t kNanosPerSecond = 1'000'000'000;
inline constexpr std::int64_t kNanosPerMinute = 60 * kNanosPerSecond;
inline constexpr std::int64_t kNanosPerHour = 60 * kNanosPerMinute;
inline constexpr std::int64_t kNanosPerDay = 24 * kNanosPerHour;

// Thread safety: implementations must allow now_ns() from any thread.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual std::int64_t now_ns() const = 0;  // nanoseconds since the Unix epoch
};

class SystemClock final : public Clock {
 public:
  std::int64_t now_ns() const override;
};

// A clock moved by hand, for tests and benchmarks (a replay hands each entry its
// own "now" instead). Thread-safe; never moves backwards through advance_to.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(std::int64_t start_ns = 0) : now_(start_ns) {}
  std::int64_t now_ns() const override { return now_.load(std::memory_order_acquire); }
  void advance(std::int64_t delta_ns) { now_.fetch_add(delta_ns, std::memory_order_acq_rel); }
  // Moves to ns if that is later than now.
  void advance_to(std::int64_t ns);

 private:
  std::atomic<std::int64_t> now_;
};

// a + b, held at the int64 limits instead of wrapping: timestamps from input
// can sit at either end (parse_timestamp_ns saturates).
constexpr std::int64_t saturating_add(std::int64_t a, std::int64_t b) {
  std::int64_t sum;
  if (!__builtin_add_overflow(a, b, &sum)) return sum;
  return b < 0 ? INT64_MIN : INT64_MAX;
}

// floor(a / b) for b > 0, also for negative a.
constexpr std::int64_t floor_div(std::int64_t a, std::int64_t b) {
  return a / b - ((a % b != 0) && (a < 0));
}
// a mod b in [0, b) for b > 0, also for negative a: the slot of a in a ring of b.
constexpr std::int64_t floor_mod(std::int64_t a, std::int64_t b) { return a - floor_div(a, b) * b; }

// RFC3339Nano in UTC ("2026-12-04T20:00:00.000000000Z"), for logs, reports and
// answers; parse::parse_timestamp_ns reads it back.
std::string format_timestamp(std::int64_t ns);

}  // namespace lle::core
