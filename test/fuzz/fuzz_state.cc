// A state snapshot's payload from untrusted bytes (its CRC already passed):
// restored whole or refused, never undefined behaviour, and a restored store
// answers views and takes lines.
#include <algorithm>
#include <cstdint>
#include <string_view>

#include "exporter/core/binary.h"
#include "exporter/window/store.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using lle::sketch::LatencySketch;
  std::vector<lle::core::ServiceInfo> services = {{"a", "a", "t", "1", {"x"}},
                                                  {"b", "b", "t", "1", {"x"}}};
  for (const auto encoding :
       {LatencySketch::Encoding::kBlockRice, LatencySketch::Encoding::kVarint}) {
    lle::window::Store store(services, lle::window::Options{});
    // The first byte says how many of the rest are the teams' trends section.
    const std::string_view bytes(reinterpret_cast<const char*>(data), size);
    const std::size_t split = bytes.empty() ? 0 : std::min<std::size_t>(bytes[0] & 0xff, size - 1);
    lle::core::Reader teams(bytes.substr(bytes.empty() ? 0 : 1, split));
    lle::core::Reader r(bytes.substr(bytes.empty() ? 0 : 1 + split));
    std::size_t restored = 0;
    if (store.restore(r, encoding, &restored, split == 0 ? nullptr : &teams)) {
      const std::int64_t now = 1'763'625'600LL * 1'000'000'000LL;
      store.add(0, now, 0.1, 200, now);
      store.snapshot(now + 3'600'000'000'000LL);
    }
  }
  return 0;
}
