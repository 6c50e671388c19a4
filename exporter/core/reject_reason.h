#pragma once
// Why a line was not counted. Every line is either accepted into exactly one
// service's sketch or rejected with exactly one of these reasons.

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace lle::core {

enum class RejectReason : std::size_t {
  kLineTooLong,
  kUnparseable,
  kUnknownService,
  kUnsupportedSchemaVersion,
  kMissingLatency,
  kInvalidLatency,
  kLatencyAboveCeiling,
  kTooLate,
  kTooFarInFuture,
};
inline constexpr std::size_t kRejectReasonCount = 9;

// Stable snake_case names: they are label values on /metrics and JSON keys.
std::string_view reject_reason_name(RejectReason r);

using RejectCounts = std::array<std::uint64_t, kRejectReasonCount>;

}  // namespace lle::core
