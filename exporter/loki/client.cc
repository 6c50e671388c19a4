#include "exporter/loki/client.h"

#include <openssl/evp.h>
#include <openssl/ssl.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <boost/json.hpp>
#include <boost/url.hpp>
#include <chrono>
#include <limits>
#include <optional>
#include <random>
#include <set>
#include <stdexcept>

#include "exporter/core/secret_file.h"
#include "exporter/log/log.h"
#include "exporter/loki/ledger.h"
#include "exporter/parse/loki_json.h"

namespace lle::loki {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
namespace ssl = asio::ssl;
using asio::awaitable;
using asio::use_awaitable;
using tcp = asio::ip::tcp;

namespace {

constexpr auto kIdleTimeout = std::chrono::seconds(30);  // Loki pings every second
constexpr auto kRequestTimeout = std::chrono::seconds(60);

std::chrono::nanoseconds ns(std::int64_t v) { return std::chrono::nanoseconds(v); }

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  return s;
}

std::string read_secret(const std::string& file, const char* what) {
  auto secret = core::read_secret_file(file, what);
  if (secret.readable_by_others)
    log::warn("a secret file is readable by every user of this machine", {{"file", file}});
  return std::move(secret.value);
}

std::string base64(std::string_view in) {
  std::string out(4 * ((in.size() + 2) / 3) + 1, '\0');  // EVP_EncodeBlock writes a NUL
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(in.data()),
                                static_cast<int>(in.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

// How a tail session ended, as a metric label.
std::string close_reason(const websocket::close_reason& r) {
  if (r.code == websocket::close_code::internal_error &&
      std::string_view(r.reason.data(), r.reason.size()).find("max duration") !=
          std::string_view::npos) {
    return "max_duration";
  }
  return "close_" + std::to_string(static_cast<int>(r.code));
}

std::string error_reason(const boost::system::error_code& ec) {
  if (ec == beast::error::timeout) return "timeout";
  if (ec == asio::error::connection_refused) return "refused";
  if (ec == asio::error::eof || ec == asio::error::connection_reset ||
      ec == beast::http::error::end_of_stream || ec == asio::ssl::error::stream_truncated) {
    return "dropped";
  }
  return "error";
}

}  // namespace

Endpoint parse_endpoint(const std::string& url) {
  const auto u = boost::urls::parse_absolute_uri(url);
  if (!u) throw std::invalid_argument("not an absolute URL: " + url);
  Endpoint ep;
  const std::string scheme(u->scheme());
  if (scheme == "https" || scheme == "wss") {
    ep.tls = true;
  } else if (scheme != "http" && scheme != "ws") {
    throw std::invalid_argument("unsupported scheme " + scheme);
  }
  if (u->has_query() || u->has_fragment())
    throw std::invalid_argument("a query or fragment in " + url);
  ep.host = u->host_address();  // a name, or an IPv4/IPv6 address without brackets
  if (ep.host.empty()) throw std::invalid_argument("no host in " + url);
  ep.port = u->has_port() ? std::string(u->port()) : ep.tls ? "443" : "80";
  ep.prefix = u->encoded_path();
  while (!ep.prefix.empty() && ep.prefix.back() == '/') ep.prefix.pop_back();
  return ep;
}

std::vector<std::pair<std::string, std::string>> request_headers(const config::LokiConfig& c) {
  std::vector<std::pair<std::string, std::string>> h;
  if (!c.tenant.empty()) h.emplace_back("X-Scope-OrgID", c.tenant);
  if (!c.password_file.empty()) {
    h.emplace_back("Authorization",
                   "Basic " + base64(c.username + ":" + read_secret(c.password_file, "password")));
  }
  if (!c.bearer_token_file.empty()) {
    h.emplace_back("Authorization", "Bearer " + read_secret(c.bearer_token_file, "bearer token"));
  }
  for (const auto& kv : c.headers) h.push_back(kv);
  return h;
}

std::string url_encode(std::string_view s) {
  return boost::urls::encode(s, boost::urls::unreserved_chars);
}

struct Input::Shared {
  asio::io_context* io = nullptr;  // from start()
  config::LokiConfig cfg;
  Endpoint ep;
  std::vector<std::pair<std::string, std::string>> headers;
  ssl::context tls{ssl::context::tls_client};
  const core::Clock& clock;
  ServiceOf service_of, line_service_of;
  std::vector<std::size_t> shard_of;  // by service id: the shard that tails it
  source::Hooks hooks;                // from start()
  std::mt19937_64 rng{std::random_device{}()};
  // The windows came from a snapshot (restart or reload): history is in them, so a
  // shard that starts fresh (a new selector) must not fetch it again.
  bool windows_restored = false;

  Shared(config::LokiConfig c, const core::Clock& clk, ServiceOf s, ServiceOf line_s)
      : cfg(std::move(c)),
        ep(parse_endpoint(cfg.url)),
        headers(request_headers(cfg)),
        clock(clk),
        service_of(std::move(s)),
        line_service_of(line_s ? std::move(line_s) : service_of) {
    if (!ep.tls) return;
    if (cfg.ca_file.empty()) {
      tls.set_default_verify_paths();
    } else {
      tls.load_verify_file(cfg.ca_file);
    }
    if (cfg.insecure_skip_verify) {
      log::warn("TLS certificate verification is off (input.loki.tls.insecure_skip_verify)");
    }
  }

  void decorate(http::request_header<>& req) const {
    req.set(http::field::host, ep.host);
    req.set(http::field::user_agent, "loki-latency-exporter");
    for (const auto& [k, v] : headers) req.set(k, v);
  }

  awaitable<void> connect(beast::tcp_stream& s) {
    tcp::resolver resolver(s.get_executor());
    const auto results = co_await resolver.async_resolve(ep.host, ep.port, use_awaitable);
    s.expires_after(ns(cfg.connect_timeout_ns));
    co_await s.async_connect(results, use_awaitable);
  }

  awaitable<void> tls_handshake(beast::ssl_stream<beast::tcp_stream>& s) {
    if (!SSL_set_tlsext_host_name(s.native_handle(), ep.host.c_str())) {
      throw std::runtime_error("cannot set TLS server name");
    }
    if (!cfg.insecure_skip_verify) {
      s.set_verify_mode(ssl::verify_peer);
      s.set_verify_callback(ssl::host_name_verification(ep.host));
    }
    beast::get_lowest_layer(s).expires_after(ns(cfg.connect_timeout_ns));
    co_await s.async_handshake(ssl::stream_base::client, use_awaitable);
  }

  template <class Stream>
  awaitable<std::string> get_over(Stream& s, const std::string& target) {
    http::request<http::empty_body> req{http::verb::get, target, 11};
    decorate(req.base());
    beast::get_lowest_layer(s).expires_after(kRequestTimeout);
    co_await http::async_write(s, req, use_awaitable);
    beast::flat_buffer buf;
    http::response_parser<http::string_body> parser;
    parser.body_limit(512u << 20);
    co_await http::async_read(s, buf, parser, use_awaitable);
    auto res = parser.release();
    if (res.result() != http::status::ok) {
      throw std::runtime_error("HTTP " + std::to_string(res.result_int()) + " from " +
                               target.substr(0, target.find('?')) + ": " +
                               trim(res.body().substr(0, 200)));
    }
    co_return std::move(res.body());
  }

  // GET prefix+path_and_query; the body of a 200, or an exception.
  awaitable<std::string> get(const std::string& path_and_query) {
    const std::string target = ep.prefix + path_and_query;
    if (ep.tls) {
      beast::ssl_stream<beast::tcp_stream> s(co_await asio::this_coro::executor, tls);
      co_await connect(beast::get_lowest_layer(s));
      co_await tls_handshake(s);
      co_return co_await get_over(s, target);
    }
    beast::tcp_stream s(co_await asio::this_coro::executor);
    co_await connect(s);
    co_return co_await get_over(s, target);
  }
};

class Input::Shard {
 public:
  Shard(Shared& shared, ShardPlan plan, std::size_t index)
      : sh_(shared),
        plan_(std::move(plan)),
        index_(index),
        ledger_(ledger_start(shared.cfg, shared.clock.now_ns()), timing(shared.cfg)) {
    status_.selector = plan_.selector;
  }

  void start() { asio::co_spawn(*sh_.io, run(), asio::detached); }

  const ShardPlan& plan() const { return plan_; }
  void save(core::Writer& w) const {
    w.str(plan_.selector);
    w.i64(resume_ns_);
    core::Writer ledger;
    ledger_.save(ledger);
    w.str(ledger.bytes());
    // A service still filling is left out, as the store leaves its window out: a
    // restart finds it new and fetches its history again, whole.
    std::vector<std::string_view> ids;
    for (std::size_t i = 0; i < plan_.ids.size(); ++i)
      if (!filling_ || !is_gained(plan_.services[i])) ids.push_back(plan_.ids[i]);
    w.u64(ids.size());
    for (const auto id : ids) w.str(id);
  }
  bool is_gained(int service) const {
    const auto i = static_cast<std::size_t>(service);
    return service >= 0 && i < is_gained_.size() && is_gained_[i];
  }
  bool restore(std::int64_t resume_ns, core::Reader& ledger) {
    if (!ledger_.load(ledger) || !ledger.done()) return false;
    resume_ns_ = resume_ns;
    restored_ = true;
    return true;
  }
  // Resumes from the shards that tailed this one's services under other
  // selectors: from the earliest of their positions, with their ledgers joined.
  bool restore_joined(const std::vector<std::pair<std::int64_t, std::string_view>>& from) {
    std::optional<Ledger> joined;
    for (const auto& f : from) {
      Ledger one(0, timing(sh_.cfg));
      core::Reader r(f.second);
      if (!one.load(r) || !r.done()) return false;
      if (joined) {
        joined->join(one);
      } else {
        joined = std::move(one);
        joined->recount_all();
      }
    }
    if (!joined) return false;
    ledger_ = std::move(*joined);
    resume_ns_ = std::numeric_limits<std::int64_t>::max();
    for (const auto& f : from) resume_ns_ = std::min(resume_ns_, f.first);
    restored_ = true;
    return true;
  }
  // The snapshot told which services the saved shards tailed: `gained` (indices
  // into plan().services) were in none of them. With a backfill configured, they
  // fill (see fill()); without, they start from here as a new service does.
  void knows_services(const std::vector<std::size_t>& gained) {
    knows_services_ = true;
    if (sh_.cfg.backfill_ns <= 0 || gained.empty()) return;
    filling_ = true;
    fill_selector_ = selector_of(plan_, gained);
    for (const std::size_t i : gained) {
      const auto s = static_cast<std::size_t>(plan_.services[i]);
      if (is_gained_.size() <= s) is_gained_.resize(s + 1, false);
      is_gained_[s] = true;
      gained_.push_back(plan_.services[i]);
    }
  }
  // The services gained that are still filling.
  const std::vector<int>& gained() const {
    static const std::vector<int> none;
    return filling_ ? gained_ : none;
  }
  // How far this shard's backfill has got; max when it is not backfilling.
  std::int64_t backfill_progress() const {
    return backfilling_ ? backfill_now_ : std::numeric_limits<std::int64_t>::max();
  }
  const core::ShardStatus& status() {
    status_.ledger_bytes = ledger_.memory_bytes();
    status_.backfilling = backfilling_;
    return status_;
  }

 private:
  enum class Via { kTail, kPoll, kRepair, kBackfill };

  // After a backfill, Loki may still receive lines stamped before the start (within
  // the lateness): the ledger tracks every bucket whose last check is still ahead,
  // so the backfill's lines there are de-duplicated and the late ones repaired.
  // Without a backfill, counting starts with the bucket of the start.
  static Ledger::Timing timing(const config::LokiConfig& c) {
    return {c.reconcile_bucket_ns, c.reconcile_settle_ns, c.reconcile_final_ns};
  }
  static std::int64_t ledger_start(const config::LokiConfig& c, std::int64_t now_ns) {
    return now_ns - std::min(c.backfill_ns, c.reconcile_bucket_ns + c.reconcile_final_ns);
  }

  awaitable<void> run() {
    const std::int64_t start = sh_.clock.now_ns();
    // It checks no bucket a backfill has not read past yet (see read_to).
    asio::co_spawn(*sh_.io, reconcile_loop(), asio::detached);
    if (!restored_) {
      resume_ns_ = start;
      if (knows_services_) {
        ledger_ = Ledger(ledger_start(sh_.cfg, start), timing(sh_.cfg));
      } else if (sh_.windows_restored) {
        // A new selector next to restored windows: what its services logged before
        // now was counted before (by the process or generation the windows come
        // from), so neither a backfill nor a repair of earlier buckets may fetch it.
        ledger_ = Ledger(start, timing(sh_.cfg));
        counted_from_ = start;  // its first bucket may hold lines from before
      } else if (sh_.cfg.backfill_ns > 0) {
        resume_ns_ = std::max(start, co_await backfill(start));
      }
    }
    if (filling_) asio::co_spawn(*sh_.io, fill(), asio::detached);
    if (sh_.cfg.mode == config::LokiConfig::Mode::kPoll) {
      co_await poll_loop();
    } else {
      co_await tail_loop();
    }
  }

  // ---- delivery -------------------------------------------------------------
  void deliver(const core::Entry& e, Via via, std::int64_t backfill_now = 0) {
    if (filling_ && !wanted_while_filling(e, via)) return;
    switch (ledger_.admit(e.timestamp_ns, identity(e, sh_.cfg.identity_ignore_labels))) {
      case Ledger::Admit::kDuplicate:
        // History is fetched once, in ranges that do not overlap: a line it brings
        // is new here. Only a joined ledger knows it, from when its service was
        // tailed by a shard this one resumes from, before it moved away and back.
        if (via == Via::kBackfill) break;
        ++status_.duplicates;
        return;
      case Ledger::Admit::kTooOld:
        // A resumed tail starts with history from the line it ended on: history
        // for a bucket already forgotten was reconciled then, so it is a replay.
        // A line stamped before the session's start is no history: it is live,
        // and late (the windows will tell whether too late).
        if (via == Via::kTail && e.timestamp_ns >= session_start_ns_) {
          ++status_.duplicates;
          return;
        }
        break;
      case Ledger::Admit::kNew:
        break;
    }
    if (e.timestamp_ns < counted_from_) return;  // in the ledger (Loki's count), counted before
    ++status_.lines_received;
    if (via == Via::kRepair) ++status_.lines_repaired;
    if (via == Via::kTail && e.timestamp_ns > resume_ns_) resume_ns_ = e.timestamp_ns;
    if (e.timestamp_ns > status_.newest_line_ns) status_.newest_line_ns = e.timestamp_ns;
    if (plan_.field_matched) {  // its selector may cover services another shard tails
      const int s = sh_.service_of(e);
      const auto id = static_cast<std::size_t>(s);
      if (s >= 0 && id < sh_.shard_of.size() && sh_.shard_of[id] != index_) return;
    }
    if (!sh_.hooks.entry(e, via == Via::kBackfill ? backfill_now : sh_.clock.now_ns()))
      ++status_.late_lines;
  }

  // While the services gained fill, their live lines are left to fill()'s catch-up
  // or to a later repair, and fill() brings nothing else: the shard's other
  // services' history was counted before. A repair is of a minute fill() has read
  // (reconcile_loop() waits for it): all its lines are wanted.
  bool wanted_while_filling(const core::Entry& e, Via via) const {
    if (via == Via::kRepair) return true;
    const int s = plan_.field_matched ? sh_.line_service_of(e) : sh_.service_of(e);
    return is_gained(s) == (via == Via::kBackfill);
  }

  // ---- tail -----------------------------------------------------------------
  std::string tail_target() {
    session_start_ns_ = resume_ns_;
    return sh_.ep.prefix + "/loki/api/v1/tail?query=" + url_encode(plan_.selector) +
           "&start=" + std::to_string(resume_ns_) + "&limit=" + std::to_string(sh_.cfg.limit) +
           "&delay_for=" + std::to_string(sh_.cfg.delay_for_s);
  }

  awaitable<void> tail_loop() {
    std::int64_t backoff = sh_.cfg.backoff_initial_ns;
    asio::steady_timer timer(*sh_.io);
    for (;;) {
      const std::uint64_t messages_before = status_.messages;
      std::string reason;
      try {
        reason = co_await tail_once();
      } catch (const boost::system::system_error& e) {
        reason = error_reason(e.code());
        last_error_ = e.code().message();
      } catch (const std::exception& e) {
        reason = "error";
        last_error_ = e.what();
      }
      status_.connected = false;
      ++status_.reconnects[reason];
      if (status_.messages > messages_before) backoff = sh_.cfg.backoff_initial_ns;
      // Equal jitter: half the backoff, plus up to the other half at random.
      const std::int64_t delay =
          backoff / 2 +
          static_cast<std::int64_t>(std::uniform_real_distribution<double>(0, 1)(sh_.rng) *
                                    static_cast<double>(backoff / 2));
      log::write(reason == "max_duration" ? log::Level::kInfo : log::Level::kWarn,
                 "tail ended; reconnecting",
                 {{"shard", std::to_string(index_)},
                  {"reason", reason},
                  {"error", last_error_.empty() ? "-" : last_error_},
                  {"delay_ms", std::to_string(delay / 1'000'000)},
                  {"resume_from_ns", std::to_string(resume_ns_)}});
      last_error_.clear();
      backoff = std::min(backoff * 2, sh_.cfg.backoff_max_ns);
      timer.expires_after(ns(delay));
      co_await timer.async_wait(use_awaitable);
    }
  }

  awaitable<std::string> tail_once() {
    const auto ex = co_await asio::this_coro::executor;
    if (sh_.ep.tls) {
      websocket::stream<beast::ssl_stream<beast::tcp_stream>> ws(ex, sh_.tls);
      co_await sh_.connect(beast::get_lowest_layer(ws));
      co_await sh_.tls_handshake(ws.next_layer());
      co_return co_await session(ws);
    }
    websocket::stream<beast::tcp_stream> ws(ex);
    co_await sh_.connect(beast::get_lowest_layer(ws));
    co_return co_await session(ws);
  }

  template <class Ws>
  awaitable<std::string> session(Ws& ws) {
    beast::get_lowest_layer(ws).expires_never();
    websocket::stream_base::timeout t{};
    t.handshake_timeout = ns(sh_.cfg.connect_timeout_ns);
    // Without keep-alive pings Beast ends the session idle_timeout after it opened,
    // whatever arrives; with them, only after that long without a byte from Loki.
    t.idle_timeout = kIdleTimeout;
    t.keep_alive_pings = true;
    ws.set_option(t);
    ws.set_option(websocket::stream_base::decorator(
        [this](websocket::request_type& req) { sh_.decorate(req.base()); }));
    ws.read_message_max(64u << 20);
    websocket::response_type res;
    try {
      co_await ws.async_handshake(res, sh_.ep.host, tail_target(), use_awaitable);
    } catch (const boost::system::system_error& e) {
      if (e.code() == websocket::error::upgrade_declined) {
        last_error_ = trim(res.body().substr(0, 200));
        co_return "http_" + std::to_string(res.result_int());
      }
      throw;
    }
    status_.connected = true;
    log::info("tail connected", {{"shard", std::to_string(index_)},
                                 {"loki", sh_.ep.host + ":" + sh_.ep.port},
                                 {"selector", plan_.selector}});
    beast::flat_buffer buf;
    for (;;) {
      buf.clear();
      try {
        co_await ws.async_read(buf, use_awaitable);
      } catch (const boost::system::system_error& e) {
        // Loki drops the connection right after its close frame, so the read may
        // end in a transport error: a close frame received still says why.
        if (e.code() == websocket::error::closed ||
            ws.reason().code != websocket::close_code::none) {
          last_error_ = ws.reason().reason.c_str();
          co_return close_reason(ws.reason());
        }
        throw;
      }
      on_message(std::string_view(static_cast<const char*>(buf.data().data()), buf.size()));
    }
  }

  void on_message(std::string_view msg) {
    ++status_.messages;
    status_.bytes += msg.size();
    const auto r = decoder_.decode(msg, [this](const core::Entry& e) { deliver(e, Via::kTail); });
    if (!r.error.empty()) {
      ++status_.malformed_messages;
      if (status_.malformed_messages <= 5)
        log::warn("malformed tail message",
                  {{"shard", std::to_string(index_)}, {"error", r.error}});
    }
    if (r.dropped_entries > 0) {
      // Loki reports only some of what it dropped: look at the last minutes soon.
      status_.dropped_entries += r.dropped_entries;
      const std::int64_t now = sh_.clock.now_ns();
      ledger_.suspect(now);
      ledger_.suspect(now - sh_.cfg.reconcile_bucket_ns);
    }
  }

  // ---- query_range ----------------------------------------------------------
  // Fetches [start, end) forward, page by page. Lines at a page's last timestamp
  // come again as the next page's first: those seen in this fetch are skipped.
  // Returns how many different lines Loki returned. selector: the shard's, or
  // (fill()) one of some of its services.
  awaitable<std::uint64_t> fetch(std::int64_t start, std::int64_t end, Via via,
                                 const std::string* selector = nullptr) {
    const std::string& query = selector ? *selector : plan_.selector;
    const std::size_t limit = static_cast<std::size_t>(sh_.cfg.limit);
    std::uint64_t lines = 0;
    std::int64_t from = start;
    IdentitySet at_from;
    asio::steady_timer pace(*sh_.io);
    std::uint64_t pages = 0;
    while (from < end) {
      const std::string body = co_await sh_.get(
          "/loki/api/v1/query_range?query=" + url_encode(query) + "&start=" + std::to_string(from) +
          "&end=" + std::to_string(end) + "&limit=" + std::to_string(limit) + "&direction=forward");
      std::size_t n = 0;
      std::int64_t newest = from;
      std::vector<std::uint64_t> at_newest;
      std::vector<Held> held;  // backfill only
      const auto r = decoder_.decode(body, [&](const core::Entry& e) {
        ++n;
        const auto id = identity(e, sh_.cfg.identity_ignore_labels);
        if (e.timestamp_ns > newest) {
          newest = e.timestamp_ns;
          at_newest.clear();
        }
        if (e.timestamp_ns == newest) at_newest.push_back(id);
        if (e.timestamp_ns == from && !at_from.insert(id)) return;  // seen on the last page
        ++lines;
        if (via == Via::kBackfill) {
          held.push_back({{}, {}, e.timestamp_ns, std::string(e.line)});
          for (const auto& l : e.labels) held.back().labels.emplace_back(l.name, l.value);
        } else {
          deliver(e, via);
        }
      });
      if (!r.error.empty()) throw std::runtime_error("query_range: " + r.error);
      deliver_in_time_order(held);
      ++pages;
      if (n < limit) break;
      if (newest == from) {
        // More than `limit` lines share one nanosecond: paging cannot get past it.
        // Stop here; what is missing shows as unrepaired at the bucket's last check.
        log::warn("more than input.loki.limit lines share one timestamp: cannot page past it",
                  {{"shard", std::to_string(index_)}, {"timestamp", std::to_string(from)}});
        co_return lines;
      }
      from = newest;
      at_from = IdentitySet();
      for (auto id : at_newest) at_from.insert(id);
      if (via == Via::kBackfill) {
        history_read_ns_ = from;  // the buckets before are complete: checks may go on
        if (pages % 20 == 0) {
          log::info("backfill progress", {{"shard", std::to_string(index_)},
                                          {"pages", std::to_string(pages)},
                                          {"at_ns", std::to_string(from)}});
        }
        pace.expires_after(ns(static_cast<std::int64_t>(1e9 / sh_.cfg.backfill_pages_per_second)));
        co_await pace.async_wait(use_awaitable);
      }
    }
    co_return lines;
  }

  // A backfill page comes grouped by stream; the windows must see history in time
  // order, each line gated at its own time, or a stream's early lines would be
  // "too late" after another's later ones.
  struct Held {
    std::vector<std::pair<std::string, std::string>> labels;
    std::vector<core::Label> views;
    std::int64_t ts;
    std::string line;
  };
  void deliver_in_time_order(std::vector<Held>& held) {
    std::stable_sort(held.begin(), held.end(),
                     [](const Held& a, const Held& b) { return a.ts < b.ts; });
    for (auto& h : held) {
      for (const auto& [k, v] : h.labels) h.views.push_back({k, v});
      backfill_now_ = std::max(backfill_now_, h.ts);
      deliver({h.views, h.ts, h.line}, Via::kBackfill, backfill_now_);
    }
  }

  awaitable<std::uint64_t> count(std::int64_t minute) {
    // A range [w] evaluated at t covers (t - w, t]: at minute + w - 1ns that is the minute.
    const std::int64_t w = sh_.cfg.reconcile_bucket_ns;
    const std::string body =
        co_await sh_.get("/loki/api/v1/query?query=" +
                         url_encode("sum(count_over_time(" + plan_.selector + "[" +
                                    std::to_string(w / 1'000'000'000) + "s]))") +
                         "&time=" + std::to_string(minute + w - 1));
    const auto doc = boost::json::parse(body);
    const auto& result = doc.at("data").at("result").as_array();
    if (result.empty()) co_return 0;
    const auto& value = result.at(0).at("value").as_array().at(1).as_string();
    co_return static_cast<std::uint64_t>(std::stoull(std::string(value)));
  }

  // ---- reconciliation -------------------------------------------------------
  awaitable<void> reconcile_loop() {
    asio::steady_timer timer(*sh_.io);
    for (;;) {
      timer.expires_after(ns(config::kReconcileTickNs));
      co_await timer.async_wait(use_awaitable);
      const std::int64_t now = sh_.clock.now_ns();
      ledger_.advance(now);
      // A poller reads behind the clock, as does a backfill (for the services
      // gained, if filling): a bucket not read past yet is not missing lines, only
      // waiting for them. A tail reads live.
      std::int64_t read_to = sh_.cfg.mode == config::LokiConfig::Mode::kPoll
                                 ? resume_ns_
                                 : std::numeric_limits<std::int64_t>::max();
      if (backfilling_ || filling_) read_to = std::min(read_to, history_read_ns_);
      bool failed = false;
      for (const std::int64_t minute : ledger_.due(now, read_to)) {
        try {
          const std::uint64_t loki = co_await count(minute);
          const std::int64_t end = minute + sh_.cfg.reconcile_bucket_ns;
          if (ledger_.recounting(minute)) {  // joined: fetched whole, what is new counted
            ledger_.recounted(minute, co_await fetch(minute, end, Via::kRepair));
          } else if (loki > ledger_.received(minute)) {
            co_await fetch(minute, end, Via::kRepair);
          }
          const std::uint64_t have = ledger_.received(minute);
          if (ledger_.checked(minute, now)) {
            ++status_.minutes_reconciled;
            if (loki > have) status_.unrepaired_lines += loki - have;
            if (have > loki) status_.excess_lines += have - loki;
          }
        } catch (const std::exception& e) {
          ++status_.reconcile_errors;
          if (status_.reconcile_errors <= 5 || status_.reconcile_errors % 100 == 0) {
            log::warn("reconciliation failed",
                      {{"shard", std::to_string(index_)}, {"error", e.what()}});
          }
          failed = true;
          break;  // Loki is not answering: try again on the next tick
        }
      }
      if (!failed) status_.reconciled_ns = now;
    }
  }

  // ---- poll mode and backfill ------------------------------------------------
  awaitable<void> poll_loop() {
    asio::steady_timer timer(*sh_.io);
    std::int64_t cursor = resume_ns_;
    for (;;) {
      timer.expires_after(ns(sh_.cfg.poll_interval_ns));
      co_await timer.async_wait(use_awaitable);
      const std::int64_t end = sh_.clock.now_ns() - sh_.cfg.poll_lag_ns;
      if (end <= cursor) continue;
      try {
        co_await fetch(cursor, end, Via::kPoll);
        cursor = end;
        resume_ns_ = end;  // where a restored poller continues
        status_.connected = true;
      } catch (const std::exception& e) {
        status_.connected = false;
        ++status_.reconnects["poll_error"];
        log::warn("poll failed", {{"shard", std::to_string(index_)}, {"error", e.what()}});
      }
    }
  }

  // History from `from` to `to`, then on from there until within a bucket of now
  // (Loki stores lines meanwhile): each line at its own time, as the windows need.
  // Reading on stops when a step no longer gains on the clock (the selector logs
  // faster than backfill_pages_per_second reads): the tail and the reconciler take
  // it from there. Returns where it has read to. selector: as for fetch(). The
  // reconciler checks the buckets it has read as it goes, so that the ledger holds
  // no more of them than live.
  awaitable<std::int64_t> read_history(std::int64_t from, std::int64_t to,
                                       const std::string* selector = nullptr) {
    backfill_now_ = from;
    for (std::int64_t behind = std::numeric_limits<std::int64_t>::max(); to > from;) {
      status_.backfill_lines += co_await fetch(from, to, Via::kBackfill, selector);
      from = history_read_ns_ = to;
      to = core::floor_div(sh_.clock.now_ns(), sh_.cfg.reconcile_bucket_ns) *
           sh_.cfg.reconcile_bucket_ns;
      if (to - from >= behind) {
        log::warn("backfill cannot catch up with the lines logged meanwhile; the tail goes on",
                  {{"shard", std::to_string(index_)},
                   {"behind_seconds", std::to_string((to - from) / 1'000'000'000)}});
        break;
      }
      behind = to - from;
    }
    co_return from;
  }

  // Up to the bucket the ledger starts with, and on to near now; returns where the
  // tail is to start (on an error, `start`: reconciliation covers the rest). One
  // pass: a retry could not tell the lines already handed on from the rest
  // (history is older than any ledger bucket), so a failure ends the backfill.
  awaitable<std::int64_t> backfill(std::int64_t start) {
    const std::int64_t end =
        core::floor_div(start, sh_.cfg.reconcile_bucket_ns) * sh_.cfg.reconcile_bucket_ns;
    backfilling_ = true;
    log::info("backfill started",
              {{"shard", std::to_string(index_)},
               {"seconds", std::to_string(sh_.cfg.backfill_ns / 1'000'000'000)}});
    std::string error;
    std::int64_t reached = start;
    try {
      reached = co_await read_history(end - sh_.cfg.backfill_ns, end);
    } catch (const std::exception& e) {
      error = e.what();
    }
    backfilling_ = false;
    if (error.empty()) {
      log::info("backfill done", {{"shard", std::to_string(index_)}});
    } else {
      log::error("backfill stopped early", {{"shard", std::to_string(index_)},
                                            {"error", error},
                                            {"reached_ns", std::to_string(backfill_now_)}});
    }
    co_return reached;
  }

  // The services gained (knows_services()): read_history() from the ledger's floor
  // back, at the backfill's pace (the tail leaves their lines to it meanwhile).
  // Does not hold the other services back (vouched_ns): their windows are live,
  // and the filling ones are not published to the present until done. The
  // shard's buckets wait for their checks until it has read them
  // (history_read_ns_): a check before would find the gained services' lines missing.
  awaitable<void> fill() {
    log::info("backfill of services new here started",
              {{"shard", std::to_string(index_)},
               {"services", std::to_string(gained_.size())},
               {"selector", fill_selector_},
               {"seconds", std::to_string(sh_.cfg.backfill_ns / 1'000'000'000)}});
    std::string error;
    try {
      co_await read_history(ledger_.floor_ns() - sh_.cfg.backfill_ns, ledger_.floor_ns(),
                            &fill_selector_);
    } catch (const std::exception& e) {
      error = e.what();
    }
    filling_ = false;
    for (const int s : gained_) sh_.hooks.filling(s, false);
    if (error.empty()) {
      log::info("backfill of services new here done", {{"shard", std::to_string(index_)}});
    } else {
      log::error("backfill of services new here stopped early",
                 {{"shard", std::to_string(index_)},
                  {"error", error},
                  {"reached_ns", std::to_string(backfill_now_)}});
    }
  }

  Shared& sh_;
  ShardPlan plan_;
  std::size_t index_;
  Ledger ledger_;
  parse::LokiDecoder decoder_;
  core::ShardStatus status_;
  std::int64_t resume_ns_ = 0;
  std::int64_t backfill_now_ = 0;
  bool backfilling_ = false;
  bool restored_ = false;
  bool knows_services_ = false;  // restored with the ids of the services saved shards tailed
  bool filling_ = false;         // fill() is running
  // How far read_history() has read: the reconciler checks no bucket after it.
  std::int64_t history_read_ns_ = std::numeric_limits<std::int64_t>::min();
  std::vector<int> gained_;    // services to fill
  std::string fill_selector_;  // theirs alone, where the shard's services are matched by one label
  std::vector<bool> is_gained_;  // by service index
  // Lines stamped before this were counted before (see run()); they are admitted into
  // the ledger, so that its counts match Loki's, but not handed on.
  std::int64_t counted_from_ = std::numeric_limits<std::int64_t>::min();
  std::int64_t session_start_ns_ = 0;  // the start= of the current tail session
  std::string last_error_;
};

Input::Input(config::LokiConfig cfg, std::vector<ShardPlan> plan, const core::Clock& clock,
             ServiceOf service_of, ServiceOf line_service_of)
    : shared_(std::make_unique<Shared>(std::move(cfg), clock, std::move(service_of),
                                       std::move(line_service_of))) {
  for (std::size_t i = 0; i < plan.size(); ++i) {
    for (int s : plan[i].services) {
      const auto id = static_cast<std::size_t>(s);
      if (shared_->shard_of.size() <= id) shared_->shard_of.resize(id + 1);
      shared_->shard_of[id] = i;
    }
    shards_.push_back(std::make_unique<Shard>(*shared_, std::move(plan[i]), i));
  }
}

Input::~Input() = default;

void Input::start(asio::io_context& io, source::Hooks hooks) {
  shared_->io = &io;
  shared_->hooks = std::move(hooks);
  for (auto& s : shards_) {
    for (const int service : s->gained()) {
      if (!shared_->hooks.filling) throw std::logic_error("a source filling needs Hooks::filling");
      shared_->hooks.filling(service, true);
    }
  }
  for (auto& s : shards_) s->start();
  log::info("tailing Loki",
            {{"url", shared_->cfg.url}, {"shards", std::to_string(shards_.size())}});
}

void Input::save(core::Writer& w) const {
  w.u64(shards_.size());
  for (const auto& s : shards_) s->save(w);
}

void Input::windows_restored() { shared_->windows_restored = true; }

std::size_t Input::restore(core::Reader& r, bool with_ids) {
  struct Saved {
    std::string_view selector;
    std::int64_t resume;
    std::string_view ledger;
    std::vector<std::string_view> ids;
  };
  std::vector<Saved> saved;
  std::set<std::string_view> tailed;
  for (std::uint64_t n = r.count(), i = 0; i < n && r.ok(); ++i) {
    Saved s{r.str(), r.i64(), r.str(), {}};
    if (with_ids)
      for (std::uint64_t k = r.count(), j = 0; j < k && r.ok(); ++j) s.ids.push_back(r.str());
    tailed.insert(s.ids.begin(), s.ids.end());
    saved.push_back(std::move(s));
  }
  if (!r.ok()) return 0;
  std::size_t restored = 0;
  for (auto& shard : shards_) {
    const auto& ids = shard->plan().ids;
    const auto same = std::find_if(saved.begin(), saved.end(), [&](const Saved& s) {
      return s.selector == shard->plan().selector;
    });
    if (same != saved.end()) {
      core::Reader ledger(same->ledger);
      if (shard->restore(same->resume, ledger)) ++restored;
    } else if (with_ids) {
      std::vector<std::pair<std::int64_t, std::string_view>> from;
      for (const auto& s : saved) {
        if (std::any_of(s.ids.begin(), s.ids.end(), [&](std::string_view id) {
              return std::find(ids.begin(), ids.end(), id) != ids.end();
            }))
          from.emplace_back(s.resume, s.ledger);
      }
      if (!from.empty() && shard->restore_joined(from)) ++restored;
    }
    if (!with_ids) continue;
    std::vector<std::size_t> gained;
    for (std::size_t i = 0; i < ids.size(); ++i)
      if (!tailed.contains(ids[i])) gained.push_back(i);
    shard->knows_services(gained);
  }
  return restored;
}

std::int64_t Input::vouched_ns() const {
  std::int64_t floor = shared_->clock.now_ns();
  for (const auto& s : shards_) floor = std::min(floor, s->backfill_progress());
  return floor;
}

std::vector<core::ShardStatus> Input::status() const {
  std::vector<core::ShardStatus> out;
  for (const auto& s : shards_) out.push_back(s->status());
  return out;
}

}  // namespace lle::loki
