#include "exporter/outbound/http_client.h"

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/url/parse.hpp>

#include "exporter/core/printable.h"

namespace lle::outbound {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

constexpr std::size_t kMaxAnswerBytes = 16 << 20;

struct Target {
  std::string host, port, path, authority;  // authority: host[:port] as in the URL
};

// One request; out.detail is "" on a 2xx answer, else what went wrong.
asio::awaitable<void> once(http::verb method, const Target& t, std::chrono::milliseconds timeout,
                           Result& out) {
  const auto ex = co_await asio::this_coro::executor;
  const std::string& where = t.authority;
  beast::tcp_stream stream(ex);
  try {
    tcp::resolver resolver(ex);
    const auto found = co_await resolver.async_resolve(t.host, t.port, asio::use_awaitable);
    stream.expires_after(timeout);
    co_await stream.async_connect(found, asio::use_awaitable);
    http::request<http::empty_body> req{method, t.path, 11};
    req.set(http::field::host, where);
    req.set(http::field::user_agent, "loki-latency-exporter");
    req.prepare_payload();
    co_await http::async_write(stream, req, asio::use_awaitable);
    beast::flat_buffer buffer;
    http::response_parser<http::string_body> parser;
    parser.body_limit(kMaxAnswerBytes);
    co_await http::async_read(stream, buffer, parser, asio::use_awaitable);
    beast::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
    auto res = parser.release();
    out.status = static_cast<int>(res.result_int());
    out.body = std::move(res.body());
    out.detail = out.status / 100 == 2 ? ""
                                       : "HTTP " + std::to_string(out.status) + ": " +
                                             core::printable(out.body.substr(0, 200));
  } catch (const boost::system::system_error& e) {
    out.status = 0;
    out.body.clear();
    out.detail = where + ": " + e.code().message();
  }
}

}  // namespace

asio::awaitable<Result> request(std::string method, std::string url, int attempts,
                                std::chrono::milliseconds timeout) {
  Result out;
  const http::verb verb = http::string_to_verb(method);
  const auto u = boost::urls::parse_absolute_uri(url);
  if (!u || u->scheme() != "http" || u->host().empty()) {
    out.attempts = 1;
    out.detail = "not an http:// URL: " + core::printable(url);
    co_return out;
  }
  const Target t{u->host_address(), u->has_port() ? std::string(u->port()) : "80",
                 u->encoded_path().empty() ? "/" : std::string(u->encoded_target()),
                 std::string(u->encoded_host_and_port())};
  asio::steady_timer backoff(co_await asio::this_coro::executor);
  for (out.attempts = 1;; ++out.attempts) {
    co_await once(verb, t, timeout, out);
    out.ok = out.detail.empty();
    if (out.ok || out.attempts >= attempts) co_return out;
    backoff.expires_after(std::chrono::milliseconds(200 * out.attempts));
    co_await backoff.async_wait(asio::use_awaitable);
  }
}

}  // namespace lle::outbound
