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

// The time each entry is delivered at: the median of its own timestamp and its
// two neighbours' (the window moved inwards at either end), never going back.
// One line stamped far from its neighbours cannot move time, so the gates
// judge it against the bulk of the data; a gap that two lines agree on does.
void Replay::set_replay_time(std::vector<Recorded>& es) {
  const std::size_t n = es.size();
  std::int64_t now = std::numeric_limits<std::int64_t>::min();
  for (std::size_t i = 0; i < n; ++i) {
    const std::size_t first = n <= 3 ? 0 : std::clamp<std::size_t>(i, 1, n - 2) - 1;
    std::int64_t window[3];
    std::size_t k = 0;
    for (std::size_t j = first; j < n && k < 3; ++j) window[k++] = es[j].ts;
    std::sort(window, window + k);
    now = std::max(now, window[k / 2]);
    es[i].now = now;
  }
}

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
      r.entries_.push_back({it->second, e.timestamp_ns, 0, std::string(e.line)});
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
  // Newest-first (logcli's default) when most neighbours say so: one line
  // stamped far off at either end does not turn the whole export around.
  std::size_t descending = 0;
  for (std::size_t i = 1; i < es.size(); ++i) descending += es[i].ts < es[i - 1].ts;
  if (2 * descending > es.size() - 1) std::reverse(es.begin(), es.end());
  set_replay_time(es);
  if (options.rebase_to_now && !es.empty()) {
    std::int64_t shift;  // 0 only when the bulk itself sits at the int64 ends
    if (__builtin_sub_overflow(wall.now_ns(), es.back().now, &shift)) shift = 0;
    for (auto& e : es)
      e.ts = core::saturating_add(e.ts, shift), e.now = core::saturating_add(e.now, shift);
  }
  return r;
}

bool Replay::run(const Sink& sink) const {
  std::vector<std::vector<core::Label>> views(label_sets_.size());
  for (std::size_t i = 0; i < label_sets_.size(); ++i) {
    for (const auto& [k, v] : label_sets_[i]) views[i].push_back({k, v});
  }
  const auto started = std::chrono::steady_clock::now();
  for (const auto& e : entries_) {
    if (stopped_.load(std::memory_order_relaxed)) return false;
    const std::int64_t now = e.now;
    if (options_.speed > 0) {
      const auto due =
          started + std::chrono::nanoseconds(static_cast<std::int64_t>(
                        (static_cast<double>(now) - static_cast<double>(entries_.front().now)) /
                        options_.speed));
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
