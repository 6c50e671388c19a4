// /metrics content negotiation from an untrusted Accept header. Beyond "no
// undefined behaviour": protobuf is chosen only when the header names it, and a
// header with a full-quality protobuf range added is always answered in protobuf
// (no other range, however malformed its qvalue, can outrank q=1).
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "exporter/web/routes.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string accept(reinterpret_cast<const char*>(data), size);
  constexpr std::string_view kProtobuf =
      "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited";
  if (lle::web::prefers_protobuf(accept) &&
      accept.find("io.prometheus.client.MetricFamily") == std::string::npos)
    std::abort();
  if (!lle::web::prefers_protobuf(accept + "," + std::string(kProtobuf))) std::abort();
  if (!lle::web::prefers_protobuf(std::string(kProtobuf) + "," + accept)) std::abort();
  return 0;
}
