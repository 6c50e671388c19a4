#include "exporter/window/store.h"

namespace lle::window {

Store::Store(std::vector<core::ServiceInfo> services, const Options& options)
    : services_(std::make_shared<const std::vector<core::ServiceInfo>>(std::move(services))),
      dirty_(services_->size(), true),
      views_(services_->size()),
      options_(options) {
  windows_.reserve(services_->size());
  for (std::size_t i = 0; i < services_->size(); ++i) windows_.emplace_back(options);
}

void Store::reject(int service, core::RejectReason reason) {
  if (service < 0) {
    ++unknown_rejects_[static_cast<std::size_t>(reason)];
    return;
  }
  windows_[static_cast<std::size_t>(service)].count_reject(reason);
  dirty_[static_cast<std::size_t>(service)] = true;
}

Snapshot Store::snapshot(std::int64_t now_ns) {
  // Views change with time only when a minute slice or the lateness horizon moves.
  const std::int64_t minute = core::floor_div(now_ns, core::kNanosPerMinute);
  const std::int64_t horizon =
      core::floor_div(now_ns - options_.allowed_lateness_ns, core::kNanosPerMinute);
  const bool moved = minute != views_minute_ || horizon != views_horizon_;
  views_minute_ = minute;
  views_horizon_ = horizon;
  for (std::size_t i = 0; i < windows_.size(); ++i) {
    if (moved || dirty_[i]) {
      views_[i] = windows_[i].view(now_ns);
      dirty_[i] = false;
    }
  }
  return Snapshot{now_ns, services_, views_, unknown_rejects_};
}

}  // namespace lle::window
