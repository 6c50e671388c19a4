#include "exporter/loki/ledger.h"

#include <algorithm>
#include <functional>

#include "exporter/core/clock.h"

namespace lle::loki {
namespace {

std::uint64_t mix(std::uint64_t x) {  // splitmix64's finaliser
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

std::uint64_t hash(std::string_view s) { return std::hash<std::string_view>{}(s); }

}  // namespace

std::uint64_t identity(const core::Entry& e, const std::vector<std::string>& ignore) {
  std::uint64_t labels = 0;  // a sum: independent of label order
  for (const auto& l : e.labels) {
    if (std::find(ignore.begin(), ignore.end(), l.name) != ignore.end()) continue;
    labels += mix(hash(l.name) * 31 + mix(hash(l.value)));
  }
  return mix(mix(static_cast<std::uint64_t>(e.timestamp_ns)) ^ hash(e.line)) + mix(labels);
}

bool IdentitySet::insert(std::uint64_t id) {
  if (id == 0) id = 1;  // 0 marks an empty slot
  if ((size_ + 1) * 2 > slots_.size()) grow();
  const std::size_t mask = slots_.size() - 1;
  for (std::size_t i = mix(id) & mask;; i = (i + 1) & mask) {
    if (slots_[i] == id) return false;
    if (slots_[i] == 0) {
      slots_[i] = id;
      ++size_;
      return true;
    }
  }
}

void IdentitySet::grow() {
  std::vector<std::uint64_t> old(std::max<std::size_t>(64, slots_.size() * 2), 0);
  old.swap(slots_);
  size_ = 0;
  for (auto id : old)
    if (id != 0) insert(id);
}

Ledger::Ledger(std::int64_t start_ns, Timing timing)
    : timing_(timing),
      floor_ns_(core::floor_div(start_ns, timing.bucket_ns) * timing.bucket_ns),
      newest_ns_(floor_ns_ - timing.bucket_ns) {
  advance(start_ns);
}

void Ledger::advance(std::int64_t now_ns) {
  const std::int64_t minute = core::floor_div(now_ns, timing_.bucket_ns) * timing_.bucket_ns;
  for (std::int64_t m = std::max(newest_ns_ + timing_.bucket_ns, floor_ns_); m <= minute;
       m += timing_.bucket_ns) {
    minutes_.try_emplace(m);
  }
  newest_ns_ = std::max(newest_ns_, minute);
}

Ledger::Admit Ledger::admit(std::int64_t ts_ns, std::uint64_t id) {
  const std::int64_t minute = core::floor_div(ts_ns, timing_.bucket_ns) * timing_.bucket_ns;
  if (minute < floor_ns_) return Admit::kTooOld;
  if (minute > newest_ns_) advance(ts_ns);
  auto it = minutes_.find(minute);
  if (it == minutes_.end()) return Admit::kTooOld;  // a forgotten minute
  if (!it->second.seen.insert(id)) return Admit::kDuplicate;
  ++it->second.received;
  return Admit::kNew;
}

void Ledger::suspect(std::int64_t ts_ns) {
  const auto it = minutes_.find(core::floor_div(ts_ns, timing_.bucket_ns) * timing_.bucket_ns);
  if (it != minutes_.end()) it->second.suspect = true;
}

std::int64_t Ledger::next_check(std::int64_t minute_ns, const Minute& m) const {
  const std::int64_t end = minute_ns + timing_.bucket_ns;
  if (m.checks_done == 0) return end + (m.suspect ? 0 : timing_.settle_ns);
  return end + std::max(timing_.settle_ns, timing_.final_ns);
}

std::vector<std::int64_t> Ledger::due(std::int64_t now_ns, std::int64_t read_to_ns) const {
  std::vector<std::int64_t> out;
  for (const auto& [minute, m] : minutes_) {
    if (minute + timing_.bucket_ns > read_to_ns) break;
    if (now_ns >= next_check(minute, m)) out.push_back(minute);
  }
  return out;
}

bool Ledger::checked(std::int64_t minute_ns, std::int64_t now_ns) {
  const auto it = minutes_.find(minute_ns);
  if (it == minutes_.end()) return false;
  Minute& m = it->second;
  const bool early =
      m.checks_done == 0 && m.suspect && now_ns < minute_ns + timing_.bucket_ns + timing_.settle_ns;
  if (early) {
    m.suspect = false;  // the regular first check still follows
    return false;
  }
  ++m.checks_done;
  const bool last = m.checks_done >= 2 || timing_.final_ns <= timing_.settle_ns;
  if (!last) return false;
  minutes_.erase(it);
  // Forget everything up to the oldest minute still tracked.
  floor_ns_ = minutes_.empty() ? newest_ns_ + timing_.bucket_ns : minutes_.begin()->first;
  return true;
}

std::uint64_t Ledger::received(std::int64_t minute_ns) const {
  const auto it = minutes_.find(minute_ns);
  return it == minutes_.end() ? 0 : it->second.received;
}

void Ledger::join(const Ledger& other) {
  floor_ns_ = std::max(floor_ns_, other.floor_ns_);
  newest_ns_ = std::max(newest_ns_, other.newest_ns_);
  for (const auto& [start, m] : other.minutes_) {
    auto& mine = minutes_[start];
    m.seen.for_each([&](std::uint64_t id) { mine.seen.insert(id); });
  }
  minutes_.erase(minutes_.begin(), minutes_.lower_bound(floor_ns_));
  recount_all();
}

void Ledger::recount_all() {
  for (auto& [start, m] : minutes_) {
    m.recount = true;
    m.received = 0;
    m.checks_done = 0;
  }
}

bool Ledger::recounting(std::int64_t minute_ns) const {
  const auto it = minutes_.find(minute_ns);
  return it != minutes_.end() && it->second.recount;
}

void Ledger::recounted(std::int64_t minute_ns, std::uint64_t lines) {
  const auto it = minutes_.find(minute_ns);
  if (it == minutes_.end()) return;
  it->second.recount = false;
  it->second.received = std::max(it->second.received, lines);
}

void Ledger::save(core::Writer& w) const {
  w.i64(timing_.bucket_ns);
  w.i64(floor_ns_);
  w.i64(newest_ns_);
  w.u64(minutes_.size());
  for (const auto& [start, m] : minutes_) {
    w.i64(start);
    w.u64(m.received);
    w.u64(static_cast<std::uint64_t>(m.checks_done));
    w.u64((m.suspect ? 1 : 0) | (m.recount ? 2 : 0));
    w.u64(m.seen.size());
    m.seen.for_each([&](std::uint64_t id) { w.u64(id); });
  }
}

bool Ledger::load(core::Reader& r) {
  if (r.i64() != timing_.bucket_ns) return false;
  const std::int64_t floor = r.i64(), newest = r.i64();
  std::map<std::int64_t, Minute> minutes;
  for (std::uint64_t n = r.count(), i = 0; i < n && r.ok(); ++i) {
    Minute& m = minutes[r.i64()];
    m.received = r.u64();
    m.checks_done = static_cast<int>(r.u64());
    const std::uint64_t flags = r.u64();
    m.suspect = (flags & 1) != 0;
    m.recount = (flags & 2) != 0;
    for (std::uint64_t k = r.count(), j = 0; j < k && r.ok(); ++j) m.seen.insert(r.u64());
  }
  if (!r.ok()) return false;
  floor_ns_ = floor;
  newest_ns_ = newest;
  minutes_ = std::move(minutes);
  return true;
}

std::size_t Ledger::memory_bytes() const {
  std::size_t n = 0;
  for (const auto& [minute, m] : minutes_) n += sizeof(m) + 48 + m.seen.memory_bytes();
  return n;
}

}  // namespace lle::loki
