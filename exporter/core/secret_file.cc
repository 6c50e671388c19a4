#include "exporter/core/secret_file.h"

#include <algorithm>
#include <cctype>
#include <stdexcept>

#include "exporter/core/regular_file.h"

namespace lle::core {

Secret read_secret_file(const std::string& path, const std::string& what) {
  FileRead read = read_regular_file(path, kMaxSecretFileBytes);
  if (read.status != FileRead::Status::kOk)
    throw std::runtime_error("cannot read the " + what + " file " + path + ": it " + read.why);
  std::string s = std::move(read.content);
  const auto not_space = [](unsigned char c) { return !std::isspace(c); };
  s.erase(s.begin(), std::find_if(s.begin(), s.end(), not_space));
  s.erase(std::find_if(s.rbegin(), s.rend(), not_space).base(), s.end());
  if (s.empty()) throw std::runtime_error("the " + what + " file " + path + " is empty");
  return {std::move(s), read.readable_by_others};
}

}  // namespace lle::core
