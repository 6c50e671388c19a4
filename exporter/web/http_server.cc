#include "exporter/web/http_server.h"

#include <algorithm>
#include <atomic>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/url/parse.hpp>
#include <map>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <thread>
#include <type_traits>

#include "exporter/core/printable.h"
#include "exporter/log/log.h"

namespace lle::web {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

constexpr std::size_t kMaxHeaderBytes = 16 * 1024;

// HOST:PORT, HOST a name, an IPv4 address or a bracketed IPv6 address.
tcp::endpoint endpoint_of(const std::string& listen, asio::io_context& ioc) {
  const auto colon = listen.rfind(':');
  if (colon == std::string::npos) throw std::runtime_error("expected HOST:PORT");
  std::string host = listen.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  tcp::resolver resolver(ioc);
  boost::system::error_code ec;
  const auto results = resolver.resolve(
      host, listen.substr(colon + 1), tcp::resolver::passive | tcp::resolver::numeric_service, ec);
  if (ec || results.empty()) throw std::runtime_error(host + ": " + ec.message());
  return results.begin()->endpoint();
}

template <class Stream>
class Connection;

}  // namespace

struct HttpServer::Impl {
  explicit Impl(HttpServer& s)
      : server(s), handlers(static_cast<std::size_t>(s.limits_.handler_threads)) {}

  void accept();
  void refuse(tcp::socket socket);
  const Router& router() const { return server.router_; }
  // Connections whose answer a handler still owes.
  void hold(std::shared_ptr<void> c) {
    std::lock_guard lock(waiting_mutex);
    const void* key = c.get();
    waiting.emplace(key, std::move(c));
  }
  void release(const void* c) {
    std::lock_guard lock(waiting_mutex);
    waiting.erase(c);
  }
  std::shared_ptr<const Security> security() const {
    std::lock_guard lock(server.security_mutex_);
    return server.security_;
  }

  HttpServer& server;
  // Declared so that what a pending handler holds is destroyed while ioc lives.
  std::atomic<int> open{0};
  std::atomic<std::uint64_t> refused{0};
  asio::io_context ioc{1};
  tcp::acceptor acceptor{ioc};
  asio::steady_timer retry{ioc};
  asio::thread_pool handlers;
  std::mutex waiting_mutex;
  std::map<const void*, std::shared_ptr<void>> waiting;  // before ioc goes
  std::thread io_thread;
  int port = 0;
};

namespace {

using TlsStream = beast::ssl_stream<beast::tcp_stream>;

// One client connection: requests read and answered in turn (HTTP/1.1
// keep-alive), every read and write bounded by the request timeout. All of it
// runs on the I/O thread except the handler (and the basic-auth check before it),
// which runs on a handler thread. Stream: beast::tcp_stream, or TlsStream after
// its handshake.
template <class Stream>
class Connection : public std::enable_shared_from_this<Connection<Stream>> {
 public:
  // security: its TLS context, for a TlsStream (kept while the connection lives).
  Connection(HttpServer::Impl& impl, tcp::socket socket, std::chrono::milliseconds timeout,
             std::shared_ptr<const Security> security = nullptr)
      : impl_(impl),
        tls_(std::move(security)),
        stream_(make_stream(std::move(socket))),
        timeout_(timeout) {
    ++impl_.open;
  }

  // TLS first: the handshake, within the request timeout.
  void handshake() {
    socket().expires_after(timeout_);
    stream_.async_handshake(asio::ssl::stream_base::server,
                            [self = this->shared_from_this()](beast::error_code ec) {
                              if (ec) return self->close();
                              self->read();
                            });
  }
  ~Connection() { --impl_.open; }
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  void read() {
    request_ = HttpRequest{};
    parser_.emplace();
    parser_->header_limit(kMaxHeaderBytes);
    parser_->body_limit(boost::none);  // the route's own, once its path is known
    socket().expires_after(timeout_);
    http::async_read_header(stream_, buffer_, *parser_,
                            [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
                              self->on_header(ec);
                            });
  }

