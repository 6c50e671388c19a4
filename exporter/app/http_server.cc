#include "exporter/app/http_server.h"

#include <civetweb.h>

#include <boost/json.hpp>
#include <stdexcept>

namespace lle::app {

HttpResponse json_error(int status, const std::string& error, const std::string& detail) {
  boost::json::object o{{"error", error}, {"detail", detail}};
  return {status, "application/json", boost::json::serialize(o) + "\n"};
}

namespace {
const char* reason(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 409:
      return "Conflict";
    case 503:
      return "Service Unavailable";
    default:
      return status < 500 ? "Bad Request" : "Internal Server Error";
  }
}

// allow: the methods of the path, for a 405's Allow header.
void send(mg_connection* conn, const HttpResponse& r, bool head, const std::string& allow) {
  const std::string allow_header = r.status == 405 ? "Allow: " + allow + "\r\n" : "";
  mg_printf(conn,
            "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
            "Cache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\n%s\r\n",
            r.status, reason(r.status), r.content_type.c_str(), r.body.size(),
            allow_header.c_str());
  if (!head) mg_write(conn, r.body.data(), r.body.size());
}
}  // namespace

int HttpServer::dispatch(mg_connection* conn, void* self) {
  auto* server = static_cast<HttpServer*>(self);
  const mg_request_info* req = mg_get_request_info(conn);
  const std::string method = req->request_method ? req->request_method : "";
  const std::string path = req->local_uri ? req->local_uri : "/";
  const bool head = method == "HEAD";
  const auto it = server->routes_.find(path);
  HttpResponse r;
  std::string allow;
  if (it == server->routes_.end()) {
    r = json_error(404, "not_found", "no such path: " + path);
  } else {
    const auto& methods = it->second;
    const auto handler = methods.find(head ? "GET" : method);
    if (handler == methods.end()) {
      for (const auto& [m, h] : methods) allow += (allow.empty() ? "" : ", ") + m;
      if (methods.contains("GET")) allow += ", HEAD";
      r = json_error(405, "method_not_allowed", method + " is not allowed on " + path);
    } else {
      try {
        r = handler->second();
      } catch (const std::exception& e) {
        r = json_error(500, "internal_error", e.what());
      }
    }
  }
  send(conn, r, head, allow);
  return r.status;
}

void HttpServer::start(const std::string& listen) {
  mg_init_library(0);
  const char* options[] = {"listening_ports",    listen.c_str(), "num_threads", "4",
                           "request_timeout_ms", "10000",        nullptr};
  mg_callbacks callbacks{};
  ctx_ = mg_start(&callbacks, nullptr, options);
  if (ctx_ == nullptr) throw std::runtime_error("cannot listen on " + listen);
  mg_set_request_handler(ctx_, "/", &HttpServer::dispatch, this);
  mg_server_port ports[4];
  const int n = mg_get_server_ports(ctx_, 4, ports);
  port_ = n > 0 ? ports[0].port : 0;
}

void HttpServer::stop() {
  if (ctx_ != nullptr) {
    mg_stop(ctx_);
    ctx_ = nullptr;
  }
}

}  // namespace lle::app
