#pragma once
// Debian's Prometheus for integration tests: on 127.0.0.1 only, its data and logs
// in a folder of the test's, and ready before the test goes on.

#include <boost/test/unit_test.hpp>
#include <filesystem>
#include <memory>
#include <string>
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

}  // namespace lle::test
