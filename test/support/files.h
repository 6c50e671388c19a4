#pragma once
// Small file helpers for tests: a fresh temporary directory per fixture.

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace lle::test {

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "lle-test-XXXXXX").string();
    path_ = mkdtemp(tmpl.data());
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  const std::filesystem::path& path() const { return path_; }
  std::string write(const std::string& name, const std::string& content) const {
    const auto p = path_ / name;
    std::ofstream(p, std::ios::binary) << content;
    return p.string();
  }

 private:
  std::filesystem::path path_;
};

inline std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The repository root (tests run there; ctest also sets LLE_SOURCE_DIR).
inline std::filesystem::path source_dir() {
  const char* env = std::getenv("LLE_SOURCE_DIR");
  return env ? std::filesystem::path(env) : std::filesystem::current_path();
}

}  // namespace lle::test
