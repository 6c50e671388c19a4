#include "test/support/fake_loki.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <boost/json.hpp>
#include <chrono>
#include <random>
#include <stdexcept>

namespace lle::test {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
namespace json = boost::json;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

namespace {

struct Matcher {
  std::string name, op;
  std::vector<std::string> values;  // one for = and !=; the alternatives for =~ and !~
};

std::vector<std::string> split_alternation(const std::string& re) {
  std::vector<std::string> out(1);
  for (std::size_t i = 0; i < re.size(); ++i) {
    if (re[i] == '\\' && i + 1 < re.size()) {
      out.back() += re[++i];
    } else if (re[i] == '|') {
      out.emplace_back();
    } else {
      out.back() += re[i];
    }
  }
  return out;
}

// {a="x", b=~"y|z"}; throws std::invalid_argument.
std::vector<Matcher> parse_selector(const std::string& s) {
  if (s.size() < 2 || s.front() != '{' || s.back() != '}') throw std::invalid_argument("selector");
  std::vector<Matcher> out;
  std::size_t i = 1;
  const auto skip = [&] {
    while (i < s.size() && (s[i] == ' ' || s[i] == ',')) ++i;
  };
  for (skip(); i < s.size() - 1; skip()) {
    Matcher m;
    while (i < s.size() && (std::isalnum(static_cast<unsigned char>(s[i])) || s[i] == '_'))
      m.name += s[i++];
    while (i < s.size() && (s[i] == '=' || s[i] == '!' || s[i] == '~')) m.op += s[i++];
    if (m.name.empty() || i >= s.size() || s[i] != '"') throw std::invalid_argument("matcher");
    std::string value;
    for (++i; i < s.size() && s[i] != '"'; ++i) {
      if (s[i] == '\\' && i + 1 < s.size()) ++i;
      value += s[i];
    }
    if (i >= s.size()) throw std::invalid_argument("unterminated string");
    ++i;
    if (m.op == "=" || m.op == "!=") {
      m.values = {value};
    } else if (m.op == "=~" || m.op == "!~") {
      m.values = split_alternation(value);
    } else {
      throw std::invalid_argument("operator " + m.op);
    }
    out.push_back(std::move(m));
  }
  if (out.empty()) throw std::invalid_argument("empty selector");
  return out;
}

bool matches(const std::vector<Matcher>& sel, const std::map<std::string, std::string>& labels) {
  for (const auto& m : sel) {
    const auto it = labels.find(m.name);
    const std::string v = it == labels.end() ? "" : it->second;
    const bool in = std::find(m.values.begin(), m.values.end(), v) != m.values.end();
    if ((m.op == "=" || m.op == "=~") != in) return false;
  }
  return true;
}

std::string url_decode(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      out += static_cast<char>(std::stoi(std::string(s.substr(i + 1, 2)), nullptr, 16));
      i += 2;
    } else {
      out += s[i] == '+' ? ' ' : s[i];
    }
  }
  return out;
}

std::map<std::string, std::string> query_params(std::string_view target) {
  std::map<std::string, std::string> out;
  const auto q = target.find('?');
  if (q == std::string_view::npos) return out;
  std::string_view rest = target.substr(q + 1);
  while (!rest.empty()) {
    const auto amp = rest.find('&');
    const auto pair = rest.substr(0, amp);
    const auto eq = pair.find('=');
    out[url_decode(pair.substr(0, eq))] =
        eq == std::string_view::npos ? "" : url_decode(pair.substr(eq + 1));
    rest = amp == std::string_view::npos ? "" : rest.substr(amp + 1);
  }
  return out;
}

std::int64_t param_int(const std::map<std::string, std::string>& p, const char* key,
                       std::int64_t def) {
  const auto it = p.find(key);
  return it == p.end() || it->second.empty() ? def : std::stoll(it->second);
}

std::string labels_json(const std::map<std::string, std::string>& labels, std::mt19937* shuffle) {
  std::vector<std::pair<std::string, std::string>> kv(labels.begin(), labels.end());
  if (shuffle) std::shuffle(kv.begin(), kv.end(), *shuffle);
  json::object o;
  for (auto& [k, v] : kv) o[k] = v;
  return json::serialize(o);
}

}  // namespace

struct FakeLoki::Conn {
  int fd = -1;
  std::atomic<bool> drop{false}, drop_mid_message{false};
  std::mutex raw_mutex;
  std::vector<std::string> raw;
};

FakeLoki::FakeLoki(Options options) : options_(std::move(options)) {
  port_ = options_.port;
  if (!options_.tls_cert_file.empty()) {
    tls_ = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_server);
    tls_->use_certificate_chain_file(options_.tls_cert_file);
    tls_->use_private_key_file(options_.tls_key_file, asio::ssl::context::pem);
  }
  start();
}

