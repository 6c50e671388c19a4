#pragma once
// The route table of the exporter's port: {method, path template, handler}.
// A template's "{name}" segment matches one non-empty path segment and is handed
// to the handler in HttpRequest::params. A request whose path matches no template
// gets a JSON 404; one whose path matches but whose method does not, a JSON 405
// with Allow (the methods registered on that path). HEAD is answered by the GET
// route unless a HEAD route exists.
// A handler answers through `respond`, at once or later from any thread (e.g.
// once the Prometheus reload it started is done), so that waiting never holds a
// handler thread. Thread safety: add() before serving; dispatch() from any thread.

#include <cstddef>
#include <functional>
#include <map>
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

struct HttpRequest {
  std::string method, path, query, body, peer;  // path percent-decoded, query as sent
  bool body_too_large = false;                  // reading stopped at the route's max_body bytes
  std::vector<std::pair<std::string, std::string>> headers;
  std::map<std::string, std::string> params;  // the path template's {name} segments
  // The first header of that name (case-insensitive), or "".
  std::string_view header(std::string_view name) const;
};

HttpResponse json_error(int status, const std::string& error, const std::string& detail);

// Called exactly once with the answer, from any thread.
using Respond = std::function<void(HttpResponse)>;
using Handler = std::function<HttpResponse(const HttpRequest&)>;
using AsyncHandler = std::function<void(const HttpRequest&, Respond)>;

struct Route {
  std::string method;
  std::string path;  // a template: "/api/services/{id}/latency"
  AsyncHandler handler;
  std::size_t max_body = 0;  // body bytes read; beyond them body_too_large
};

class Router {
 public:
  void add(Route r);
  void add(std::string method, std::string path, Handler h, std::size_t max_body = 0);
  // A page: GET and HEAD.
  void add_page(const std::string& path, const Handler& h);

  // The most body bytes any route on this path reads.
  std::size_t max_body(std::string_view path) const;
  // Answers through respond: the route's handler (an exception is a 500), a 404 or a 405.
  void dispatch(HttpRequest request, const Respond& respond) const;

 private:
  std::vector<Route> routes_;
};

}  // namespace lle::web
