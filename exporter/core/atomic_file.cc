#include "exporter/core/atomic_file.h"

#include <fcntl.h>
#include <sys/stat.h>
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
  // A temp name of its own (mkstemp, in the same directory so the rename stays
  // atomic): two writers never truncate or rename each other's file.
  std::string temp = file.string() + ".tmp.XXXXXX";
  const int fd = ::mkostemp(temp.data(), O_CLOEXEC);
  if (fd < 0) fail(temp, "create temp file");
  try {
    if (::fchmod(fd, mode) != 0) fail(temp, "chmod");
    for (const auto part : parts) write_all(fd, part, temp);
    if (::fsync(fd) != 0) fail(temp, "fsync");
  } catch (...) {
    ::close(fd);
    ::unlink(temp.c_str());
    throw;
  }
  if (::close(fd) != 0) {
    ::unlink(temp.c_str());
    fail(temp, "close");
  }
  if (::rename(temp.c_str(), file.c_str()) != 0) {
    const int err = errno;
    ::unlink(temp.c_str());
    errno = err;
    fail(file.string(), "rename");
  }
  const auto dir = file.has_parent_path() ? file.parent_path().string() : std::string(".");
  const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0) fail(dir, "open directory");
  const int synced = ::fsync(dfd);
  ::close(dfd);
  if (synced != 0) fail(dir, "fsync directory");
}

}  // namespace lle::core
