// A fresh directory for a fuzz target's files, under $TMPDIR (default /tmp):
// long runs point TMPDIR at a tmpfs such as /dev/shm so that every input's file
// write does not reach the disk.
#pragma once

#include <unistd.h>

#include <cstdlib>
#include <stdexcept>
#include <string>

namespace lle::fuzz {

inline std::string make_scratch_dir(const std::string& name) {
  const char* tmp = std::getenv("TMPDIR");
  std::string tmpl =
      std::string(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp") + "/" + name + "-XXXXXX";
  if (::mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp " + tmpl);
  return tmpl;
}

}  // namespace lle::fuzz
