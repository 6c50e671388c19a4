#include "exporter/core/clock.h"

#include <chrono>

namespace lle::core {

std::int64_t SystemClock::now_ns() const {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

void ManualClock::advance_to(std::int64_t ns) {
  std::int64_t cur = now_.load(std::memory_order_acquire);
  while (ns > cur && !now_.compare_exchange_weak(cur, ns, std::memory_order_acq_rel)) {
  }
}

}  // namespace lle::core
