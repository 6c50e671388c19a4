// services.yaml and the alert policy (rules/alert-rules.yaml) from untrusted
// bytes: the input is loaded as the services file of a fixed exporter.yaml, and
// as the policy over fixed services. Either a configuration or a ConfigError
// naming the file; nothing else escapes, and nothing has undefined behaviour.
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <string>

#include "exporter/config/alert_policy.h"
#include "exporter/config/config.h"
#include "test/fuzz/scratch_dir.h"

namespace {
const std::string& dir() {
  static const std::string d = [] {
    const std::string path = lle::fuzz::make_scratch_dir("lle-fuzz-policy");
    std::ofstream(path + "/exporter.yaml") << "services_file: input.yaml\n";
    std::ofstream(path + "/services.yaml")
        << "services:\n  - {id: checkout, team: shop, owners: [ann], match: {labels: {app: a}}}\n"
           "  - {id: search, team: find, owners: [bob]}\n";
    return path;
  }();
  return d;
}

template <typename F>
void expect_config_or_named_error(const F& load) {
  try {
    load();
  } catch (const lle::config::ConfigError& e) {
    if (std::string(e.what()).find("input.yaml") == std::string::npos) std::abort();
  }
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string input = dir() + "/input.yaml";
  std::ofstream(input, std::ios::binary | std::ios::trunc)
      .write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  expect_config_or_named_error([] { lle::config::load(dir() + "/exporter.yaml"); });
  static const auto services = [] {
    std::ofstream(dir() + "/e2.yaml") << "services_file: services.yaml\n";
    return lle::config::load(dir() + "/e2.yaml").services;
  }();
  expect_config_or_named_error([&] { lle::config::load_alert_policy(input, services); });
  return 0;
}
