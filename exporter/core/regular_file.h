#pragma once
// Every file the exporter reads (configs, policy, secrets, tokens, state) is read
// through this: opened without blocking (a FIFO cannot hang a start), accepted
// only if it is a regular file (following symlinks: not a directory, FIFO,
// socket or device such as /dev/zero), and never beyond a size cap.
// Thread safety: none needed (no shared state).

#include <cstddef>
#include <string>

namespace lle::core {

struct FileRead {
  enum class Status { kOk, kMissing, kRefused } status = Status::kMissing;
  std::string content;  // kOk
  std::string why;  // not kOk: "does not exist", "is a directory", "is larger than 1048576 bytes"
  bool readable_by_others = false;
};

// Never throws; see FileRead.
FileRead read_regular_file(const std::string& path, std::size_t max_bytes);

}  // namespace lle::core
