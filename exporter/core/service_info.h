#pragma once
// Who a service is, as the rest of the exporter reports it. Built from
// services.yaml by config; carried read-only into snapshots and metrics.

#include <string>
#include <vector>

namespace lle::core {

struct ServiceInfo {
  std::string id;  // [a-z0-9_-]+, the `service` label value
  std::string display_name;
  std::string team;
  std::string tier;
  std::vector<std::string> owners;  // engineer ids
  // Fleet mode: another member owns it now; this one serves it only for the
  // handoff's grace period (docs/fleet.md).
  bool leaving = false;
};

}  // namespace lle::core
