#pragma once
// The hand-over between the thread that builds something and the threads that
// read it: the latest published state (ingest thread -> HTTP handlers), the REST
// API and the configuration in force (main thread -> HTTP handlers), and what the
// process did besides ingesting (any thread -> /metrics).

#include <functional>
#include <memory>
#include <mutex>

#include "exporter/metrics/translate.h"

namespace lle::metrics {

// The latest of something built on one thread and read on others: the published
// state (ingest thread -> HTTP workers), the REST API (main thread -> HTTP workers).
// The lock is held only to copy a pointer, so neither side waits for the other's
// work. (A mutex rather than std::atomic<std::shared_ptr>: libstdc++ 12's lock-bit
// implementation of the latter is opaque to ThreadSanitizer, which checks this.)
// Thread safety: all members may be called from any thread.
template <class T>
class Latest {
 public:
  void store(std::shared_ptr<const T> p) {
    std::lock_guard lock(mutex_);
    value_.swap(p);
  }
  std::shared_ptr<const T> load() const {
    std::lock_guard lock(mutex_);
    return value_;
  }

 private:
  mutable std::mutex mutex_;
  std::shared_ptr<const T> value_;
};
using LatestState = Latest<Published>;

// What the process did besides ingesting (reloads, snapshots, threshold changes),
// written by any thread and read when /metrics is rendered.
// Thread safety: all members may be called from any thread.
class Lifecycle {
 public:
  LifecycleStatus get() const {
    std::lock_guard lock(mutex_);
    return status_;
  }
  void update(const std::function<void(LifecycleStatus&)>& f) {
    std::lock_guard lock(mutex_);
    f(status_);
  }

 private:
  mutable std::mutex mutex_;
  LifecycleStatus status_;
};

}  // namespace lle::metrics
