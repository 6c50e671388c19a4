#pragma once
// A local stand-in for PagerDuty's Events API v2 (POST /v2/enqueue) on
// 127.0.0.1 (a free port unless one is given): records every event body it is
// sent and answers 202 as PagerDuty does. One connection at a time, which is all
// Alertmanager needs here.
// Thread safety: events() may be called from any thread.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace lle::test {

class PagerDutyReceiver {
 public:
  explicit PagerDutyReceiver(int port = 0) {
    fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    const int on = 1;
    setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<std::uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    if (bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || listen(fd_, 16) != 0 ||
        getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
      close(fd_);
      throw std::runtime_error("PagerDutyReceiver: cannot listen on 127.0.0.1");
    }
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { serve(); });
  }
  ~PagerDutyReceiver() {
    stop_ = true;
    thread_.join();
    close(fd_);
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/v2/enqueue"; }
  // The JSON bodies received, in order.
  std::vector<std::string> events() const {
    std::lock_guard lock(mutex_);
    return events_;
  }

 private:
  void serve() {
    while (!stop_) {
      pollfd p{fd_, POLLIN, 0};
      if (poll(&p, 1, 50) <= 0) continue;
      const int c = accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (c < 0) continue;
      timeval tv{5, 0};
      setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
      handle(c);
      close(c);
    }
  }
  void handle(int c) {
    std::string raw;
    char buf[16384];
    std::size_t header_end = std::string::npos, length = 0;
    for (ssize_t n; (n = recv(c, buf, sizeof buf, 0)) > 0;) {
      raw.append(buf, static_cast<std::size_t>(n));
      if (header_end == std::string::npos &&
          (header_end = raw.find("\r\n\r\n")) != std::string::npos) {
        for (const char* name : {"Content-Length: ", "content-length: "}) {
          const auto at = raw.find(name);
          if (at != std::string::npos && at < header_end)
            length = std::strtoul(raw.c_str() + at + std::string(name).size(), nullptr, 10);
        }
      }
      if (header_end != std::string::npos && raw.size() >= header_end + 4 + length) break;
    }
    if (header_end == std::string::npos) return;
    {
      std::lock_guard lock(mutex_);
      events_.push_back(raw.substr(header_end + 4, length));
    }
    const std::string body = R"({"status":"success","message":"Event processed"})";
    const std::string reply =
        "HTTP/1.1 202 Accepted\r\nContent-Type: application/json\r\n"
        "Content-Length: " +
        std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body;
    (void)::send(c, reply.data(), reply.size(), MSG_NOSIGNAL);
  }

  int fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  mutable std::mutex mutex_;
  std::vector<std::string> events_;
  std::thread thread_;
};

}  // namespace lle::test
