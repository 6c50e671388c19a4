#include "exporter/app/http_server.h"

#include <civetweb.h>

#include <algorithm>
#include <boost/json.hpp>
#include <cctype>
#include <stdexcept>

#include "exporter/core/printable.h"

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
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 409:
      return "Conflict";
    case 412:
      return "Precondition Failed";
    case 413:
      return "Content Too Large";
    case 503:
      return "Service Unavailable";
    default:
      return status < 500 ? "Bad Request" : "Internal Server Error";
  }
}

// allow: the methods of the path, for a 405's Allow header.
void send(mg_connection* conn, const HttpResponse& r, bool head, const std::string& allow) {
  std::string extra = r.status == 405 && !allow.empty() ? "Allow: " + allow + "\r\n" : "";
  for (const auto& [k, v] : r.headers) extra += k + ": " + v + "\r\n";
  mg_printf(conn,
            "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
            "Cache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\n%s\r\n",
            r.status, reason(r.status), r.content_type.c_str(), r.body.size(), extra.c_str());
  if (!head) mg_write(conn, r.body.data(), r.body.size());
}

bool same_name(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

HttpRequest read_request(mg_connection* conn, const mg_request_info* req, std::size_t max_body) {
  HttpRequest r;
  r.method = req->request_method ? req->request_method : "";
  r.path = req->local_uri ? req->local_uri : "/";
  r.query = req->query_string ? req->query_string : "";
  r.peer = req->remote_addr;
  for (int i = 0; i < req->num_headers; ++i)
    r.headers.emplace_back(req->http_headers[i].name, req->http_headers[i].value);
  if (req->content_length > static_cast<long long>(max_body)) {
    r.body_too_large = true;  // not read: the connection is closed after the answer
    return r;
  }
  char buf[4096];
  for (int n; (n = mg_read(conn, buf, sizeof buf)) > 0;) {
    if (r.body.size() + static_cast<std::size_t>(n) > max_body) {
      r.body_too_large = true;
      break;
    }
    r.body.append(buf, static_cast<std::size_t>(n));
  }
  return r;
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
  const auto prefix = std::find_if(server->prefixes_.begin(), server->prefixes_.end(),
                                   [&](const Prefix& p) { return path.starts_with(p.prefix); });
  if (it == server->routes_.end() && prefix != server->prefixes_.end()) {
    const HttpRequest request = read_request(conn, req, prefix->max_body);
    try {
      r = prefix->handler(request);
    } catch (const std::exception& e) {
      r = json_error(500, "internal_error", e.what());
    }
    if (request.body_too_large) r.headers.emplace_back("Connection", "close");
  } else if (it == server->routes_.end()) {
    r = json_error(404, "not_found", "no such path: " + core::printable(path));
  } else {
    const auto& methods = it->second;
    const auto handler = methods.find(head ? "GET" : method);
    if (handler == methods.end()) {
      for (const auto& [m, h] : methods) allow += (allow.empty() ? "" : ", ") + m;
      if (methods.contains("GET")) allow += ", HEAD";
      r = json_error(405, "method_not_allowed",
                     core::printable(method) + " is not allowed on " + core::printable(path));
    } else {
      try {
        r = handler->second(read_request(conn, req, 0));
      } catch (const std::exception& e) {
        r = json_error(500, "internal_error", e.what());
      }
    }
  }
  send(conn, r, head, allow);
  return r.status;
}

std::string_view HttpRequest::header(std::string_view name) const {
  for (const auto& [k, v] : headers)
    if (same_name(k, name)) return v;
  return {};
}

// civetweb gives each connection a worker thread for as long as it is open, so
// the workers bound how many idle or byte-at-a-time clients can be held before
// a scrape has to wait: with 4, eight idle connections delayed /-/healthy by
// 19.5 s and 256 kept /metrics from answering at all. 300 workers keep /metrics
// answering in about 0.1 s with 256 such connections held (docs/perf), for about
// 6 MB more resident memory. Connections beyond them wait in civetweb's queue.
constexpr const char* kWorkerThreads = "300";

void HttpServer::start(const std::string& listen) {
  mg_init_library(0);
  const char* options[] = {"listening_ports",    listen.c_str(), "num_threads", kWorkerThreads,
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
