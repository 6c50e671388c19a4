#pragma once
// Outgoing HTTP requests of the exporter's own (today: asking Prometheus to
// reload its rules), as a coroutine on the caller's io_context (Boost.Beast), so
// that waiting on a slow peer holds no thread. Every step is bounded by a timeout;
// retries back off on a timer.
// Thread safety: runs on whatever executor it is spawned on.

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <string>

namespace lle::outbound {

struct PostResult {
  bool ok = false;  // a 2xx answer
  int attempts = 0;
  std::string detail;  // what went wrong last ("" when ok)
};

// POSTs an empty body to url (http://host[:port]/path), up to `attempts` times,
// waiting 200 ms x attempt between them; each attempt ends within `timeout`
// (name resolution aside). An invalid url is a failed first attempt.
boost::asio::awaitable<PostResult> post(std::string url, int attempts,
                                        std::chrono::milliseconds timeout);

}  // namespace lle::outbound
