#include "exporter/loki/plan.h"

#include <algorithm>
#include <map>

namespace lle::loki {
namespace {

// LogQL string literals use Go's double-quoted syntax.
std::string quote(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + '"';
}

struct Unit {
  std::string key;                                  // "" = not splittable
  std::vector<std::pair<std::string, int>> values;  // (label value, service) for single-key units
  std::string selector;                             // fixed selector otherwise
  std::vector<int> services;
  bool field_matched = false;
};

std::string label_selector(const std::string& key, const std::vector<std::string>& values) {
  std::string alternation;
  for (const auto& v : values) alternation += (alternation.empty() ? "" : "|") + regex_escape(v);
  return "{" + key + (values.size() == 1 ? "=" + quote(values[0]) : "=~" + quote(alternation)) +
         "}";
}

ShardPlan to_shard(const Unit& u) {
  if (u.key.empty()) return {u.selector, u.services, u.field_matched, {}, {}, {}};
  ShardPlan p;
  p.label = u.key;
  for (const auto& [value, service] : u.values) {
    p.values.push_back(value);
    p.services.push_back(service);
  }
  p.selector = label_selector(u.key, p.values);
  return p;
}

}  // namespace

std::string regex_escape(const std::string& literal) {
  std::string out;
  for (char c : literal) {
    if (std::string_view("\\.+*?()|[]{}^$").find(c) != std::string_view::npos) out += '\\';
    out += c;
  }
  return out;
}

std::vector<ShardPlan> plan_shards(const config::Config& c) {
  std::vector<Unit> units;
  std::map<std::string, std::size_t> by_key;
  Unit field{"", {}, c.loki.selector, {}, true};
  for (std::size_t i = 0; i < c.services.size(); ++i) {
    const auto& s = c.services[i];
    const int idx = static_cast<int>(i);
    if (s.match_labels.empty()) {
      field.services.push_back(idx);
    } else if (s.match_labels.size() == 1) {
      const auto& [k, v] = s.match_labels[0];
      auto [it, added] = by_key.try_emplace(k, units.size());
      if (added) units.push_back({k, {}, "", {}, false});
      units[it->second].values.emplace_back(v, idx);
      units[it->second].services.push_back(idx);
    } else {
      std::string sel;
      for (const auto& [k, v] : s.match_labels)
        sel += (sel.empty() ? "" : ",") + k + "=" + quote(v);
      units.push_back({"", {}, "{" + sel + "}", {idx}, false});
    }
  }
  if (!field.services.empty()) units.push_back(field);

  const auto budget = static_cast<std::size_t>(c.loki.max_tails);
  if (units.size() > budget) {
    throw config::ConfigError(
        c.exporter_file, "input.loki.max_tails",
        "the services need " + std::to_string(units.size()) +
            " different stream selectors, hence tails, but max_tails is " + std::to_string(budget) +
            ": match more services by one common label, or raise max_tails (Loki allows 10 "
            "per tenant)");
  }
  // Split the largest single-key unit in two until there are as many as wanted.
  const auto wanted =
      std::max(units.size(), std::min(budget, static_cast<std::size_t>(c.loki.shards)));
  while (units.size() < wanted) {
    auto largest = std::max_element(units.begin(), units.end(), [](const Unit& a, const Unit& b) {
      return a.values.size() < b.values.size();
    });
    if (largest->values.size() < 2) break;  // nothing left to split
    Unit half{largest->key, {}, "", {}, false};
    const std::size_t keep = (largest->values.size() + 1) / 2;
    half.values.assign(largest->values.begin() + static_cast<std::ptrdiff_t>(keep),
                       largest->values.end());
    largest->values.resize(keep);
    largest->services.clear();
    for (const auto& v : largest->values) largest->services.push_back(v.second);
    for (const auto& v : half.values) half.services.push_back(v.second);
    units.push_back(std::move(half));
  }
  std::vector<ShardPlan> out;
  for (const auto& u : units) {
    out.push_back(to_shard(u));
    for (int i : out.back().services)
      out.back().ids.push_back(c.services[static_cast<std::size_t>(i)].info.id);
  }
  return out;
}

std::string selector_of(const ShardPlan& shard, const std::vector<std::size_t>& some) {
  if (shard.label.empty() || some.empty()) return shard.selector;
  std::vector<std::string> values;
  for (const std::size_t i : some) values.push_back(shard.values.at(i));
  return label_selector(shard.label, values);
}

int fleet_tails(const config::Config& c) {
  if (c.loki.url.empty() || c.loki.mode == config::LokiConfig::Mode::kPoll) return 0;
  std::vector<config::Config> members(static_cast<std::size_t>(c.fleet.members));
  for (auto& m : members) {
    m.exporter_file = c.exporter_file;
    m.loki = c.loki;
  }
  for (const auto& s : config::fleet_services(c))
    members[static_cast<std::size_t>(config::fleet_owner(s.info.id, c.fleet.members))]
        .services.push_back(s);
  std::size_t tails = 0;
  for (const auto& m : members) tails += plan_shards(m).size();
  if (tails > static_cast<std::size_t>(c.fleet.max_tails_per_tenant)) {
    throw config::ConfigError(
        c.exporter_file, "fleet.max_tails_per_tenant",
        "the " + std::to_string(c.fleet.members) + " members would open " + std::to_string(tails) +
            " tails together, more than Loki allows the tenant (" +
            std::to_string(c.fleet.max_tails_per_tenant) +
            "): use input.loki.mode: poll, fewer input.loki.shards, fewer members, or raise "
            "Loki's max_concurrent_tail_requests and this key with it");
  }
  return static_cast<int>(tails);
}

}  // namespace lle::loki
