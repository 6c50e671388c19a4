// A Loki tail message, query response or logcli record: never undefined
// behaviour, and every entry emitted has a line and labels that are views into
// valid memory (ASan checks the reads).
#include <cstdint>
#include <string>
#include <string_view>

#include "exporter/parse/loki_json.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static lle::parse::LokiDecoder decoder;
  const std::string record(reinterpret_cast<const char*>(data), size);
  std::size_t bytes = 0;
  const auto r = decoder.decode(record, [&](const lle::core::Entry& e) {
    bytes += e.line.size();
    for (const auto& l : e.labels) bytes += l.name.size() + l.value.size();
  });
  (void)r;
  return bytes == static_cast<std::size_t>(-1);
}
