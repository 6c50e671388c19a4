#include "exporter/core/reject_reason.h"

namespace lle::core {
namespace {
constexpr std::array<std::string_view, kRejectReasonCount> kNames = {
    "line_too_long",     "unparseable",     "unknown_service",       "unsupported_schema_version",
    "missing_latency",   "invalid_latency", "latency_above_ceiling", "too_late",
    "too_far_in_future",
};
}  // namespace

std::string_view reject_reason_name(RejectReason r) { return kNames[static_cast<std::size_t>(r)]; }

}  // namespace lle::core
