#include "exporter/parse/fields.h"

#include <boost/json/basic_parser_impl.hpp>
#include <cstdint>

#include "exporter/parse/json_scan.h"

namespace lle::parse {
namespace json = boost::json;
using detail::is_ws;
using detail::JsonCursor;
using detail::unescape_json;

namespace {

int slot_of(std::span<const std::string_view> keys, std::string_view k) {
  for (std::size_t i = 0; i < keys.size(); ++i) {
    if (keys[i] == k) return static_cast<int>(i);
  }
  return -1;
}

// Boost.JSON's SAX parser drives this handler: the parser decides what is JSON
// (the same parser as boost::json::parse, so a line it refuses is refused here),
// the handler keeps the top-level members that were asked for.
class FieldHandler {
 public:
  static constexpr std::size_t max_object_size = std::size_t(-1);
  static constexpr std::size_t max_array_size = std::size_t(-1);
  static constexpr std::size_t max_key_size = std::size_t(-1);
  static constexpr std::size_t max_string_size = std::size_t(-1);

  void start(std::string_view line, std::span<const std::string_view> keys,
             std::span<FieldValue> values, FieldScratch& scratch) {
    line_ = line;
    keys_ = keys;
    values_ = values;
    scratch_ = &scratch;
    depth_ = 0;
    slot_ = -1;
    part_.clear();
  }

  bool on_document_begin(json::error_code&) { return true; }
  bool on_document_end(json::error_code&) { return true; }
  bool on_object_begin(json::error_code& ec) { return open(ec); }
  bool on_array_begin(json::error_code& ec) { return depth_ > 0 ? open(ec) : refuse(ec); }
  bool on_object_end(std::size_t, json::error_code&) { return --depth_, true; }
  bool on_array_end(std::size_t, json::error_code&) { return --depth_, true; }
  bool on_key_part(json::string_view s, std::size_t, json::error_code&) {
    if (depth_ == 1) part_.append(s.data(), s.size());
    return true;
  }
  bool on_key(json::string_view s, std::size_t, json::error_code&) {
    if (depth_ != 1) return true;
    if (part_.empty()) {
      slot_ = find_key({s.data(), s.size()});
    } else {
      part_.append(s.data(), s.size());
      slot_ = find_key(part_);
      part_.clear();
    }
    return true;
  }
  bool on_string_part(json::string_view s, std::size_t, json::error_code&) {
    if (depth_ == 1 && slot_ >= 0) part_.append(s.data(), s.size());
    return true;
  }
  bool on_string(json::string_view s, std::size_t, json::error_code& ec) {
    return text_value(FieldValue::Kind::kString, s, ec);
  }
  bool on_number_part(json::string_view s, json::error_code&) {
    if (depth_ == 1 && slot_ >= 0) part_.append(s.data(), s.size());
    return true;
  }
  bool on_int64(std::int64_t, json::string_view s, json::error_code& ec) {
    return text_value(FieldValue::Kind::kNumber, s, ec);
  }
  bool on_uint64(std::uint64_t, json::string_view s, json::error_code& ec) {
    return text_value(FieldValue::Kind::kNumber, s, ec);
  }
  bool on_double(double, json::string_view s, json::error_code& ec) {
    return text_value(FieldValue::Kind::kNumber, s, ec);
  }
  bool on_bool(bool b, json::error_code& ec) {
    return value({FieldValue::Kind::kBool, b ? "true" : "false"}, ec);
  }
  bool on_null(json::error_code& ec) { return value({FieldValue::Kind::kNull, "null"}, ec); }
  bool on_comment_part(json::string_view, json::error_code&) { return true; }
  bool on_comment(json::string_view, json::error_code&) { return true; }

 private:
  int find_key(std::string_view k) const { return slot_of(keys_, k); }
  static bool refuse(json::error_code& ec) {
    ec = json::error::syntax;  // not an object: not a line this format describes
    return false;
  }
  bool open(json::error_code& ec) {
    if (depth_ == 1 && !value({FieldValue::Kind::kComposite, {}}, ec)) return false;
    ++depth_;
    return true;
  }
  bool value(FieldValue v, json::error_code& ec) {
    if (depth_ == 0) return refuse(ec);
    if (depth_ == 1 && slot_ >= 0) values_[static_cast<std::size_t>(slot_)] = v;
    return true;
  }
  // A string or number token: a view into the line when it arrived whole, else
  // assembled (unescaped) in the slot's scratch string.
  bool text_value(FieldValue::Kind kind, json::string_view s, json::error_code& ec) {
    if (depth_ != 1 || slot_ < 0) return value({kind, {}}, ec);
    std::string_view text(s.data(), s.size());
    const bool in_line = part_.empty() && s.data() >= line_.data() &&
                         s.data() + s.size() <= line_.data() + line_.size();
    if (!in_line) {
      auto& buf = scratch_->unescaped[static_cast<std::size_t>(slot_)];
      buf.assign(part_).append(s.data(), s.size());
      part_.clear();
      text = buf;
    }
    return value({kind, text}, ec);
  }

