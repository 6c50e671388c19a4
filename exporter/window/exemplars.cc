#include "exporter/window/exemplars.h"

#include <algorithm>
#include <cmath>

namespace lle::window {

int Exemplars::slot(double seconds) {
  constexpr int kFirst = -13;  // (2^-14, 2^-13]
  if (!(seconds > 0)) return 0;
  int e;
  const double m = std::frexp(seconds, &e);  // seconds = m * 2^e, m in [0.5, 1)
  const int upper = m == 0.5 ? e - 1 : e;    // the bucket (2^(upper-1), 2^upper]
  return std::clamp(upper - kFirst, 0, kSlots - 1);
}

bool Exemplars::usable_id(std::string_view id) {
  return !id.empty() && id.size() <= kMaxIdBytes && std::all_of(id.begin(), id.end(), [](char c) {
    return c > ' ' && c < 0x7f && c != '"' && c != '\\';
  });
}

void Exemplars::put(const Exemplar& e) {
  const auto s = static_cast<std::size_t>(slot(e.seconds));
  if (last_ns_[s] != kNever && e.ts_ns < last_ns_[s]) return;  // never an older line
  last_ns_[s] = e.ts_ns;
  slots_[s] = e;
  changed_ = true;
}

ExemplarList Exemplars::list() {
  changed_ = false;
  std::vector<Exemplar> out;
  for (std::size_t s = 0; s < kSlots; ++s)
    if (last_ns_[s] != kNever) out.push_back(slots_[s]);
  std::sort(out.begin(), out.end(),
            [](const Exemplar& a, const Exemplar& b) { return a.ts_ns < b.ts_ns; });
  return std::make_shared<const std::vector<Exemplar>>(std::move(out));
}

}  // namespace lle::window
