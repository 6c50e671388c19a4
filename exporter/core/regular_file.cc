#include "exporter/core/regular_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace lle::core {
namespace {

std::string kind_of(mode_t mode) {
  if (S_ISDIR(mode)) return "is a directory";
  if (S_ISFIFO(mode)) return "is a FIFO, not a regular file";
  if (S_ISSOCK(mode)) return "is a socket, not a regular file";
  if (S_ISCHR(mode) || S_ISBLK(mode)) return "is a device, not a regular file";
  return "is not a regular file";
}

}  // namespace

FileRead read_regular_file(const std::string& path, std::size_t max_bytes) {
  FileRead r;
  const auto refuse = [&](std::string why) {
    r.status = FileRead::Status::kRefused;
    r.why = std::move(why);
    r.content.clear();
    return r;
  };
  const int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) {
    if (errno == ENOENT) {
      r.why = "does not exist";
      return r;  // kMissing
    }
    return refuse(std::string("cannot be opened: ") + std::strerror(errno));
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    const int err = errno;
    ::close(fd);
    return refuse(std::string("cannot be examined: ") + std::strerror(err));
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    return refuse(kind_of(st.st_mode));
  }
  const std::string too_large = "is larger than " + std::to_string(max_bytes) + " bytes";
  if (static_cast<std::size_t>(st.st_size) > max_bytes) {
    ::close(fd);
    return refuse(too_large);
  }
  r.readable_by_others = (st.st_mode & S_IROTH) != 0;
  r.content.resize(static_cast<std::size_t>(st.st_size) + 1);  // +1: notices growth
  std::size_t have = 0;
  while (true) {
    if (have == r.content.size()) {
      if (have > max_bytes) break;
      r.content.resize(std::min(max_bytes + 1, 2 * have + 4096));
    }
    const ssize_t n = ::read(fd, r.content.data() + have, r.content.size() - have);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int err = errno;
      ::close(fd);
      return refuse(std::string("cannot be read: ") + std::strerror(err));
    }
    if (n == 0) break;
    have += static_cast<std::size_t>(n);
  }
  ::close(fd);
  if (have > max_bytes) return refuse(too_large);
  r.content.resize(have);
  r.status = FileRead::Status::kOk;
  return r;
}

}  // namespace lle::core
