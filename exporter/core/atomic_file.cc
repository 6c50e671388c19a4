#include "exporter/core/atomic_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>

namespace lle::core {
namespace {

[[noreturn]] void fail(const std::string& file, const char* step) {
  throw std::runtime_error("cannot write " + file + ": " + step + ": " + std::strerror(errno));
}

void write_all(int fd, std::string_view data, const std::string& file) {
  while (!data.empty()) {
    const ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) fail(file, "write");
    data.remove_prefix(static_cast<std::size_t>(n));
  }
}

}  // namespace

void write_file_atomic(const std::filesystem::path& file,
                       std::initializer_list<std::string_view> parts, mode_t mode) {
  const auto temp = file.string() + ".tmp";
  const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0) fail(temp, "open");
  try {
    for (const auto part : parts) write_all(fd, part, temp);
    if (::fsync(fd) != 0) fail(temp, "fsync");
  } catch (...) {
    ::close(fd);
    ::unlink(temp.c_str());
    throw;
  }
  if (::close(fd) != 0) fail(temp, "close");
  if (::rename(temp.c_str(), file.c_str()) != 0) fail(file.string(), "rename");
  const auto dir = file.has_parent_path() ? file.parent_path().string() : std::string(".");
  const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0) fail(dir, "open directory");
  const int synced = ::fsync(dfd);
  ::close(dfd);
  if (synced != 0) fail(dir, "fsync directory");
}

}  // namespace lle::core
