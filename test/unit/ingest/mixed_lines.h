#pragma once
// Input for the ingest tests: 40 services matched by a line field, and a mix of
// lines for them with every kind of reject among them.

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "exporter/config/config.h"
#include "test/support/files.h"

namespace lle::test {

struct Line {
  std::string text;
  std::int64_t ts, now;
};

// Lines of 40 services over 20 minutes, with unknown services, malformed
// latencies, lines too late and too far in the future among them.
inline std::vector<Line> mixed_lines(std::size_t n) {
  std::mt19937_64 rng(15);
  std::vector<Line> out;
  std::int64_t now = 1'795'154'400'000'000'000;
  for (std::size_t i = 0; i < n; ++i) {
    now += static_cast<std::int64_t>(rng() % 2'000'000'000);
    const auto kind = rng() % 20;
    std::int64_t ts = now - static_cast<std::int64_t>(rng() % 30'000'000'000);
    if (kind == 0) ts = now - 3'600'000'000'000;  // too late
    if (kind == 1) ts = now + 600'000'000'000;    // too far in the future
    const std::string service = kind == 2 ? "nobody" : "svc-" + std::to_string(rng() % 40);
    const std::string latency =
        kind == 3 ? "\"fast\"" : std::to_string(1 + rng() % 900) + "." + std::to_string(rng() % 10);
    out.push_back({"{\"service\":\"" + service + "\",\"latency_ms\":" + latency + ",\"status\":" +
                       std::to_string(200 + 100 * (rng() % 4)) + ",\"schema_version\":\"1\"}",
                   ts, now});
  }
  return out;
}

struct FortyServices {
  lle::test::TempDir dir;
  lle::config::Config cfg;
  explicit FortyServices(const std::string& exporter = "") {
    std::string services = "services:\n";
    for (int i = 0; i < 40; ++i) {
      const std::string id = "svc-" + std::to_string(i);
      services += "  - id: " + id + "\n    team: t" + std::to_string(i % 3) +
                  "\n    owners: [o]\n    match: {field: " + id + "}\n";
    }
    dir.write("services.yaml", services);
    cfg = lle::config::load(
        dir.write("exporter.yaml",
                  "services_file: services.yaml\nwindows: {allowed_lateness: 2m}\n" + exporter));
  }
};

}  // namespace lle::test