 private:
  void on_header(beast::error_code ec) {
    if (ec) return on_error(ec);
    const auto& req = parser_->get();
    request_.method = std::string(req.method_string());
    const auto target = boost::urls::parse_origin_form(req.target());
    if (!target) {
      return answer(json_error(400, "invalid_target",
                               "not a path and query: " + core::printable(req.target())),
                    false);
    }
    request_.path = target->path();
    if (request_.path.find('\0') != std::string::npos) {
      return answer(json_error(400, "invalid_path", "a path may not hold %00"), false);
    }
    request_.query = target->encoded_query();
    boost::system::error_code peer_ec;
    request_.peer = socket().socket().remote_endpoint(peer_ec).address().to_string();
    for (const auto& f : req) request_.headers.emplace_back(f.name_string(), f.value());
    const std::size_t max_body = impl_.router().max_body(request_.path);
    if (parser_->content_length().value_or(0) > max_body) return on_body(http::error::body_limit);
    parser_->body_limit(max_body);  // a chunked body: checked as it arrives
    http::async_read(stream_, buffer_, *parser_,
                     [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
                       self->on_body(ec);
                     });
  }

  void on_body(beast::error_code ec) {
    bool keep_alive = false;
    if (ec == http::error::body_limit) {
      request_.body_too_large = true;  // not read: the connection is closed after the answer
    } else if (ec) {
      return on_error(ec);
    } else {
      request_.body = std::move(parser_->get().body());
      keep_alive = parser_->get().keep_alive();
    }
    // Until answered the server holds the connection: an answer that comes after
    // the server stopped finds it gone and is dropped.
    impl_.hold(this->shared_from_this());
    asio::post(impl_.handlers, [this, weak = this->weak_from_this(), keep_alive] {
      const auto respond = [weak, keep_alive](HttpResponse r) {
        const auto self = weak.lock();
        if (!self) return;
        asio::post(self->stream_.get_executor(), [self, keep_alive, r = std::move(r)]() mutable {
          self->impl_.release(self.get());
          self->answer(std::move(r), keep_alive);
        });
      };
      // Basic auth before any route: on a handler thread, as bcrypt takes a while.
      security_ = impl_.security();
      if (security_ && !security_->allows(request_.path, request_.header("Authorization"))) {
        auto r = json_error(401, "unauthorized", "this server asks for basic auth");
        r.headers.emplace_back("WWW-Authenticate",
                               "Basic realm=\"loki-latency-exporter\", charset=\"UTF-8\"");
        return respond(std::move(r));
      }
      impl_.router().dispatch(request_, respond);
    });
  }

  // A request that could not be read: answered when the client can be told why,
  // else the connection is closed (timeouts, the client leaving).
  void on_error(beast::error_code ec) {
    if (ec == http::error::header_limit)
      return answer(json_error(431, "header_too_large", "request headers over 16 KiB"), false);
    const bool unreadable =
        ec.category() == http::make_error_code(http::error::bad_target).category();
    if (unreadable && ec != http::error::end_of_stream && ec != http::error::partial_message)
      return answer(json_error(400, "bad_request", ec.message()), false);
    close();
  }

  void answer(HttpResponse r, bool keep_alive) {
    const bool head = request_.method == "HEAD";
    auto res = std::make_shared<http::response<http::string_body>>();
    res->version(11);
    res->result(static_cast<unsigned>(r.status));
    res->set(http::field::content_type, r.content_type);
    res->set(http::field::cache_control, "no-store");
    res->set("X-Content-Type-Options", "nosniff");
    if (security_) {
      for (const auto& [k, v] : security_->headers()) res->set(k, v);  // the web config's
    }
    for (const auto& [k, v] : r.headers) {
      if (beast::iequals(k, "Connection")) {
        keep_alive = keep_alive && !beast::iequals(v, "close");
      } else {
        res->insert(k, v);  // a header given twice is sent twice
      }
    }
    res->keep_alive(keep_alive);
    if (head) {
      res->content_length(r.body.size());  // what GET would send; no body
    } else {
      res->body() = std::move(r.body);
      res->prepare_payload();
    }
    socket().expires_after(timeout_);
    http::async_write(
        stream_, *res,
        [self = this->shared_from_this(), res, keep_alive](beast::error_code ec, std::size_t) {
          if (ec || !keep_alive) return self->close();
          self->read();
        });
  }