FakeLoki::~FakeLoki() { stop(); }

void FakeLoki::start() {
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);  // not for children
  const int one = 1;
  ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(port_);
  if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::listen(listen_fd_, 64) != 0) {
    throw std::runtime_error("fake Loki cannot listen on port " + std::to_string(port_));
  }
  socklen_t len = sizeof addr;
  ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
  port_ = ntohs(addr.sin_port);
  stopping_ = false;
  acceptor_ = std::thread([this] { accept_loop(); });
}

void FakeLoki::stop() {
  if (listen_fd_ < 0) return;
  stopping_ = true;
  acceptor_.join();
  ::close(listen_fd_);
  listen_fd_ = -1;
  std::vector<std::thread> threads;
  {
    std::lock_guard lock(mutex_);
    for (auto& c : conns_)
      if (c->fd >= 0) ::shutdown(c->fd, SHUT_RDWR);
    threads.swap(threads_);
  }
  pushed_.notify_all();
  for (auto& t : threads) t.join();
  std::lock_guard lock(mutex_);
  conns_.clear();
}

void FakeLoki::accept_loop() {
  while (!stopping_) {
    pollfd p{listen_fd_, POLLIN, 0};
    if (::poll(&p, 1, 50) <= 0) continue;
    const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    auto conn = std::make_shared<Conn>();
    conn->fd = fd;
    std::lock_guard lock(mutex_);
    conns_.push_back(conn);
    threads_.emplace_back([this, conn] { serve(conn); });
  }
}

void FakeLoki::push(const std::map<std::string, std::string>& labels, std::int64_t ts_ns,
                    const std::string& line) {
  {
    std::lock_guard lock(mutex_);
    lines_.push_back({labels, ts_ns, line, lines_.size()});
  }
  pushed_.notify_all();
}

std::uint64_t FakeLoki::most_served_by_query_range() const {
  std::lock_guard lock(mutex_);
  return most_served_;
}

std::uint64_t FakeLoki::count_queries_covering(std::int64_t ts_ns) const {
  std::lock_guard lock(mutex_);
  return static_cast<std::uint64_t>(
      std::count_if(counted_ranges_.begin(), counted_ranges_.end(),
                    [&](const auto& r) { return ts_ns > r.first && ts_ns <= r.second; }));
}

std::size_t FakeLoki::stored() const {
  std::lock_guard lock(mutex_);
  return lines_.size();
}

void FakeLoki::drop_tails(bool mid_message) {
  std::lock_guard lock(mutex_);
  for (auto& c : conns_) {
    c->drop_mid_message = mid_message;
    c->drop = true;
  }
  pushed_.notify_all();
}

void FakeLoki::send_raw_to_tails(const std::string& text) {
  std::lock_guard lock(mutex_);
  for (auto& c : conns_) {
    std::lock_guard raw_lock(c->raw_mutex);
    c->raw.push_back(text);
  }
  pushed_.notify_all();
}

void FakeLoki::decline_upgrades(int count, int status) {
  std::lock_guard lock(mutex_);
  decline_count_ = count;
  decline_status_ = status;
}

void FakeLoki::serve(std::shared_ptr<Conn> conn) {
  asio::io_context ioc;
  tcp::socket sock(ioc);
  sock.assign(tcp::v4(), conn->fd);
  // Before the socket closes its descriptor, so no one shuts down a reused number.
  struct Forget {
    FakeLoki* self;
    Conn* conn;
    ~Forget() {
      std::lock_guard lock(self->mutex_);
      conn->fd = -1;
    }
  } forget{this, conn.get()};
  if (tls_) {
    asio::ssl::stream<tcp::socket&> stream(sock, *tls_);
    beast::error_code ec;
    stream.handshake(asio::ssl::stream_base::server, ec);
    if (!ec) serve_on(stream, sock, *conn);
  } else {
    serve_on(sock, sock, *conn);
  }
}

