#pragma once
// One line per event on stderr, with a level: "TIME LEVEL message key=value ..."
// or, with --log-format json, one JSON object per line. Never log secrets:
// callers pass redacted values.
// Thread safety: all functions may be called from any thread.

#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

namespace lle::log {

enum class Level { kDebug, kInfo, kWarn, kError };
enum class Format { kText, kJson };

void configure(Format format, Level min_level);
using Field = std::pair<std::string_view, std::string>;
void write(Level level, std::string_view message, std::initializer_list<Field> fields = {});

inline void info(std::string_view m, std::initializer_list<Field> f = {}) {
  write(Level::kInfo, m, f);
}
inline void warn(std::string_view m, std::initializer_list<Field> f = {}) {
  write(Level::kWarn, m, f);
}
inline void error(std::string_view m, std::initializer_list<Field> f = {}) {
  write(Level::kError, m, f);
}

}  // namespace lle::log
