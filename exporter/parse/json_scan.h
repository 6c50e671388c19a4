#pragma once
// A minimal forward-only JSON scanner shared by the line field extractor and the
// Loki record decoder: no document is built; strings are returned as views into
// the input, unescaped only when needed. Internal to the parse module.

#include <cstdint>
#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif
#include <string>
#include <string_view>

namespace lle::parse::detail {

inline bool is_ws(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

inline int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

inline char* put_utf8(char* w, std::uint32_t cp) {
  if (cp < 0x80) {
    *w++ = static_cast<char>(cp);
  } else if (cp < 0x800) {
    *w++ = static_cast<char>(0xC0 | (cp >> 6));
    *w++ = static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    *w++ = static_cast<char>(0xE0 | (cp >> 12));
    *w++ = static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    *w++ = static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    *w++ = static_cast<char>(0xF0 | (cp >> 18));
    *w++ = static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    *w++ = static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    *w++ = static_cast<char>(0x80 | (cp & 0x3F));
  }
  return w;
}

// Decodes a \\uXXXX escape at p to w; 0 if invalid. A high surrogate followed
// by a low one becomes one code point; a lone one is kept as it is.
inline std::size_t decode_unicode_escape(const char* p, const char* end, char*& w) {
  auto read4 = [end](const char* at, std::uint32_t* cp) {
    if (end - at < 4) return false;
    *cp = 0;
    for (const char* k = at; k < at + 4; ++k) {
      const int h = hex_digit(*k);
      if (h < 0) return false;
      *cp = *cp * 16 + static_cast<std::uint32_t>(h);
    }
    return true;
  };
  std::uint32_t cp;
  if (!read4(p + 2, &cp)) return 0;
  std::size_t len = 6;
  if (cp >= 0xD800 && cp < 0xDC00 && end - p >= 12 && p[6] == '\\' && p[7] == 'u') {
    std::uint32_t low;
    if (read4(p + 8, &low) && low >= 0xDC00 && low < 0xE000) {
      cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
      len = 12;
    }
  }
  w = put_utf8(w, cp);
  return len;
}

// Decodes the escape sequence at p (*p == '\\') to w and advances w. Returns the
// characters consumed, or 0 if it is not a valid escape. Small enough to inline
// into the string scanners; \\u escapes take the out-of-line path.
inline std::size_t decode_escape(const char* p, const char* end, char*& w) {
  if (end - p < 2) return 0;
  switch (p[1]) {
    case '"':
      *w++ = '"';
      return 2;
    case '\\':
      *w++ = '\\';
      return 2;
    case '/':
      *w++ = '/';
      return 2;
    case 'b':
      *w++ = '\b';
      return 2;
    case 'f':
      *w++ = '\f';
      return 2;
    case 'n':
      *w++ = '\n';
      return 2;
    case 'r':
      *w++ = '\r';
      return 2;
    case 't':
      *w++ = '\t';
      return 2;
    case 'u':
      return decode_unicode_escape(p, end, w);
    default:
      return 0;
  }
}

// Decodes the JSON string body `raw` (between the quotes) into out. The result
// is never longer than raw, so out is sized once and written in runs.
inline bool unescape_json(std::string_view raw, std::string& out) {
  out.resize(raw.size());
  char* w = out.data();
  const char* p = raw.data();
  const char* const end = p + raw.size();
  while (p < end) {
    const char* slash =
        static_cast<const char*>(std::memchr(p, '\\', static_cast<std::size_t>(end - p)));
    if (slash == nullptr) slash = end;
    std::memcpy(w, p, static_cast<std::size_t>(slash - p));
    w += slash - p;
    p = slash;
    if (p == end) break;
    const std::size_t used = decode_escape(p, end, w);
    if (used == 0) {
      out.clear();
      return false;
    }
    p += used;
  }
  out.resize(static_cast<std::size_t>(w - out.data()));
  return true;
}

#if defined(__SSE2__)
// Bit i set when byte i of v is '"', '\\' or a control byte (< 0x20).
inline int special_bytes(__m128i v) {
  const __m128i quote = _mm_set1_epi8('"'), slash = _mm_set1_epi8('\\'),
                space = _mm_set1_epi8(0x1f);
  return _mm_movemask_epi8(
      _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, slash)),
                   _mm_cmpeq_epi8(_mm_max_epu8(v, space), space)));
}
#endif

inline bool is_special(char c) {
  return c == '"' || c == '\\' || static_cast<unsigned char>(c) < 0x20;
}

// First byte at or after p that is '"', '\\' or a control byte (< 0x20); end if none.
inline const char* find_special(const char* p, const char* end) {
#if defined(__SSE2__)
  for (; end - p >= 16; p += 16) {
    const int mask = special_bytes(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
    if (mask) return p + __builtin_ctz(static_cast<unsigned>(mask));
  }
#endif
  while (p < end && !is_special(*p)) ++p;
  return p;
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
    for (;;) {
      p_ = find_special(p_, end_);
      if (p_ >= end_) return false;
      if (*p_ == '"') break;
      if (*p_ != '\\' || end_ - p_ < 2) return false;  // a control byte, or a cut escape
      *escaped = true;
      p_ += 2;
    }
    *body = std::string_view(start, static_cast<std::size_t>(p_ - start));
    ++p_;
    return true;
  }

  // At an opening quote: the decoded string, in one pass. Without escapes it is a
  // view into the input; with escapes it is written at w, which must have room
  // for the rest of the input plus 16 bytes (decoded text is never longer; the
  // copy loop stores whole 16-byte blocks), and w advances.
  bool string_decoded(char*& w, std::string_view* out) {
    if (!eat('"')) return false;
    const char* start = p_;
    p_ = find_special(p_, end_);
    if (p_ < end_ && *p_ == '"') {
      *out = std::string_view(start, static_cast<std::size_t>(p_ - start));
      ++p_;
      return true;
    }
    char* const begin = w;
    std::memcpy(w, start, static_cast<std::size_t>(p_ - start));
    w += p_ - start;
    for (;;) {  // at a special byte, already copied up to it
      if (p_ >= end_) return false;
      if (*p_ == '"') {
        ++p_;
        *out = std::string_view(begin, static_cast<std::size_t>(w - begin));
        return true;
      }
      if (*p_ != '\\') return false;  // a control byte
      const std::size_t len = decode_escape(p_, end_, w);
      if (len == 0) return false;
      p_ += len;
      copy_to_special(w);
    }
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

  // Skips any one value.
  bool skip_value() {
    std::string_view ignored;
    bool esc;
    switch (peek()) {
      case '"':
        return string(&ignored, &esc);
      case '{':
      case '[':
        return composite();
      case 't':
        return literal("true");
      case 'f':
        return literal("false");
      case 'n':
        return literal("null");
      default:
        return number(&ignored);
    }
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
  // Copies input to w up to the next special byte, scanning and copying at once.
  void copy_to_special(char*& w) {
#if defined(__SSE2__)
    for (; end_ - p_ >= 16; p_ += 16, w += 16) {
      const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p_));
      _mm_storeu_si128(reinterpret_cast<__m128i*>(w), v);
      if (const int mask = special_bytes(v)) {
        const int n = __builtin_ctz(static_cast<unsigned>(mask));
        p_ += n;
        w += n;
        return;
      }
    }
#endif
    while (p_ < end_ && !is_special(*p_)) *w++ = *p_++;
  }

  const char* p_;
  const char* end_;
};

}  // namespace lle::parse::detail
