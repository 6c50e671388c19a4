#pragma once
// The exporter's HTTP server (civetweb): one handler that dispatches by exact
// path, so unknown paths and methods get a JSON 4xx rather than a file listing.
// Thread safety: handlers run on civetweb's worker threads; they must only
// read thread-safe state (the published snapshot pointer).

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

struct mg_context;
struct mg_connection;

namespace lle::app {

struct HttpResponse {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers = {};
};

// All of a request, for handlers that need more than the path (the REST API).
struct HttpRequest {
  std::string method, path, query, body, peer;
  bool body_too_large = false;  // reading stopped at the route's max_body bytes
  std::vector<std::pair<std::string, std::string>> headers;
  // The first header of that name (case-insensitive), or "".
  std::string_view header(std::string_view name) const;
};

HttpResponse json_error(int status, const std::string& error, const std::string& detail);

class HttpServer {
 public:
  using Handler = std::function<HttpResponse(const HttpRequest&)>;
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

  // Binds host:port (port 0 picks a free one). Throws std::runtime_error.
  void start(const std::string& listen);
  void stop();
  int port() const { return port_; }
  ~HttpServer() { stop(); }

 private:
  static int dispatch(mg_connection* conn, void* self);
  std::map<std::string, std::map<std::string, Handler>> routes_;  // path -> method -> handler
  struct Prefix {
    std::string prefix;
    std::size_t max_body;
    Handler handler;
  };
  std::vector<Prefix> prefixes_;
  mg_context* ctx_ = nullptr;
  int port_ = 0;
};

}  // namespace lle::app
