#pragma once
// Starting the exporter binary (or any program) from tests, with stdio
// redirected to files, and a minimal HTTP/1.1 client for loopback. Every wait
// is bounded by a deadline; nothing sleeps to let time pass.

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cctype>
#include <chrono>
#include <fstream>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

extern char** environ;

namespace lle::test {

inline std::string exporter_binary() {
  const char* b = std::getenv("LLE_BINARY");
  if (!b) throw std::runtime_error("LLE_BINARY is not set (run through ctest)");
  return b;
}

// Polls `done` every few milliseconds until it holds or the deadline passes.
inline bool wait_until(const std::function<bool()>& done, std::chrono::milliseconds deadline) {
  const auto end = std::chrono::steady_clock::now() + deadline;
  while (std::chrono::steady_clock::now() < end) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return done();
}

class Process {
 public:
  Process(const std::vector<std::string>& argv, const std::string& stdin_path,
          const std::string& stdout_path, const std::string& stderr_path) {
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, stdin_path.c_str(), O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 1, stdout_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                     0644);
    posix_spawn_file_actions_addopen(&fa, 2, stderr_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                     0644);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    if (posix_spawnp(&pid_, args[0], &fa, nullptr, args.data(), environ) != 0) {
      posix_spawn_file_actions_destroy(&fa);
      throw std::runtime_error("cannot start " + argv[0]);
    }
    posix_spawn_file_actions_destroy(&fa);
  }
  ~Process() {
    if (pid_ > 0 && !exit_code_) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }
  void signal(int sig) { kill(pid_, sig); }
  // The exit code (128+signal when killed), or nullopt if still running at the deadline.
  std::optional<int> wait(std::chrono::milliseconds deadline) {
    wait_until(
        [&] {
          int status;
          if (waitpid(pid_, &status, WNOHANG) == pid_) {
            exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
          }
          return exit_code_.has_value();
        },
        deadline);
    return exit_code_;
  }

 private:
  pid_t pid_ = -1;
  std::optional<int> exit_code_;
};

// Runs a program to completion (bounded) and returns its exit code.
inline int run_to_exit(const std::vector<std::string>& argv, const std::string& out,
                       const std::string& err, const std::string& in = "/dev/null") {
  Process p(argv, in, out, err);
  const auto code = p.wait(std::chrono::seconds(60));
  if (!code) throw std::runtime_error("timed out: " + argv[0]);
  return *code;
}

// The port of the /metrics URL the exporter logs once it serves, read from its
// stderr file; 0 if that line is not there.
inline int logged_metrics_port(const std::string& log) {
  for (const std::string marker : {"metrics=http://127.0.0.1:", "metrics=https://127.0.0.1:"}) {
    if (const auto at = log.find(marker); at != std::string::npos)
      return std::atoi(log.c_str() + at + marker.size());
  }
  return 0;
}

// Waits (bounded) for the exporter writing to stderr file `err` to log its port.
inline int wait_for_metrics_port(const std::string& err, std::chrono::milliseconds deadline) {
  int port = 0;
  wait_until(
      [&] {
        std::ifstream in(err);
        port = logged_metrics_port(
            std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>()));
        return port != 0;
      },
      deadline);
  return port;
}

// Waits (bounded) for an exporter replaying a file to serve and finish the replay;
// its port, or 0.
inline int wait_for_replay(const std::string& err, std::chrono::milliseconds deadline) {
  int port = 0;
  const bool done = wait_until(
      [&] {
        std::ifstream in(err);
        const std::string log((std::istreambuf_iterator<char>(in)),
                              std::istreambuf_iterator<char>());
        port = logged_metrics_port(log);
        return port != 0 && log.find("replay finished") != std::string::npos;
      },
      deadline);
  return done ? port : 0;
}

// A TCP connection to 127.0.0.1:port (reads time out after 5 s), or -1.
inline int connect_loopback(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  timeval tv{5, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

struct HttpReply {
  int status = 0;
  std::string headers;
  std::string body;
};

// headers: "Name: value" lines, each without its CRLF.
inline HttpReply http_request(int port, const std::string& method, const std::string& path,
                              const std::vector<std::string>& headers,
                              const std::string& body = "") {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  timeval tv{5, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  HttpReply r;
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    close(fd);
    return r;
  }
  std::string req = method + " " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n";
  for (const auto& h : headers) req += h + "\r\n";
  if (!body.empty() || method == "PUT" || method == "POST")
    req += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  req += "\r\n" + body;
  (void)::send(fd, req.data(), req.size(), 0);
  std::string raw;
  char buf[65536];
  for (ssize_t n; (n = recv(fd, buf, sizeof buf, 0)) > 0;)
    raw.append(buf, static_cast<std::size_t>(n));
  close(fd);
  const auto sp = raw.find(' ');
  const auto split = raw.find("\r\n\r\n");
  if (sp == std::string::npos || split == std::string::npos) return r;
  r.status = std::stoi(raw.substr(sp + 1, 3));
  r.headers = raw.substr(0, split);
  r.body = raw.substr(split + 4);
  std::string lower = r.headers;
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (lower.find("transfer-encoding: chunked") != std::string::npos) {
    std::string body;  // each chunk: its size in hex, CRLF, the bytes, CRLF; a 0 ends
    for (std::size_t at = 0;;) {
      const auto eol = r.body.find("\r\n", at);
      if (eol == std::string::npos) break;
      const std::size_t size = std::stoul(r.body.substr(at, eol - at), nullptr, 16);
      if (size == 0) break;
      body += r.body.substr(eol + 2, size);
      at = eol + 2 + size + 2;
    }
    r.body = body;
  }
  return r;
}

inline HttpReply http_request(int port, const std::string& method, const std::string& path) {
  return http_request(port, method, path, {});
}

// A port free on 127.0.0.1 now, for a server that must be told its port up front.
inline int free_port() {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);
  return ntohs(addr.sin_port);
}

// Waits (bounded) until a Prometheus-style server answers 200 on /-/ready.
inline bool wait_ready(int port, std::chrono::milliseconds deadline) {
  return wait_until([&] { return http_request(port, "GET", "/-/ready").status == 200; }, deadline);
}

}  // namespace lle::test
