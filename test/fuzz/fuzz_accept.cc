// /metrics content negotiation from an untrusted Accept header. Beyond "no
// undefined behaviour": protobuf is chosen only when the header names it, and a
// header with a full-quality protobuf range added is always answered in protobuf
// (no other range, however malformed its qvalue, can outrank q=1). Found: a
// quoted-pair inside a quoted value (proto="io.prometheus.cl\ient...") is the
// same value, so the first property compares with backslashes removed.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "exporter/web/routes.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string accept(reinterpret_cast<const char*>(data), size);
  constexpr std::string_view kProtobuf =
      "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited";
  // A quoted parameter value may escape any character (RFC 9110 5.6.4).
  std::string unescaped = accept;
  std::erase(unescaped, '\\');
  if (lle::web::prefers_protobuf(accept) &&
      unescaped.find("io.prometheus.client.MetricFamily") == std::string::npos)
    std::abort();
  if (!lle::web::prefers_protobuf(accept + "," + std::string(kProtobuf))) std::abort();
  if (!lle::web::prefers_protobuf(std::string(kProtobuf) + "," + accept)) std::abort();
  return 0;
}
