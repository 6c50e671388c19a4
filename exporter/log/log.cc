#include "exporter/log/log.h"

#include <atomic>
#include <boost/json/serialize.hpp>
#include <boost/json/string.hpp>
#include <cstdio>
#include <mutex>

#include "exporter/core/clock.h"
#include "exporter/core/printable.h"

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

// Every piece of a line goes through core::printable first: a CR, an escape
// sequence or invalid UTF-8 from a request can neither forge a line nor break
// the JSON format.
std::string json_string(std::string_view s) {
  return boost::json::serialize(boost::json::string(core::printable(s)));
}

// A text-format value: bare when it can be, else in quotes with '"' escaped.
std::string text_value(std::string_view v) {
  std::string p = core::printable(v);
  if (!p.empty() && p.find_first_of(" \"=") == std::string::npos) return p;
  std::string out = "\"";
  for (const char c : p) {
    if (c == '"') out += '\\';
    out += c;
  }
  return out + '"';
}
}  // namespace

void configure(Format format, Level min_level) {
  g_format = format;
  g_level = min_level;
}

void write(Level level, std::string_view message, std::initializer_list<Field> fields) {
  if (level < g_level.load()) return;
  std::string line;
  const std::string ts = core::format_timestamp(core::SystemClock().now_ns());
  if (g_format.load() == Format::kJson) {
    line =
        "{\"ts\":\"" + ts + "\",\"level\":\"" + name(level) + "\",\"msg\":" + json_string(message);
    for (const auto& [k, v] : fields) line += "," + json_string(k) + ":" + json_string(v);
    line += "}\n";
  } else {
    line = ts + " " + name(level) + " " + core::printable(message);
    for (const auto& [k, v] : fields) {
      line += " " + core::printable(k) + "=" + text_value(v);
    }
    line += "\n";
  }
  std::lock_guard lock(g_mutex);
  std::fputs(line.c_str(), stderr);
}

}  // namespace lle::log
