#include "exporter/parse/fields.h"

#include <cstdint>

namespace lle::parse {
namespace {

bool is_ws(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

void put_utf8(std::string& out, std::uint32_t cp) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

// Decodes the JSON string body `raw` (between the quotes) into out.
bool unescape_json(std::string_view raw, std::string& out) {
  out.clear();
  for (std::size_t i = 0; i < raw.size(); ++i) {
    const char c = raw[i];
    if (c != '\\') {
      out.push_back(c);
      continue;
    }
    if (++i >= raw.size()) return false;
    switch (raw[i]) {
      case '"':
        out.push_back('"');
        break;
      case '\\':
        out.push_back('\\');
        break;
      case '/':
        out.push_back('/');
        break;
      case 'b':
        out.push_back('\b');
        break;
      case 'f':
        out.push_back('\f');
        break;
      case 'n':
        out.push_back('\n');
        break;
      case 'r':
        out.push_back('\r');
        break;
      case 't':
        out.push_back('\t');
        break;
      case 'u': {
        auto read4 = [&](std::size_t at, std::uint32_t* cp) {
          if (at + 4 > raw.size()) return false;
          *cp = 0;
          for (std::size_t k = at; k < at + 4; ++k) {
            const int h = hex_digit(raw[k]);
            if (h < 0) return false;
            *cp = *cp * 16 + static_cast<std::uint32_t>(h);
          }
          return true;
        };
        std::uint32_t cp;
        if (!read4(i + 1, &cp)) return false;
        i += 4;
        if (cp >= 0xD800 && cp < 0xDC00 && i + 2 < raw.size() && raw[i + 1] == '\\' &&
            raw[i + 2] == 'u') {
          std::uint32_t low;
          if (read4(i + 3, &low) && low >= 0xDC00 && low < 0xE000) {
            cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
            i += 6;
          }
        }
        put_utf8(out, cp);
        break;
      }
      default:
        return false;
    }
  }
  return true;
}

class JsonCursor {
 public:
  explicit JsonCursor(std::string_view s) : p_(s.data()), end_(s.data() + s.size()) {}

  void skip_ws() {
    while (p_ < end_ && is_ws(*p_)) ++p_;
  }
  bool at_end() const { return p_ == end_; }
  bool eat(char c) {
    if (p_ < end_ && *p_ == c) {
      ++p_;
      return true;
    }
    return false;
  }
  char peek() const { return p_ < end_ ? *p_ : '\0'; }

  // At an opening quote: the raw body and whether it has escapes.
  bool string(std::string_view* body, bool* escaped) {
    if (!eat('"')) return false;
    const char* start = p_;
    *escaped = false;
    while (p_ < end_) {
      const char c = *p_;
      if (c == '"') {
        *body = std::string_view(start, static_cast<std::size_t>(p_ - start));
        ++p_;
        return true;
      }
      if (c == '\\') {
        *escaped = true;
        if (end_ - p_ < 2) return false;
        p_ += 2;
        continue;
      }
      if (static_cast<unsigned char>(c) < 0x20) return false;
      ++p_;
    }
    return false;
  }

  bool number(std::string_view* token) {
    const char* start = p_;
    while (p_ < end_ && ((*p_ >= '0' && *p_ <= '9') || *p_ == '-' || *p_ == '+' || *p_ == '.' ||
                         *p_ == 'e' || *p_ == 'E')) {
      ++p_;
    }
    *token = std::string_view(start, static_cast<std::size_t>(p_ - start));
    return p_ > start;
  }

  bool literal(std::string_view word) {
    if (static_cast<std::size_t>(end_ - p_) < word.size() ||
        std::string_view(p_, word.size()) != word) {
      return false;
    }
    p_ += word.size();
    return true;
  }

  // Skips a nested object or array, strings included.
  bool composite() {
    int depth = 0;
    do {
      if (p_ >= end_) return false;
      const char c = *p_;
      if (c == '"') {
        std::string_view ignored;
        bool esc;
        if (!string(&ignored, &esc)) return false;
        continue;
      }
      if (c == '{' || c == '[') ++depth;
      if (c == '}' || c == ']') --depth;
      ++p_;
    } while (depth > 0);
    return depth == 0;
  }

 private:
  const char* p_;
  const char* end_;
};

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
