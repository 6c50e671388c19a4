#pragma once
// Secrets (Loki passwords and tokens, the API's proxy secret) come from files only,
// never from exporter.yaml (docs/security.md). Errors name the file, never its content.
// Thread safety: none needed (no shared state).

#include <string>

namespace lle::core {

struct Secret {
  std::string value;                // the content without surrounding whitespace
  bool readable_by_others = false;  // the "other" read bit is set: worth a warning
};

// Throws std::runtime_error ("cannot read the <what> file <path>", "... is empty").
Secret read_secret_file(const std::string& path, const std::string& what);

}  // namespace lle::core
