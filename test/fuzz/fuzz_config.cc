// exporter.yaml from untrusted bytes (with a fixed services file and policy):
// either a configuration or a ConfigError naming the file; nothing else escapes,
// and nothing has undefined behaviour.
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <string>

#include "exporter/config/config.h"
#include "test/fuzz/scratch_dir.h"

namespace {
std::string dir() {
  static const std::string d = [] {
    const std::string path = lle::fuzz::make_scratch_dir("lle-fuzz-config");
    std::ofstream(path + "/services.yaml")
        << "services:\n  - {id: checkout, team: shop, owners: [ann], match: {labels: {app: a}}}\n"
           "  - {id: search, team: find, owners: [bob]}\n";
    return path;
  }();
  return d;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string file = dir() + "/exporter.yaml";
  std::ofstream(file, std::ios::binary | std::ios::trunc)
      .write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  try {
    lle::config::load(file);
  } catch (const lle::config::ConfigError& e) {
    if (std::string(e.what()).find(':') == std::string::npos) std::abort();  // "file: why"
  }
  return 0;
}
