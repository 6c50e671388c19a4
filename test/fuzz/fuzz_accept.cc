// /metrics content negotiation from an untrusted Accept header. Beyond "no
// undefined behaviour": protobuf is chosen only when the header names it, and a
// header with a full-quality protobuf range added is always answered in protobuf
// (no other range, however malformed its qvalue, can outrank q=1). Found: a
// quoted-pair inside a quoted value (proto="io.prometheus.cl\ient...") is the
// same value, so the first property compares with backslashes removed. OpenMetrics
// text likewise only when the header names it.
#include <cctype>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "exporter/web/routes.h"

namespace {
bool prefers_protobuf(const std::string& accept) {
  return lle::web::negotiate_exposition(accept) == lle::web::Exposition::kProtobuf;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string accept(reinterpret_cast<const char*>(data), size);
  constexpr std::string_view kProtobuf =
      "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited";
  // A quoted parameter value may escape any character (RFC 9110 5.6.4).
  std::string unescaped = accept;
  std::erase(unescaped, '\\');
  if (prefers_protobuf(accept) &&
      unescaped.find("io.prometheus.client.MetricFamily") == std::string::npos)
    std::abort();
  if (!prefers_protobuf(accept + "," + std::string(kProtobuf))) std::abort();
  if (!prefers_protobuf(std::string(kProtobuf) + "," + accept)) std::abort();
  // OpenMetrics only when named too (media types ignore case).
  std::string lower = accept;
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (lle::web::negotiate_exposition(accept) == lle::web::Exposition::kOpenMetrics &&
      lower.find("application/openmetrics-text") == std::string::npos)
    std::abort();
  return 0;
}
