#include "exporter/web/router.h"

#include <algorithm>
#include <atomic>
#include <boost/json.hpp>
#include <cctype>
#include <memory>
#include <optional>

#include "exporter/core/printable.h"

namespace lle::web {

HttpResponse json_error(int status, const std::string& error, const std::string& detail) {
  boost::json::object o{{"error", error}, {"detail", detail}};
  return {status, "application/json", boost::json::serialize(o) + "\n"};
}

std::string_view HttpRequest::header(std::string_view name) const {
  const auto same = [](std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
             return std::tolower(static_cast<unsigned char>(x)) ==
                    std::tolower(static_cast<unsigned char>(y));
           });
  };
  for (const auto& [k, v] : headers)
    if (same(k, name)) return v;
  return {};
}

namespace {

// The template's {name} segments if path matches it, else nullopt.
std::optional<std::map<std::string, std::string>> match(std::string_view tmpl,
                                                        std::string_view path) {
  std::map<std::string, std::string> params;
  for (;;) {
    const auto t_end = tmpl.find('/', 1), p_end = path.find('/', 1);
    const std::string_view t = tmpl.substr(0, t_end), p = path.substr(0, p_end);
    if (t.size() > 3 && t.substr(0, 2) == "/{" && t.back() == '}') {
      if (p.size() < 2) return std::nullopt;  // "/" then one character at least
      params.emplace(t.substr(2, t.size() - 3), p.substr(1));
    } else if (t != p) {
      return std::nullopt;
    }
    if ((t_end == std::string_view::npos) != (p_end == std::string_view::npos)) return std::nullopt;
    if (t_end == std::string_view::npos) return params;
    tmpl.remove_prefix(t_end);
    path.remove_prefix(p_end);
  }
}

}  // namespace

void Router::add(Route r) { routes_.push_back(std::move(r)); }

void Router::add(std::string method, std::string path, Handler h, std::size_t max_body) {
  add({std::move(method), std::move(path),
       [h = std::move(h)](const HttpRequest& r, const Respond& respond) { respond(h(r)); },
       max_body});
}

void Router::add_page(const std::string& path, const Handler& h) {
  add("GET", path, h);
  add("HEAD", path, h);
}

std::size_t Router::max_body(std::string_view path) const {
  std::size_t most = 0;
  for (const auto& r : routes_)
    if (match(r.path, path)) most = std::max(most, r.max_body);
  return most;
}

void Router::dispatch(HttpRequest request, const Respond& respond) const {
  const Route* chosen = nullptr;
  const Route* get = nullptr;  // answers a HEAD without a route of its own
  std::string allow;
  for (const auto& r : routes_) {
    if (!match(r.path, request.path)) continue;
    allow += (allow.empty() ? "" : ", ") + r.method;
    if (r.method == request.method && !chosen) chosen = &r;
    if (r.method == "GET" && request.method == "HEAD" && !get) get = &r;
  }
  if (!chosen) chosen = get;
  if (allow.empty())
    return respond(json_error(404, "not_found", "no such path: " + core::printable(request.path)));
  if (!chosen) {
    HttpResponse r = json_error(
        405, "method_not_allowed",
        core::printable(request.method) + " is not allowed on " + core::printable(request.path));
    r.headers.emplace_back("Allow", allow);
    return respond(std::move(r));
  }
  request.params = std::move(*match(chosen->path, request.path));
  // An exception before the handler answered is a 500; one after, the handler's own doing.
  auto answered = std::make_shared<std::atomic<bool>>(false);
  try {
    chosen->handler(request, [respond, answered](HttpResponse r) {
      *answered = true;
      respond(std::move(r));
    });
  } catch (const std::exception& e) {
    if (!*answered) respond(json_error(500, "internal_error", e.what()));
  }
}

}  // namespace lle::web