  void close() {
    beast::error_code ignored;
    socket().socket().shutdown(tcp::socket::shutdown_both, ignored);
    socket().socket().close(ignored);
  }

  beast::tcp_stream& socket() { return beast::get_lowest_layer(stream_); }
  Stream make_stream(tcp::socket socket) {
    if constexpr (std::is_same_v<Stream, TlsStream>) {
      return Stream(std::move(socket), *tls_->tls());
    } else {
      return Stream(std::move(socket));
    }
  }

  HttpServer::Impl& impl_;
  const std::shared_ptr<const Security> tls_;  // before stream_, which uses its context
  Stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::chrono::milliseconds timeout_;
  HttpRequest request_;
  std::shared_ptr<const Security> security_;  // in force when the request was read
};

}  // namespace

void HttpServer::Impl::accept() {
  acceptor.async_accept([this](beast::error_code ec, tcp::socket socket) {
    if (ec == asio::error::operation_aborted) return;  // stopping
    if (ec) {  // out of descriptors, say: try again shortly rather than spin
      retry.expires_after(std::chrono::milliseconds(100));
      retry.async_wait([this](beast::error_code e) {
        if (!e) accept();
      });
      return;
    }
    const auto timeout = server.limits_.request_timeout;
    if (open.load() >= server.limits_.max_connections) {
      refuse(std::move(socket));
    } else if (const auto s = security(); s && s->tls()) {
      std::make_shared<Connection<TlsStream>>(*this, std::move(socket), timeout, s)->handshake();
    } else {
      std::make_shared<Connection<beast::tcp_stream>>(*this, std::move(socket), timeout)->read();
    }
    accept();
  });
}

// Over the limit: a short 503 if the socket takes it at once, then closed.
void HttpServer::Impl::refuse(tcp::socket socket) {
  ++refused;
  static const std::string answer = [] {
    const std::string body =
        R"({"error":"too_many_connections","detail":"the server's max_connections are open"})"
        "\n";
    return "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
           "Content-Length: " +
           std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body;
  }();
  beast::error_code ignored;
  socket.non_blocking(true, ignored);
  socket.write_some(asio::buffer(answer), ignored);
  socket.shutdown(tcp::socket::shutdown_both, ignored);
  socket.close(ignored);
}

HttpServer::HttpServer() : HttpServer(Limits{}) {}
HttpServer::HttpServer(Limits limits) : limits_(limits) {}
HttpServer::~HttpServer() { stop(); }

void HttpServer::start(const std::string& listen) {
  impl_ = std::make_unique<Impl>(*this);
  try {
    const auto ep = endpoint_of(listen, impl_->ioc);
    impl_->acceptor.open(ep.protocol());
    impl_->acceptor.set_option(asio::socket_base::reuse_address(true));
    impl_->acceptor.bind(ep);
    impl_->acceptor.listen(asio::socket_base::max_listen_connections);
    impl_->port = impl_->acceptor.local_endpoint().port();
  } catch (const std::exception& e) {
    impl_.reset();
    throw std::runtime_error("cannot listen on " + listen + ": " + e.what());
  }
  impl_->accept();
  impl_->io_thread = std::thread([impl = impl_.get()] {
    for (;;) {
      try {
        impl->ioc.run();
        return;
      } catch (const std::exception& e) {
        log::error("HTTP server I/O error", {{"error", e.what()}});
      }
    }
  });
}

void HttpServer::stop() {
  if (!impl_) return;
  impl_->ioc.stop();  // pending reads and writes are dropped with the io_context
  if (impl_->io_thread.joinable()) impl_->io_thread.join();
  impl_->handlers.stop();
  impl_->handlers.join();
  impl_.reset();
}

void HttpServer::secure(std::shared_ptr<const Security> security) {
  std::lock_guard lock(security_mutex_);
  security_ = std::move(security);
}

int HttpServer::port() const { return impl_ ? impl_->port : 0; }

std::uint64_t HttpServer::refused_connections() const { return impl_ ? impl_->refused.load() : 0; }

}  // namespace lle::web
