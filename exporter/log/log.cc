#include "exporter/log/log.h"

#include <atomic>
#include <boost/json/serialize.hpp>
#include <boost/json/string.hpp>
#include <cstdio>
#include <mutex>

#include "exporter/core/clock.h"
#include "exporter/parse/timestamp.h"

namespace lle::log {
namespace {
std::atomic<Format> g_format{Format::kText};
std::atomic<Level> g_level{Level::kInfo};
std::mutex g_mutex;

const char* name(Level l) {
  switch (l) {
    case Level::kDebug:
      return "debug";
    case Level::kInfo:
      return "info";
    case Level::kWarn:
      return "warn";
    case Level::kError:
      return "error";
  }
  return "?";
}

std::string quoted(std::string_view s) { return boost::json::serialize(boost::json::string(s)); }

bool needs_quotes(std::string_view v) {
  return v.empty() || v.find_first_of(" \"=\t\n") != std::string_view::npos;
}
}  // namespace

void configure(Format format, Level min_level) {
  g_format = format;
  g_level = min_level;
}

void write(Level level, std::string_view message, std::initializer_list<Field> fields) {
  if (level < g_level.load()) return;
  std::string line;
  const std::string ts = parse::format_timestamp(core::SystemClock().now_ns());
  if (g_format.load() == Format::kJson) {
    line = "{\"ts\":\"" + ts + "\",\"level\":\"" + name(level) + "\",\"msg\":" + quoted(message);
    for (const auto& [k, v] : fields) line += "," + quoted(k) + ":" + quoted(v);
    line += "}\n";
  } else {
    line = ts + " " + name(level) + " " + std::string(message);
    for (const auto& [k, v] : fields) {
      line += " " + std::string(k) + "=" + (needs_quotes(v) ? quoted(v) : v);
    }
    line += "\n";
  }
  std::lock_guard lock(g_mutex);
  std::fputs(line.c_str(), stderr);
}

}  // namespace lle::log
