#include "exporter/core/secret_file.h"

#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <iterator>
#include <stdexcept>

namespace lle::core {

Secret read_secret_file(const std::string& path, const std::string& what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read the " + what + " file " + path);
  std::string s((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const auto not_space = [](unsigned char c) { return !std::isspace(c); };
  s.erase(s.begin(), std::find_if(s.begin(), s.end(), not_space));
  s.erase(std::find_if(s.rbegin(), s.rend(), not_space).base(), s.end());
  if (s.empty()) throw std::runtime_error("the " + what + " file " + path + " is empty");
  struct stat st {};
  const bool others = ::stat(path.c_str(), &st) == 0 && (st.st_mode & S_IROTH) != 0;
  return {std::move(s), others};
}

}  // namespace lle::core
