#pragma once
// Debian's Prometheus for integration tests: on 127.0.0.1 only, its data and logs
// in a folder of the test's, and ready before the test goes on.

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>
#include <boost/url.hpp>
#include <filesystem>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "test/support/files.h"
#include "test/support/process.h"

namespace lle::test {

// `dir` holds prometheus.yml (written by the caller) and gets tsdb/, prom.out, prom.err.
inline std::unique_ptr<Process> start_prometheus(const std::filesystem::path& dir, int port,
                                                 const std::vector<std::string>& extra = {}) {
  std::vector<std::string> argv{"prometheus", "--config.file=" + (dir / "prometheus.yml").string(),
                                "--storage.tsdb.path=" + (dir / "tsdb").string(),
                                "--web.listen-address=127.0.0.1:" + std::to_string(port)};
  argv.insert(argv.end(), extra.begin(), extra.end());
  auto p = std::make_unique<Process>(argv, "/dev/null", (dir / "prom.out").string(),
                                     (dir / "prom.err").string());
  BOOST_TEST_REQUIRE(wait_ready(port, std::chrono::seconds(30)), read_file(dir / "prom.err"));
  return p;
}

// The `result` of a Prometheus HTTP API query (path /api/v1/query or
// /api/v1/query_range, parameters encoded by Boost.URL); empty if it was refused.
inline boost::json::array prometheus_result(
    int port, const std::string& path,
    const std::vector<std::pair<std::string, std::string>>& params) {
  boost::urls::url u(path);
  for (const auto& [k, v] : params) u.params().append({k, v});
  const auto r = http_request(port, "GET", std::string(u.buffer()));
  if (r.status != 200) return {};
  return boost::json::parse(r.body).at("data").at("result").as_array();
}

}  // namespace lle::test
