#pragma once
// The exporter's HTTP/1.1 server (Boost.Beast on Asio): one I/O thread holds
// every connection, a few handler threads run the handlers, and one dispatch by
// exact path, so unknown paths and methods get a JSON 4xx rather than a file listing.
// An idle or slow connection costs a socket and a buffer, not a thread; beyond
// Limits::max_connections a new connection gets a 503 and is closed at once.
// Thread safety: handlers run on the handler threads; they must only read
// thread-safe state (the published snapshot pointer).

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace lle::web {

struct HttpResponse {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers = {};
};

// All of a request, for handlers that need more than the path (the REST API).
struct HttpRequest {
  std::string method, path, query, body, peer;  // path percent-decoded, query as sent
  bool body_too_large = false;                  // reading stopped at the route's max_body bytes
  std::vector<std::pair<std::string, std::string>> headers;
  // The first header of that name (case-insensitive), or "".
  std::string_view header(std::string_view name) const;
};

HttpResponse json_error(int status, const std::string& error, const std::string& detail);

class HttpServer {
 public:
  struct Limits {
    int max_connections = 512;  // open at once; more are answered 503 and closed
    // A request (headers and body) must arrive, and a response be taken, within
    // this; a connection idle for as long between requests is closed.
    std::chrono::milliseconds request_timeout{10'000};
    int handler_threads = 8;  // /-/reload may hold one for as long as a reload takes
  };
  using Handler = std::function<HttpResponse(const HttpRequest&)>;

  HttpServer();
  explicit HttpServer(Limits limits);
  ~HttpServer();

  // Routes by exact path and method; a GET route answers HEAD too. Call before start().
  void route(const std::string& path, Handler h) { route("GET", path, std::move(h)); }
  void route(const std::string& method, const std::string& path, Handler h) {
    routes_[path][method] = std::move(h);
  }
  // Every method on every path under `prefix`; bodies are read up to max_body bytes
  // (exact routes get none).
  void route_prefix(const std::string& prefix, std::size_t max_body, Handler h) {
    prefixes_.push_back({prefix, max_body, std::move(h)});
  }

  // Binds HOST:PORT (port 0 picks a free one). Throws std::runtime_error.
  void start(const std::string& listen);
  void stop();
  int port() const;
  // Connections answered 503 because max_connections were open.
  std::uint64_t refused_connections() const;

  struct Impl;  // sockets and threads (http_server.cc)

 private:
  struct Prefix {
    std::string prefix;
    std::size_t max_body;
    Handler handler;
  };
  friend struct Impl;
  // The answer to a request whose path and method are known; runs on a handler thread.
  HttpResponse dispatch(const HttpRequest& request, const Prefix* prefix) const;
  const Prefix* prefix_for(const std::string& path) const;

  std::map<std::string, std::map<std::string, Handler>> routes_;  // path -> method -> handler
  std::vector<Prefix> prefixes_;
  Limits limits_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace lle::web
