#pragma once
// Secrets (Loki passwords and tokens, the API's proxy secret) come from files only,
// never from exporter.yaml (docs/security.md). Errors name the file, never its content.
// Thread safety: none needed (no shared state).

#include <cstddef>
#include <string>

namespace lle::core {

struct Secret {
  std::string value;                // the content without surrounding whitespace
  bool readable_by_others = false;  // the "other" read bit is set: worth a warning
};

// A secret is a password or a token: a file larger than this is not one.
inline constexpr std::size_t kMaxSecretFileBytes = 64 << 10;

// Throws std::runtime_error ("cannot read the <what> file <path>: it is a directory",
// "... is empty"). The file is read as core::read_regular_file reads.
Secret read_secret_file(const std::string& path, const std::string& what);

}  // namespace lle::core