template <class Stream>
void FakeLoki::serve_on(Stream& stream, tcp::socket& sock, Conn& c) {
  Conn* conn = &c;
  beast::flat_buffer buf;
  http::request<http::string_body> req;
  beast::error_code ec;
  http::read(stream, buf, req, ec);
  if (ec) return;
  const std::string target(req.target());
  const std::string path = target.substr(0, target.find('?'));
  const auto params = query_params(target);
  const auto respond = [&](http::status status, const std::string& body) {
    http::response<http::string_body> res{status, 11};
    res.set(http::field::content_type,
            status == http::status::ok ? "application/json" : "text/plain; charset=utf-8");
    res.body() = body;
    res.prepare_payload();
    res.keep_alive(false);
    http::write(stream, res, ec);
    sock.shutdown(tcp::socket::shutdown_both, ec);
  };
  std::string tenant;
  if (const auto it = req.find("X-Scope-OrgID"); it != req.end()) tenant = it->value();
  if (const auto it = req.find(http::field::authorization); it != req.end()) {
    std::lock_guard lock(mutex_);
    last_authorization_ = it->value();
  }
  if (path == "/loki/api/v1/query" || path == "/loki/api/v1/query_range") ++queries_;
  if (!options_.tenant.empty() && tenant.empty())
    return respond(http::status::unauthorized, "no org id\n");
  const bool visible = options_.tenant.empty() || tenant == options_.tenant;

  std::vector<Matcher> sel;
  const auto q = params.find("query");
  std::string query = q == params.end() ? "" : q->second;
  std::int64_t range_ns = 0;
  if (path == "/loki/api/v1/query") {
    const std::string pre = "sum(count_over_time(";
    const auto open = query.rfind('[');
    if (!query.starts_with(pre) || open == std::string::npos || !query.ends_with("s]))")) {
      return respond(http::status::bad_request, "unsupported query\n");
    }
    range_ns = std::stoll(query.substr(open + 1)) * 1'000'000'000LL;
    query = query.substr(pre.size(), open - pre.size());
  }
  try {
    sel = parse_selector(query);
  } catch (const std::exception& e) {
    return respond(http::status::bad_request, std::string("parse error: ") + e.what() + "\n");
  }

  if (path == "/loki/api/v1/query") {
    const std::int64_t t = param_int(params, "time", 0);
    std::size_t n = 0;
    {
      std::lock_guard lock(mutex_);
      counted_ranges_.emplace_back(t - range_ns, t);
      for (const auto& l : lines_)
        n += visible && l.ts_ns > t - range_ns && l.ts_ns <= t && matches(sel, l.labels);
    }
    json::array result;
    if (n > 0) {
      result.push_back(
          json::object{{"metric", json::object{}},
                       {"value", json::array{static_cast<double>(t) / 1e9, std::to_string(n)}}});
    }
    return respond(http::status::ok,
                   json::serialize(json::object{
                       {"status", "success"},
                       {"data", json::object{{"resultType", "vector"}, {"result", result}}}}));
  }
  if (path == "/loki/api/v1/query_range") {
    const std::int64_t start = param_int(params, "start", 0), end = param_int(params, "end", 0);
    const auto limit = static_cast<std::size_t>(param_int(params, "limit", 100));
    std::vector<Line> found;
    {
      std::lock_guard lock(mutex_);
      for (const auto& l : lines_)
        if (visible && l.ts_ns >= start && l.ts_ns < end && matches(sel, l.labels))
          found.push_back(l);
    }
    std::stable_sort(found.begin(), found.end(),
                     [](const Line& a, const Line& b) { return a.ts_ns < b.ts_ns; });
    if (found.size() > limit) found.resize(limit);
    ++query_ranges_;
    {
      std::lock_guard lock(mutex_);
      for (const auto& l : found) most_served_ = std::max(most_served_, ++served_[{query, l.seq}]);
    }
    std::map<std::map<std::string, std::string>, json::array> streams;
    for (auto& l : found) {
      l.labels["detected_level"] = "info";  // structured metadata, merged as Loki 3.x does
      streams[l.labels].push_back(json::array{std::to_string(l.ts_ns), l.line});
    }
    json::array result;
    for (auto& [labels, values] : streams) {
      json::object stream;
      for (const auto& [k, v] : labels) stream[k] = v;
      result.push_back(json::object{{"stream", stream}, {"values", values}});
    }
    return respond(http::status::ok,
                   json::serialize(json::object{
                       {"status", "success"},
                       {"data", json::object{{"resultType", "streams"}, {"result", result}}}}));
  }
  if (path != "/loki/api/v1/tail" || !websocket::is_upgrade(req)) {
    return respond(http::status::not_found, "404 page not found\n");
  }
  int decline = 0;
  {
    std::lock_guard lock(mutex_);
    if (decline_count_ > 0) {
      --decline_count_;
      decline = decline_status_;
    }
  }
  if (decline != 0) return respond(static_cast<http::status>(decline), "declined by the test\n");

  // ---- the tail ----
  websocket::stream<Stream&> ws(stream);
  ws.accept(req, ec);
  if (ec) return;
  ws.text(true);
  ++tails_opened_;
  std::mt19937 rng(static_cast<unsigned>(conn->fd) * 7919u + static_cast<unsigned>(tails_opened_));
  const std::int64_t start = param_int(params, "start", 0);
  const auto limit = static_cast<std::size_t>(param_int(params, "limit", 100));
  std::vector<Line> history;
  std::size_t cursor;
  {
    std::lock_guard lock(mutex_);
    for (const auto& l : lines_)
      if (visible && l.ts_ns >= start && matches(sel, l.labels)) history.push_back(l);
    cursor = lines_.size();
  }
  std::stable_sort(history.begin(), history.end(),
                   [](const Line& a, const Line& b) { return a.ts_ns < b.ts_ns; });
  if (history.size() > limit)
    history.erase(history.begin(), history.end() - static_cast<std::ptrdiff_t>(limit));
  for (auto& l : history) l.labels["detected_level"] = "info";

  std::vector<std::pair<std::int64_t, std::map<std::string, std::string>>> dropped;
  const auto send = [&](const std::vector<Line>& batch) {
    std::string msg = "{\"streams\":[";
    for (std::size_t i = 0; i < batch.size(); ++i) {
      if (i) msg += ',';
      msg += "{\"stream\":" + labels_json(batch[i].labels, &rng) + ",\"values\":[[\"" +
             std::to_string(batch[i].ts_ns) + "\"," + json::serialize(json::string(batch[i].line)) +
             "]]}";
    }
    msg += "]";
    if (!dropped.empty()) {
      msg += ",\"dropped_entries\":[";
      const std::size_t n = std::min<std::size_t>(dropped.size(), 1000);
      for (std::size_t i = 0; i < n; ++i) {
        if (i) msg += ',';
        msg += "{\"timestamp\":\"" + std::to_string(dropped[i].first) +
               "\",\"labels\":" + labels_json(dropped[i].second, nullptr) + "}";
      }
      msg += "]";
      dropped.clear();  // the rest is never reported, as with Loki
    }
    msg += "}";
    if (conn->drop_mid_message) {  // half a frame, then the TCP connection goes
      const unsigned char header[] = {0x81, 126, static_cast<unsigned char>(msg.size() >> 8),
                                      static_cast<unsigned char>(msg.size() & 0xff)};
      asio::write(stream, asio::buffer(header), ec);
      asio::write(stream, asio::buffer(msg.data(), msg.size() / 2), ec);
      return false;
    }
    ws.write(asio::buffer(msg), ec);
    return !ec;
  };
  for (std::size_t i = 0; i < history.size(); i += 100) {
    if (!send({history.begin() + static_cast<std::ptrdiff_t>(i),
               history.begin() + static_cast<std::ptrdiff_t>(std::min(i + 100, history.size()))}))
      return;
  }
  const auto opened = Clock::now();
  auto last_ping = opened, last_refill = opened;
  double tokens = options_.lines_per_second;
  for (;;) {
    std::vector<Line> fresh;
    {
      std::unique_lock lock(mutex_);
      pushed_.wait_for(lock, std::chrono::milliseconds(50),
                       [&] { return stopping_ || conn->drop || lines_.size() > cursor; });
      if (stopping_) return;
      for (; cursor < lines_.size(); ++cursor)
        if (visible && matches(sel, lines_[cursor].labels)) fresh.push_back(lines_[cursor]);
    }
    if (conn->drop) {
      if (conn->drop_mid_message) send(fresh.empty() ? std::vector<Line>{{{}, 1, "x", 0}} : fresh);
      sock.shutdown(tcp::socket::shutdown_both, ec);
      return;
    }
    {
      std::vector<std::string> raw;
      {
        std::lock_guard raw_lock(conn->raw_mutex);
        raw.swap(conn->raw);
      }
      for (const auto& r : raw) ws.write(asio::buffer(r), ec);
      if (ec) return;
    }
    const auto now = Clock::now();
    if (std::chrono::duration<double>(now - opened).count() >= options_.max_duration_s) {
      // Loki writes the close frame and drops the connection at once.
      const std::string reason = "reached tail max duration limit";
      std::string frame = {'\x88', static_cast<char>(2 + reason.size()), '\x03', '\xf3'};  // 1011
      frame += reason;
      asio::write(stream, asio::buffer(frame), ec);
      sock.shutdown(tcp::socket::shutdown_both, ec);
      return;
    }
    if (now - last_ping >= std::chrono::seconds(1)) {
      ws.ping({}, ec);
      if (ec) return;
      last_ping = now;
    }
    tokens = std::min(options_.lines_per_second,
                      tokens + options_.lines_per_second *
                                   std::chrono::duration<double>(now - last_refill).count());
    last_refill = now;
    const auto can = static_cast<std::size_t>(std::max(0.0, tokens));
    if (fresh.size() > can) {
      for (std::size_t i = can; i < fresh.size(); ++i)
        dropped.emplace_back(fresh[i].ts_ns, fresh[i].labels);
      dropped_by_cap_ += fresh.size() - can;
      fresh.resize(can);
    }
    tokens -= static_cast<double>(fresh.size());
    for (std::size_t i = 0; i < fresh.size(); i += 100) {
      if (!send({fresh.begin() + static_cast<std::ptrdiff_t>(i),
                 fresh.begin() + static_cast<std::ptrdiff_t>(std::min(i + 100, fresh.size()))}))
        return;
    }
  }
}

}  // namespace lle::test
