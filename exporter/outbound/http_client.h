#pragma once
// Outgoing HTTP requests of the exporter's own (asking Prometheus to reload its
// rules; asking fleet peers which services they have ready), as coroutines on
// the caller's io_context (Boost.Beast), so that waiting on a slow peer holds no
// thread. Every step is bounded by a timeout; retries back off on a timer.
// Thread safety: runs on whatever executor it is spawned on.

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <string>

namespace lle::outbound {

struct Result {
  bool ok = false;  // a 2xx answer
  int attempts = 0;
  int status = 0;      // the last answer's HTTP status (0: none came)
  std::string body;    // the last answer's body, up to 16 MiB
  std::string detail;  // what went wrong last ("" when ok)
};

// Sends an empty-bodied `method` ("GET" or "POST") to url (http://host[:port]/path?query),
// up to `attempts` times while no 2xx answer comes, waiting 200 ms x attempt between
// them; each attempt ends within `timeout` (name resolution aside). An invalid url is
// a failed first attempt.
boost::asio::awaitable<Result> request(std::string method, std::string url, int attempts,
                                       std::chrono::milliseconds timeout);

// request("POST", ...), as the Prometheus reload does it.
inline boost::asio::awaitable<Result> post(std::string url, int attempts,
                                           std::chrono::milliseconds timeout) {
  return request("POST", std::move(url), attempts, timeout);
}

}  // namespace lle::outbound
