#include "exporter/source/replay.h"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <fstream>
#include <iterator>
#include <limits>
#include <map>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "exporter/parse/loki_json.h"

namespace lle::source {
namespace {

// Splits text into top-level JSON values (objects or arrays), strings aware.
// Anything else up to the end of its line is returned as a (malformed) record.
std::vector<std::string_view> split_values(std::string_view text) {
  std::vector<std::string_view> out;
  std::size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i]))) ++i;
    if (i >= text.size()) break;
    const std::size_t start = i;
    if (text[i] != '{' && text[i] != '[') {
      const auto eol = text.find('\n', i);
      i = eol == std::string_view::npos ? text.size() : eol;
      out.push_back(text.substr(start, i - start));
      continue;
    }
    int depth = 0;
    bool in_string = false;
    for (; i < text.size(); ++i) {
      const char c = text[i];
      if (in_string) {
        if (c == '\\')
          ++i;
        else if (c == '"')
          in_string = false;
      } else if (c == '"') {
        in_string = true;
      } else if (c == '{' || c == '[') {
        ++depth;
      } else if ((c == '}' || c == ']') && --depth == 0) {
        ++i;
        break;
      }
    }
    out.push_back(text.substr(start, std::min(i, text.size()) - start));
  }
  return out;
}

// JSONL when the first non-empty line is a whole JSON value by itself.
bool looks_like_jsonl(std::string_view text) {
  std::size_t start = 0;
  while (start < text.size()) {
    auto eol = text.find('\n', start);
    if (eol == std::string_view::npos) eol = text.size();
    const auto line = text.substr(start, eol - start);
    if (line.find_first_not_of(" \t\r") != std::string_view::npos) {
      const auto values = split_values(line);
      return values.size() == 1 && !values[0].empty() &&
             (values[0].back() == '}' || values[0].back() == ']');
    }
    start = eol + 1;
  }
  return true;
}

std::string read_all(const ReplayOptions& options, std::istream& standard_input) {
  if (options.path == "-") {
    return std::string(std::istreambuf_iterator<char>(standard_input), {});
  }
  std::ifstream in(options.path, std::ios::binary);
  if (!in) throw std::runtime_error(options.path + ": cannot open replay input");
  std::ostringstream ss;
  ss << in.rdbuf();
  return std::move(ss).str();
}

}  // namespace

Replay::Replay(Replay&& other) noexcept
    : options_(std::move(other.options_)),
      label_sets_(std::move(other.label_sets_)),
      entries_(std::move(other.entries_)),
      stats_(std::move(other.stats_)),
      stopped_(other.stopped_.load()) {}

Replay Replay::load(const ReplayOptions& options, const core::Clock& wall,
                    std::istream& standard_input) {
  Replay r;
  r.options_ = options;
  const std::string text = read_all(options, standard_input);

  std::vector<std::string_view> records;
  if (looks_like_jsonl(text)) {
    std::size_t start = 0;
    while (start < text.size()) {
      auto eol = text.find('\n', start);
      if (eol == std::string::npos) eol = text.size();
      const auto line = std::string_view(text).substr(start, eol - start);
      if (line.find_first_not_of(" \t\r") != std::string_view::npos) records.push_back(line);
      start = eol + 1;
    }
  } else {
    records = split_values(text);
  }

  std::map<std::vector<std::pair<std::string, std::string>>, std::uint32_t> interned;
  std::vector<std::pair<std::string, std::string>> labels;
  parse::LokiDecoder decoder;
  for (const auto record : records) {
    ++r.stats_.records;
    const auto result = decoder.decode(record, [&](const core::Entry& e) {
      labels.clear();
      for (const auto& l : e.labels) labels.emplace_back(l.name, l.value);
      std::sort(labels.begin(), labels.end());
      auto [it, added] =
          interned.try_emplace(labels, static_cast<std::uint32_t>(r.label_sets_.size()));
      if (added) r.label_sets_.push_back(labels);
      r.entries_.push_back({it->second, e.timestamp_ns, std::string(e.line)});
    });
    r.stats_.malformed_entries += result.bad_entries;
    if (!result.error.empty()) ++r.stats_.malformed_records;
    if ((!result.error.empty() || result.bad_entries > 0) && r.stats_.first_errors.size() < 10) {
      r.stats_.first_errors.push_back(
          "record " + std::to_string(r.stats_.records) + ": " +
          (result.error.empty() ? std::to_string(result.bad_entries) + " malformed entries"
                                : result.error));
    }
  }

  auto& es = r.entries_;
  if (es.size() > 1 && es.front().ts > es.back().ts) std::reverse(es.begin(), es.end());
  if (options.rebase_to_now && !es.empty()) {
    const auto newest = std::max_element(es.begin(), es.end(), [](const auto& a, const auto& b) {
                          return a.ts < b.ts;
                        })->ts;
    const std::int64_t shift = wall.now_ns() - newest;
    for (auto& e : es) e.ts += shift;
  }
  return r;
}

bool Replay::run(const Sink& sink) const {
  std::vector<std::vector<core::Label>> views(label_sets_.size());
  for (std::size_t i = 0; i < label_sets_.size(); ++i) {
    for (const auto& [k, v] : label_sets_[i]) views[i].push_back({k, v});
  }
  const auto started = std::chrono::steady_clock::now();
  std::int64_t first_now = 0, now = std::numeric_limits<std::int64_t>::min();
  for (std::size_t i = 0; i < entries_.size(); ++i) {
    if (stopped_.load(std::memory_order_relaxed)) return false;
    const auto& e = entries_[i];
    const std::int64_t next = i + 1 < entries_.size() ? entries_[i + 1].ts : e.ts;
    now = std::max(now, std::min(e.ts, next));
    if (i == 0) first_now = now;
    if (options_.speed > 0) {
      const auto due = started + std::chrono::nanoseconds(static_cast<std::int64_t>(
                                     static_cast<double>(now - first_now) / options_.speed));
      while (std::chrono::steady_clock::now() < due) {
        if (stopped_.load(std::memory_order_relaxed)) return false;
        std::this_thread::sleep_until(
            std::min(due, std::chrono::steady_clock::now() + std::chrono::milliseconds(100)));
      }
    }
    sink(core::Entry{views[e.label_set], e.ts, e.line}, now);
  }
  return true;
}

}  // namespace lle::source
