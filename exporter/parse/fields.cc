#include "exporter/parse/fields.h"

#include <cstdint>

#include "exporter/parse/json_scan.h"

namespace lle::parse {
using detail::is_ws;
using detail::JsonCursor;
using detail::unescape_json;

namespace {

int find_key(std::span<const std::string_view> keys, std::string_view k) {
  for (std::size_t i = 0; i < keys.size(); ++i) {
    if (keys[i] == k) return static_cast<int>(i);
  }
  return -1;
}

}  // namespace

bool extract_json_fields(std::string_view line, std::span<const std::string_view> keys,
                         std::span<FieldValue> values, FieldScratch& scratch) {
  for (auto& v : values) v = FieldValue{};
  JsonCursor c(line);
  c.skip_ws();
  if (!c.eat('{')) return false;
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
      const int slot = find_key(keys, key);
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
          if (!c.composite()) return false;
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
    const int slot = find_key(keys, key);
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
