#include "exporter/window/exemplars.h"

#include <algorithm>
#include <bit>

namespace lle::window {
namespace {
std::int64_t hour_of(std::int64_t ts_ns) { return core::floor_div(ts_ns, core::kNanosPerHour); }
}  // namespace

int Exemplars::slot(double seconds) {
  constexpr int kFirst = -13;  // (2^-14, 2^-13]
  if (!(seconds > 0)) return 0;
  // Per line with ids: the exponent from the bits, not frexp's call. seconds is in
  // [2^e, 2^(e+1)); exactly 2^e closes the bucket (2^(e-1), 2^e].
  const auto bits = std::bit_cast<std::uint64_t>(seconds);
  const int e = static_cast<int>((bits >> 52) & 0x7ff) - 1023;
  const bool power_of_two = (bits & ((std::uint64_t{1} << 52) - 1)) == 0;
  return std::clamp((power_of_two ? e : e + 1) - kFirst, 0, kSlots - 1);
}

bool Exemplars::usable_id(std::string_view id) {
  return !id.empty() && id.size() <= kMaxIdBytes && std::all_of(id.begin(), id.end(), [](char c) {
    return c > ' ' && c < 0x7f && c != '"' && c != '\\';
  });
}

bool Exemplars::slower_in_its_hour(double seconds, std::int64_t ts_ns) const {
  const std::int64_t hour = hour_of(ts_ns);
  // A late line of an hour before the newest two is left out: the hours are filled as
  // they pass, and a breach's slowest lines are in the hours it was seen in.
  for (auto it = hourly_.rbegin(); it != hourly_.rend() && it - hourly_.rbegin() < 2; ++it) {
    const std::int64_t h = hour_of(it->ts_ns);
    if (h == hour) return seconds > it->seconds;
    if (h < hour) return it == hourly_.rbegin();  // a new hour after the newest
  }
  return hourly_.empty();
}

void Exemplars::put(const Exemplar& e) {
  const std::int64_t hour = hour_of(e.ts_ns);
  if (hourly_.empty() || hour > newest_hour_) {  // a new hour
    hourly_.push_back(e);
    newest_hour_ = hour;
    newest_max_ = e.seconds;
    while (newest_hour_ - hour_of(hourly_.front().ts_ns) > kHours) hourly_.pop_front();
    hourly_changed_ = true;
  } else if (hour == newest_hour_ ? e.seconds > newest_max_
                                  : slower_in_its_hour(e.seconds, e.ts_ns)) {
    // The newest hour's slowest, or (slower_in_its_hour) the one before it.
    (hour == newest_hour_ ? hourly_.back() : hourly_[hourly_.size() - 2]) = e;
    if (hour == newest_hour_) newest_max_ = e.seconds;
    hourly_changed_ = true;
  }
  const auto s = static_cast<std::size_t>(slot(e.seconds));
  if (last_ns_[s] == kNever || e.ts_ns >= last_ns_[s]) {  // never an older line
    last_ns_[s] = e.ts_ns;
    slots_[s] = e;
    newest_changed_ = true;
  }
}

void Exemplars::publish(ExemplarLists& out) {
  if (newest_changed_ || !out.newest) {
    std::vector<Exemplar> list;
    for (std::size_t s = 0; s < kSlots; ++s)
      if (last_ns_[s] != kNever) list.push_back(slots_[s]);
    std::sort(list.begin(), list.end(),
              [](const Exemplar& a, const Exemplar& b) { return a.ts_ns < b.ts_ns; });
    out.newest = std::make_shared<const std::vector<Exemplar>>(std::move(list));
    newest_changed_ = false;
  }
  if (hourly_changed_ || !out.slowest_by_hour) {
    out.slowest_by_hour =
        std::make_shared<const std::vector<Exemplar>>(hourly_.begin(), hourly_.end());
    hourly_changed_ = false;
  }
}

}  // namespace lle::window
