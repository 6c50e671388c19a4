#pragma once
// The exporter's HTTP/1.1 server (Boost.Beast on Asio): one I/O thread holds
// every connection, a few handler threads run the handlers, dispatched through
// one route table (router.h), so unknown paths and methods get a JSON 4xx rather
// than a file listing. A handler that answers later (respond from another thread)
// holds no thread while it waits; its connection waits, within request_timeout
// for the write only.
// An idle or slow connection costs a socket and a buffer, not a thread; beyond
// Limits::max_connections a new connection gets a 503 and is closed at once.
// With a web configuration (security.h) it speaks TLS and asks for basic auth
// before any route runs: a request without valid credentials gets a 401.
// Thread safety: handlers run on the handler threads; they must only read
// thread-safe state (the published snapshot pointer). A Respond handed out must
// be called or dropped before stop().

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <utility>

#include "exporter/web/router.h"
#include "exporter/web/security.h"

namespace lle::web {

class HttpServer {
 public:
  struct Limits {
    int max_connections = 512;  // open at once; more are answered 503 and closed
    // A request (headers and body) must arrive, and a response be taken, within
    // this; a connection idle for as long between requests is closed.
    std::chrono::milliseconds request_timeout{10'000};
    int handler_threads = 4;
  };
  HttpServer();
  explicit HttpServer(Limits limits);
  ~HttpServer();

  // The route table (router.h); filled before start().
  Router& routes() { return router_; }

  // Binds HOST:PORT (port 0 picks a free one). Throws std::runtime_error.
  void start(const std::string& listen);
  // TLS, basic auth and headers from now on (security.h): connections accepted
  // later take its TLS context, requests read later its users and headers.
  // nullptr (the default): plain HTTP, no basic auth.
  void secure(std::shared_ptr<const Security> security);
  void stop();
  int port() const;
  // Connections answered 503 because max_connections were open.
  std::uint64_t refused_connections() const;

  struct Impl;  // sockets and threads (http_server.cc)

 private:
  friend struct Impl;
  Router router_;
  Limits limits_;
  mutable std::mutex security_mutex_;
  std::shared_ptr<const Security> security_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace lle::web
