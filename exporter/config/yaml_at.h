#pragma once
// Internal to the config module: a YAML node with the file and path it came
// from, so that every error can say where it is (file:line, YAML path, what was
// expected), and the typed reads every config file shares.

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <charconv>
#include <initializer_list>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "exporter/config/config.h"
#include "exporter/core/clock.h"
#include "exporter/core/regular_file.h"
#include "exporter/core/units.h"

namespace lle::config {

// A YAML node with the file and path it came from, so that every error can say
// where it is.
struct At {
  const std::string& file;
  YAML::Node node;
  std::string path;

  [[noreturn]] void fail(const std::string& what) const {
    // A missing key has no position of its own: the path says which key it is.
    const int line = node.IsDefined() ? node.Mark().line : -1;
    const std::string where = line >= 0 ? file + ":" + std::to_string(line + 1) : file;
    throw ConfigError(where, path, what);
  }
  At key(const char* k) const {
    const YAML::Node& n = node;  // const access never inserts
    return At{file, n[k], path.empty() ? std::string(k) : path + "." + k};
  }
  At index(std::size_t i) const {
    const YAML::Node& n = node;
    return At{file, n[i], path + "[" + std::to_string(i) + "]"};
  }
  bool present() const { return node.IsDefined() && !node.IsNull(); }

  // The keys of a mapping, in order. yaml-cpp keeps a key given twice and
  // answers lookups with the first: that silently drops a value, so it is an
  // error here, as is a key that is not a plain string (a list, a mapping).
  std::vector<std::string> keys() const {
    if (!node.IsDefined()) fail("missing required key");
    if (!node.IsMap()) fail("expected a mapping");
    std::vector<std::string> out;
    for (const auto& kv : node) {
      if (!kv.first.IsScalar()) At{file, kv.first, path}.fail("a key must be a plain string");
      const std::string& name = kv.first.Scalar();
      const std::string where = path.empty() ? name : path + "." + name;
      if (std::find(out.begin(), out.end(), name) != out.end())
        At{file, kv.first, where}.fail("duplicate key: it is given more than once");
      out.push_back(name);
    }
    return out;
  }

  void require_map(std::initializer_list<std::string_view> allowed) const {
    require_map(std::span<const std::string_view>(allowed.begin(), allowed.size()));
  }
  void require_map(std::span<const std::string_view> allowed) const {
    keys();
    for (const auto& kv : node) {
      const std::string& name = kv.first.Scalar();
      if (std::find(allowed.begin(), allowed.end(), name) == allowed.end()) {
        std::string list;
        for (auto a : allowed) list += (list.empty() ? "" : ", ") + std::string(a);
        At{file, kv.first, path.empty() ? name : path + "." + name}.fail(
            "unknown key (expected one of: " + list + ")");
      }
    }
  }
  std::string str() const {
    if (!node.IsDefined()) fail("missing required key");
    if (!node.IsScalar()) fail("expected a string");
    return node.Scalar();
  }
  std::string str_or(const std::string& def) const { return present() ? str() : def; }
  std::string nonempty_str() const {
    auto s = str();
    if (s.empty()) fail("expected a non-empty string");
    return s;
  }
  bool boolean_or(bool def) const {
    if (!present()) return def;
    bool b;
    if (!node.IsScalar() || !YAML::convert<bool>::decode(node, b)) fail("expected true or false");
    return b;
  }
  double number_or(double def, double lo, double hi) const {
    if (!present()) return def;
    const auto s = str();
    double v;
    const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || p != s.data() + s.size()) fail("expected a number, got '" + s + "'");
    if (!(v >= lo && v <= hi)) {
      fail("expected a number from " + std::to_string(lo) + " to " + std::to_string(hi) + ", got " +
           s);
    }
    return v;
  }
  int int_or(int def, int lo, int hi) const {
    if (!present()) return def;
    const auto s = str();
    int v;
    const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || p != s.data() + s.size() || v < lo || v > hi) {
      fail("expected a whole number from " + std::to_string(lo) + " to " + std::to_string(hi) +
           ", got '" + s + "'");
    }
    return v;
  }
  std::int64_t duration_or(std::int64_t def_ns, double min_s, double max_s) const {
    if (!present()) return def_ns;
    const auto s = str();
    const auto secs = core::parse_duration_seconds(s);
    if (!secs || *secs < min_s || *secs > max_s) {
      fail("expected a duration such as 30s, 5m or 1h from " + core::shortest_text(min_s) +
           "s to " + core::shortest_text(max_s) + "s, got '" + s + "'");
    }
    return static_cast<std::int64_t>(*secs * 1e9);
  }
  // Whole days, as Prometheus writes them ("30d"), in nanoseconds.
  std::int64_t days_or(std::int64_t def_ns, int min_days, int max_days) const {
    if (!present()) return def_ns;
    const auto s = str();
    const auto days = core::parse_whole_days(s);
    if (!days || *days < min_days || *days > max_days) {
      fail("expected whole days such as 30d from " + std::to_string(min_days) + "d to " +
           std::to_string(max_days) + "d, got '" + s + "'");
    }
    return *days * core::kNanosPerDay;
  }
  core::LatencyUnit unit() const {
    const auto u = core::latency_unit_from_name(str());
    if (!u) fail("expected one of: s, ms, us");
    return *u;
  }
  // A list of at most `most` numbers from lo to hi, each above the one before; `what`
  // names them in errors ("bounds").
  std::vector<double> ascending_numbers(std::size_t most, double lo, double hi,
                                        const std::string& what) const {
    if (!node.IsSequence() || node.size() > most)
      fail("expected a list of up to " + std::to_string(most) + " " + what);
    std::vector<double> out;
    for (std::size_t i = 0; i < node.size(); ++i) {
      out.push_back(index(i).number_or(0, lo, hi));
      if (i > 0 && out[i] <= out[i - 1]) index(i).fail(what + " must ascend");
    }
    return out;
  }
  std::vector<std::string> string_list() const {
    if (!node.IsDefined()) fail("missing required key");
    if (!node.IsSequence()) fail("expected a list of strings");
    std::vector<std::string> out;
    for (std::size_t i = 0; i < node.size(); ++i) out.push_back(index(i).nonempty_str());
    return out;
  }
};

// Configuration files are small: anything larger is a mistake (or /dev/zero).
inline constexpr std::size_t kMaxConfigFileBytes = 16 << 20;

inline YAML::Node load_yaml(const std::string& file) {
  const core::FileRead read = core::read_regular_file(file, kMaxConfigFileBytes);
  if (read.status == core::FileRead::Status::kMissing)
    throw ConfigError(file, "", "cannot read file: it " + read.why);
  if (read.status == core::FileRead::Status::kRefused) throw ConfigError(file, "", read.why);
  try {
    return YAML::Load(read.content);
  } catch (const YAML::ParserException& e) {
    throw ConfigError(file + ":" + std::to_string(e.mark.line + 1), "", "invalid YAML: " + e.msg);
  }
}

}  // namespace lle::config
