#pragma once
// The node checkers under test/<name>/ (package.json + check.mjs), installed with
// npm into the build tree the first time, and again whenever package.json changes.

#include <boost/test/unit_test.hpp>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "test/support/files.h"
#include "test/support/process.h"

namespace lle::test {

// The folder holding check.mjs and its node_modules.
inline std::filesystem::path npm_checker(const std::string& name) {
  const char* build = std::getenv("LLE_BUILD_DIR");
  BOOST_TEST_REQUIRE(build != nullptr, "LLE_BUILD_DIR is not set (run through ctest)");
  const auto dir = std::filesystem::path(build) / name;
  const auto source = source_dir() / "test" / name;
  std::filesystem::create_directories(dir);
  const bool same_packages = std::filesystem::exists(dir / "node_modules") &&
                             read_file(dir / "package.json") == read_file(source / "package.json");
  for (const char* f : {"package.json", "check.mjs"}) {
    std::filesystem::copy_file(source / f, dir / f,
                               std::filesystem::copy_options::overwrite_existing);
  }
  if (!same_packages) {
    TempDir tmp;
    const std::string out = (tmp.path() / "out").string(), err = (tmp.path() / "err").string();
    BOOST_TEST_REQUIRE(run_to_exit({"npm", "install", "--no-package-lock", "--no-audit",
                                    "--no-fund", "--prefix", dir.string()},
                                   out, err) == 0,
                       read_file(err));
  }
  return dir;
}

}  // namespace lle::test
