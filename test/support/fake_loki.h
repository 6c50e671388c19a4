#pragma once
// A Loki-compatible server for tests, built to ../shared/design/loki-tail-facts.md:
//  - GET /loki/api/v1/tail (websocket): history (the newest `limit` entries at or
//    after `start`, oldest first, carrying structured metadata `detected_level`),
//    then live entries as pushed; one streams[] element per entry, label order
//    shuffled, at most 100 entries per message; a ping every second; close 1011
//    "reached tail max duration limit" after max_duration; a per-connection
//    delivery cap (lines/s) that drops the rest and reports some of it in
//    dropped_entries (at most 1,000 per message, only with the next message).
//    The 1011 close is sent as Loki sends it: the close frame, then the TCP
//    connection is dropped without waiting for the client's reply.
//    A pushed line may carry any timestamp: a shipper's backlog (old timestamps,
//    pushed faster than the cap) reaches open tails like any other push.
//  - GET /loki/api/v1/query: sum(count_over_time(SELECTOR[Ns])) at `time`,
//    over (time - N, time]; an empty result for 0.
//  - GET /loki/api/v1/query_range: SELECTOR over [start, end), forward, `limit`.
//  - X-Scope-OrgID required when a tenant is set (401 "no org id" without it;
//    another tenant sees no lines); upgrades can be declined with 400/401.
// Selectors: matchers =, !=, =~ and !~, where a regex is an alternation of
// (escaped) literals: what the exporter sends. One thread per connection.
// Thread safety: every public member may be called from any thread.

#include <atomic>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace lle::test {

class FakeLoki {
 public:
  struct Options {
    std::string tenant;                       // "" = auth disabled
    double max_duration_s = 3600;             // tail_max_duration
    double lines_per_second = 1e9;            // per tail connection
    std::uint16_t port = 0;                   // 0 = any free port
    std::string tls_cert_file, tls_key_file;  // set: https and wss only
  };
  explicit FakeLoki(Options options);
  ~FakeLoki();

  std::uint16_t port() const { return port_; }
  std::string url() const {
    return (tls_ ? "https://localhost:" : "http://127.0.0.1:") + std::to_string(port_);
  }

  // Stores a line (Loki ingests it) and offers it to live tails.
  void push(const std::map<std::string, std::string>& labels, std::int64_t ts_ns,
            const std::string& line);
  std::size_t stored() const;

  // Faults.
  void drop_tails(bool mid_message);                // abrupt TCP close of every open tail
  void send_raw_to_tails(const std::string& text);  // e.g. garbage JSON
  void decline_upgrades(int count, int status);     // HTTP status before the upgrade
  void stop();   // close everything (a Loki restart's first half)
  void start();  // listen again on the same port

  std::uint64_t tails_opened() const { return tails_opened_; }
  std::uint64_t queries() const { return queries_; }  // query and query_range requests
  std::uint64_t query_ranges() const { return query_ranges_; }
  // count_over_time queries whose range held ts (whatever they counted).
  std::uint64_t count_queries_covering(std::int64_t ts_ns) const;
  // The most query_range answers for one selector that held one and the same line.
  std::uint64_t most_served_by_query_range() const;
  std::string last_authorization() const {
    std::lock_guard lock(mutex_);
    return last_authorization_;
  }
  std::uint64_t lines_dropped_by_cap() const { return dropped_by_cap_; }

 private:
  struct Line {
    std::map<std::string, std::string> labels;
    std::int64_t ts_ns;
    std::string line;
    std::size_t seq;  // its place in lines_
  };
  struct Conn;
  void accept_loop();
  void serve(std::shared_ptr<Conn> conn);
  template <class Stream>
  void serve_on(Stream& stream, boost::asio::ip::tcp::socket& sock, Conn& conn);

  Options options_;
  std::unique_ptr<boost::asio::ssl::context> tls_;
  std::uint16_t port_ = 0;
  int listen_fd_ = -1;
  std::thread acceptor_;
  std::atomic<bool> stopping_{false};

  mutable std::mutex mutex_;
  std::condition_variable pushed_;
  std::vector<Line> lines_;
  std::vector<std::shared_ptr<Conn>> conns_;
  std::vector<std::thread> threads_;
  int decline_count_ = 0, decline_status_ = 400;
  std::string last_authorization_;
  std::map<std::pair<std::string, std::size_t>, std::uint64_t> served_;  // (selector, seq)
  std::uint64_t most_served_ = 0;
  std::vector<std::pair<std::int64_t, std::int64_t>> counted_ranges_;  // (from, to]
  std::atomic<std::uint64_t> tails_opened_{0}, dropped_by_cap_{0}, queries_{0}, query_ranges_{0};
};

}  // namespace lle::test
