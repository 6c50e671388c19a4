#include "exporter/app/prometheus_reload.h"

#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <thread>

namespace lle::app {
namespace {

// One POST; "" on a 2xx answer, else what went wrong.
std::string post_once(const std::string& host, const std::string& port, const std::string& path) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (const int rc = getaddrinfo(host.c_str(), port.c_str(), &hints, &found); rc != 0)
    return "cannot resolve " + host + ": " + gai_strerror(rc);
  int fd = -1;
  for (addrinfo* a = found; a && fd < 0; a = a->ai_next) {
    fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
    if (fd < 0) continue;
    timeval tv{5, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    if (connect(fd, a->ai_addr, a->ai_addrlen) != 0) {
      close(fd);
      fd = -1;
    }
  }
  freeaddrinfo(found);
  if (fd < 0) return "cannot connect to " + host + ":" + port + ": " + std::strerror(errno);
  const std::string request = "POST " + path + " HTTP/1.1\r\nHost: " + host + ":" + port +
                              "\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
  (void)::send(fd, request.data(), request.size(), MSG_NOSIGNAL);
  std::string reply;
  char buf[1024];
  for (ssize_t n; reply.size() < 4096 && (n = recv(fd, buf, sizeof buf, 0)) > 0;)
    reply.append(buf, static_cast<std::size_t>(n));
  close(fd);
  const auto sp = reply.find(' ');
  if (sp == std::string::npos || reply.size() < sp + 4) return "no HTTP answer";
  const std::string status = reply.substr(sp + 1, 3);
  if (status[0] == '2') return "";
  const auto body = reply.find("\r\n\r\n");
  return "HTTP " + status + (body == std::string::npos ? "" : ": " + reply.substr(body + 4, 200));
}

}  // namespace

api::ReloadOutcome reload_prometheus(const std::string& url, int attempts) {
  api::ReloadOutcome out;
  if (url.empty()) return out;
  // http://host[:port]/path (the config accepts nothing else).
  const std::string rest = url.substr(std::strlen("http://"));
  const auto slash = rest.find('/');
  const std::string authority = rest.substr(0, slash);
  const std::string path = slash == std::string::npos ? "/" : rest.substr(slash);
  const auto colon = authority.rfind(':');
  const std::string host = colon == std::string::npos ? authority : authority.substr(0, colon);
  const std::string port = colon == std::string::npos ? "80" : authority.substr(colon + 1);
  for (out.attempts = 1;; ++out.attempts) {
    out.detail = post_once(host, port, path);
    if (out.detail.empty()) {
      out.status = "ok";
      return out;
    }
    if (out.attempts >= attempts) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(200 * out.attempts));  // backoff
  }
  out.status = "failed";
  return out;
}

}  // namespace lle::app
