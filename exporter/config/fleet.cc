// Fleet mode's ownership: which member serves which service (docs/fleet.md).

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <unordered_set>

#include "exporter/config/config.h"

namespace lle::config {
namespace {

// FNV-1a, 64 bits: the id's hash, the same on every build (std::hash is not).
std::uint64_t fnv1a(std::string_view s) {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (const unsigned char c : s) h = (h ^ c) * 0x100000001b3ULL;
  return h;
}

// SplitMix64's finaliser: every input bit moves every output bit.
std::uint64_t mix(std::uint64_t x) {
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

}  // namespace

int fleet_owner(std::string_view service_id, int members) {
  const std::uint64_t id = fnv1a(service_id);
  int best = 0;
  std::uint64_t best_score = 0;
  for (int m = 0; m < members; ++m) {
    const std::uint64_t score = mix(id ^ mix(static_cast<std::uint64_t>(m) + 1));
    if (m == 0 || score > best_score) {
      best = m;
      best_score = score;
    }
  }
  return best;
}

std::optional<int> owned_elsewhere(const Config& c, std::string_view id) {
  const auto& other = c.fleet.elsewhere;
  const auto& own = c.services;
  if (std::none_of(other.begin(), other.end(), [&](const auto& s) { return s.info.id == id; }) &&
      std::none_of(own.begin(), own.end(),
                   [&](const auto& s) { return s.info.leaving && s.info.id == id; }))
    return std::nullopt;
  return fleet_owner(id, c.fleet.members);
}

std::vector<std::string> keep_leaving(Config& c, const std::vector<std::string>& held) {
  const std::unordered_set<std::string_view> was_here(held.begin(), held.end());
  std::vector<std::string> kept;
  std::vector<ServiceConfig> still_elsewhere;
  for (auto& s : c.fleet.elsewhere) {
    if (!was_here.contains(s.info.id)) {
      still_elsewhere.push_back(std::move(s));
      continue;
    }
    kept.push_back(s.info.id);
    s.info.leaving = true;
    c.services.push_back(std::move(s));
  }
  c.fleet.elsewhere = std::move(still_elsewhere);
  return kept;
}

std::string peer_url(std::string_view url_template, int member) {
  static constexpr std::string_view kMember = "{member}";
  std::string url(url_template);
  const std::string n = std::to_string(member);
  for (auto at = url.find(kMember); at != std::string::npos; at = url.find(kMember, at + n.size()))
    url.replace(at, kMember.size(), n);
  return url;
}

std::optional<int> pod_ordinal(std::string_view hostname) {
  const auto dash = hostname.rfind('-');
  if (dash == std::string_view::npos || dash + 1 == hostname.size() || dash == 0)
    return std::nullopt;
  const std::string_view digits = hostname.substr(dash + 1);
  int n = 0;
  const auto [p, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), n);
  if (ec != std::errc() || p != digits.data() + digits.size() || n < 0) return std::nullopt;
  if (digits.size() > 1 && digits[0] == '0') return std::nullopt;  // "lle-03" is no ordinal
  return n;
}

std::vector<ServiceConfig> fleet_services(const Config& c) {
  std::vector<ServiceConfig> all = c.services;
  all.insert(all.end(), c.fleet.elsewhere.begin(), c.fleet.elsewhere.end());
  return all;
}

}  // namespace lle::config