  std::string_view line_;
  std::span<const std::string_view> keys_;
  std::span<FieldValue> values_;
  FieldScratch* scratch_ = nullptr;
  int depth_ = 0, slot_ = -1;
  std::string part_;  // a key, string or number that arrived in parts
};

}  // namespace

struct FieldScratch::Json {
  json::basic_parser<FieldHandler> parser{json::parse_options{}};
};

FieldScratch::FieldScratch() = default;
FieldScratch::~FieldScratch() = default;

namespace detail {
namespace {
// As boost::json::parse_options{}: lines are parsed with the defaults.
constexpr int kMaxDepth = 32;
}  // namespace

bool scan_json_fields(std::string_view line, std::span<const std::string_view> keys,
                      std::span<FieldValue> values, FieldScratch& scratch) {
  JsonCursor c(line, kMaxDepth);
  c.skip_ws();
  if (!c.enter('{')) return false;
  c.skip_ws();
  if (!c.eat('}')) {
    std::string key_buf;
    for (;;) {
      std::string_view key;
      bool escaped;
      c.skip_ws();
      if (!c.string(&key, &escaped)) return false;
      if (escaped) {
        if (!unescape_json(key, key_buf)) return false;
        key = key_buf;
      }
      c.skip_ws();
      if (!c.eat(':')) return false;
      c.skip_ws();
      const int slot = slot_of(keys, key);
      FieldValue v;
      switch (c.peek()) {
        case '"': {
          std::string_view body;
          if (!c.string(&body, &escaped)) return false;
          v.kind = FieldValue::Kind::kString;
          v.text = body;
          if (escaped && slot >= 0) {
            auto& buf = scratch.unescaped[slot];
            if (!unescape_json(body, buf)) return false;
            v.text = buf;
          }
          break;
        }
        case '{':
        case '[':
          if (!c.skip_value()) return false;
          v.kind = FieldValue::Kind::kComposite;
          break;
        case 't':
          if (!c.literal("true")) return false;
          v = {FieldValue::Kind::kBool, "true"};
          break;
        case 'f':
          if (!c.literal("false")) return false;
          v = {FieldValue::Kind::kBool, "false"};
          break;
        case 'n':
          if (!c.literal("null")) return false;
          v = {FieldValue::Kind::kNull, "null"};
          break;
        default:
          if (!c.number(&v.text)) return false;
          v.kind = FieldValue::Kind::kNumber;
      }
      if (slot >= 0) values[static_cast<std::size_t>(slot)] = v;
      c.skip_ws();
      if (c.eat(',')) continue;
      if (c.eat('}')) break;
      return false;
    }
  }
  c.skip_ws();
  return c.at_end();
}

bool parse_json_fields(std::string_view line, std::span<const std::string_view> keys,
                       std::span<FieldValue> values, FieldScratch& scratch) {
  for (auto& v : values) v = FieldValue{};
  if (!scratch.json_) scratch.json_ = std::make_unique<FieldScratch::Json>();
  auto& parser = scratch.json_->parser;
  parser.reset();
  parser.handler().start(line, keys, values, scratch);
  json::error_code ec;
  const std::size_t used = parser.write_some(false, line.data(), line.size(), ec);
  if (ec || used != line.size()) {
    for (auto& v : values) v = FieldValue{};
    return false;
  }
  return true;
}

}  // namespace detail

bool extract_json_fields(std::string_view line, std::span<const std::string_view> keys,
                         std::span<FieldValue> values, FieldScratch& scratch) {
  for (auto& v : values) v = FieldValue{};
  return detail::scan_json_fields(line, keys, values, scratch) ||
         detail::parse_json_fields(line, keys, values, scratch);
}

bool extract_logfmt_fields(std::string_view line, std::span<const std::string_view> keys,
                           std::span<FieldValue> values, FieldScratch& scratch) {
  for (auto& v : values) v = FieldValue{};
  std::size_t i = 0, pairs = 0;
  const std::size_t n = line.size();
  while (i < n) {
    while (i < n && is_ws(line[i])) ++i;
    if (i >= n) break;
    const std::size_t key_start = i;
    while (i < n && line[i] != '=' && !is_ws(line[i]) && line[i] != '"') ++i;
    if (i < n && line[i] == '"') return false;  // a quote inside a key
    const std::string_view key = line.substr(key_start, i - key_start);
    if (i >= n || line[i] != '=') continue;  // a bare key: a flag without value
    if (key.empty()) return false;
    ++i;
    FieldValue v{FieldValue::Kind::kString, {}};
    const int slot = slot_of(keys, key);
    if (i < n && line[i] == '"') {
      const std::size_t start = ++i;
      bool escaped = false;
      while (i < n && line[i] != '"') {
        if (line[i] == '\\') {
          escaped = true;
          ++i;
        }
        ++i;
      }
      if (i >= n) return false;  // unterminated quote
      v.text = line.substr(start, i - start);
      ++i;
      if (escaped && slot >= 0) {
        auto& buf = scratch.unescaped[slot];
        if (!unescape_json(v.text, buf)) return false;
        v.text = buf;
      }
    } else {
      const std::size_t start = i;
      while (i < n && !is_ws(line[i])) ++i;
      v.text = line.substr(start, i - start);
    }
    ++pairs;
    if (slot >= 0) values[static_cast<std::size_t>(slot)] = v;
  }
  return pairs > 0;
}

}  // namespace lle::parse
