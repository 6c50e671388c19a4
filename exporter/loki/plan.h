#pragma once
// Which tail connections (shards) to open and what each one asks Loki for.
//
// One tail carries one LogQL stream selector. Services matched by the same single
// label share a selector (`{app=~"a|b"}`) and can be split across shards to carry
// more than one connection's ~2,200 lines/s; services matched by several labels
// get a selector each; services matched only by a line field live under the
// configured `input.loki.selector`. A line that reaches the field shard but whose
// labels belong to a service of another shard is that shard's, not counted twice.
// Thread safety: pure functions.

#include <string>
#include <vector>

#include "exporter/config/config.h"

namespace lle::loki {

struct ShardPlan {
  std::string selector;          // the LogQL stream selector this shard tails
  std::vector<int> services;     // indices into Config::services
  bool field_matched = false;    // the shard under input.loki.selector
  std::vector<std::string> ids;  // the services' ids (saved with the shard's position)
  // A shard of services matched by one label: its name, and each service's value
  // (same order as services). Empty otherwise.
  std::string label;
  std::vector<std::string> values;
};

// The selector of some of a shard's services (indices into its services): for a
// shard matched by one label, a selector of their values only; else the shard's.
std::string selector_of(const ShardPlan& shard, const std::vector<std::size_t>& some);

// Throws config::ConfigError when the services need more tails than max_tails.
std::vector<ShardPlan> plan_shards(const config::Config& c);

// Fleet mode: the tails all members open together (none in poll mode), each
// member's plan made from the services it owns. Throws config::ConfigError when
// a member's plan fails or they exceed fleet.max_tails_per_tenant.
int fleet_tails(const config::Config& c);

// A regular expression matching exactly the given literal.
std::string regex_escape(const std::string& literal);

}  // namespace lle::loki
