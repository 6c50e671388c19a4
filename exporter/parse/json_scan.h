#pragma once
// A forward-only JSON scanner shared by the line field extractor and the Loki
// record decoder: no document is built; strings are returned as views into the
// input, unescaped only when needed. Internal to the parse module.
//
// It is a fast path, not the judge of what is JSON: it accepts only input that
// boost::json::parse accepts too (RFC 8259 grammar, UTF-8, its depth limit), and
// whatever it does not take (a lone surrogate, a huge exponent, a key twice, any
// error) its callers hand to Boost.JSON, which decides. The differential fuzz
// targets (test/fuzz/) check exactly that: accepted here => same result there.

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

// Decodes a \\uXXXX escape at p to w; 0 if not taken. A high surrogate must be
// followed by a low one (one code point); a lone surrogate is not taken.
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
  if (cp >= 0xD800 && cp < 0xE000) {
    std::uint32_t low;
    if (cp >= 0xDC00 || end - p < 12 || p[6] != '\\' || p[7] != 'u' || !read4(p + 8, &low) ||
        low < 0xDC00 || low >= 0xE000) {
      return 0;
    }
    cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
    len = 12;
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

// The length of the well-formed UTF-8 sequence at p (Unicode table 3-7: no
// overlong forms, no surrogates, nothing above U+10FFFF), or 0.
inline std::size_t utf8_sequence(const char* p, const char* end) {
  const auto b = [p](int i) { return static_cast<unsigned char>(p[i]); };
  const auto cont = [&](int i) { return b(i) >= 0x80 && b(i) <= 0xBF; };
  const unsigned char c = b(0);
  if (c < 0x80) return 1;
  if (c >= 0xC2 && c <= 0xDF) return end - p >= 2 && cont(1) ? 2 : 0;
  if (c >= 0xE0 && c <= 0xEF) {
    if (end - p < 3 || !cont(2)) return 0;
    const unsigned char lo = c == 0xE0 ? 0xA0 : 0x80, hi = c == 0xED ? 0x9F : 0xBF;
    return b(1) >= lo && b(1) <= hi ? 3 : 0;
  }
  if (c >= 0xF0 && c <= 0xF4) {
    if (end - p < 4 || !cont(2) || !cont(3)) return 0;
    const unsigned char lo = c == 0xF0 ? 0x90 : 0x80, hi = c == 0xF4 ? 0x8F : 0xBF;
    return b(1) >= lo && b(1) <= hi ? 4 : 0;
  }
  return 0;
}

#if defined(__SSE2__)
// Bit i set when byte i of v is '"', '\\', a control byte (< 0x20) or not ASCII.
inline int special_bytes(__m128i v) {
  const __m128i quote = _mm_set1_epi8('"'), slash = _mm_set1_epi8('\\'),
                space = _mm_set1_epi8(0x1f);
  return _mm_movemask_epi8(
             _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, slash)),
                          _mm_cmpeq_epi8(_mm_max_epu8(v, space), space))) |
         _mm_movemask_epi8(v);
}
#endif

inline bool is_special(char c) {
  const auto u = static_cast<unsigned char>(c);
  return c == '"' || c == '\\' || u < 0x20 || u >= 0x80;
}

// First byte at or after p that is '"', '\\', a control byte or not ASCII; end if none.
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
  // max_depth: the containers that may be open at once, as boost::json's option.
  JsonCursor(std::string_view s, int max_depth)
      : p_(s.data()), end_(s.data() + s.size()), depth_left_(max_depth) {}

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
  // At '{' or '[': consumes it if one more container may open.
  bool enter(char c) { return depth_left_ > 0 && eat(c) && (--depth_left_, true); }
  bool leave(char c) { return eat(c) && (++depth_left_, true); }

  // At an opening quote: the raw body and whether it has escapes.
  bool string(std::string_view* body, bool* escaped) {
    if (!eat('"')) return false;
    const char* start = p_;
    p_ = find_special(p_, end_);
    *escaped = false;
    if (p_ < end_ && *p_ == '"') {  // the common case: plain ASCII
      *body = std::string_view(start, static_cast<std::size_t>(p_ - start));
      ++p_;
      return true;
    }
    return string_rest(start, body, escaped);
  }

  // At an opening quote: the decoded string, in one pass. Without escapes it is a
  // view into the input; with escapes it is written at w, which must have room
  // for the rest of the input plus 16 bytes (decoded text is never longer; the
  // copy loop stores whole 16-byte blocks), and w advances.
  bool string_decoded(char*& w, std::string_view* out) {
    if (!eat('"')) return false;
    const char* start = p_;
    p_ = find_special(p_, end_);
    if (p_ < end_ && *p_ == '"') {  // the common case: plain ASCII, no escapes
      *out = std::string_view(start, static_cast<std::size_t>(p_ - start));
      ++p_;
      return true;
    }
    return decoded_rest(start, w, out);
  }

  // -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)? with at most 4 exponent digits
  // (more are rare, and boost::json refuses some: not taken here).
  bool number(std::string_view* token) {
    const char* start = p_;
    eat('-');
    if (!eat('0') && !digits()) return false;
    if (eat('.') && !digits()) return false;
    if (eat('e') || eat('E')) {
      if (!eat('+')) eat('-');
      const char* exp = p_;
      if (!digits() || p_ - exp > 4) return false;
    }
    *token = std::string_view(start, static_cast<std::size_t>(p_ - start));
    return true;
  }

  bool literal(std::string_view word) {
    if (static_cast<std::size_t>(end_ - p_) < word.size() ||
        std::string_view(p_, word.size()) != word) {
      return false;
    }
    p_ += word.size();
    return true;
  }

  // Skips any one value, checking all of it.
  bool skip_value() {
    std::string_view ignored;
    bool esc;
    switch (peek()) {
      case '"':
        return string(&ignored, &esc);
      case '{':
        return enter('{') && members() && (++depth_left_, true);
      case '[':
        return enter('[') && elements() && (++depth_left_, true);
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

 private:
  // string_decoded() past the first special byte.
  [[gnu::noinline]] bool decoded_rest(const char* start, char*& w, std::string_view* out) {
    while (p_ < end_ && !is_quote_or_escape_or_control(*p_)) {  // not ASCII: kept in place
      const std::size_t len = utf8_sequence(p_, end_);
      if (len == 0) return false;
      p_ = find_special(p_ + len, end_);
    }
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
      std::size_t len;
      if (*p_ == '\\') {
        len = decode_escape(p_, end_, w);
      } else {
        len = utf8_sequence(p_, end_);
        if (len == 1) return false;  // a control byte
        std::memcpy(w, p_, len);
        w += len;
      }
      if (len == 0) return false;
      p_ += len;
      copy_to_special(w);
    }
  }

  // string() past the first special byte.
  [[gnu::noinline]] bool string_rest(const char* start, std::string_view* body, bool* escaped) {
    for (;;) {
      if (p_ >= end_) return false;
      if (*p_ == '"') break;
      char scratch[4];
      char* w = scratch;
      const std::size_t len = *p_ == '\\' ? decode_escape(p_, end_, w) : utf8_sequence(p_, end_);
      if (len <= static_cast<std::size_t>(*p_ != '\\')) return false;  // bad escape, UTF-8, control
      *escaped |= *p_ == '\\';
      p_ += len;
      p_ = find_special(p_, end_);
    }
    *body = std::string_view(start, static_cast<std::size_t>(p_ - start));
    ++p_;
    return true;
  }
  static bool is_quote_or_escape_or_control(char c) {
    return c == '"' || c == '\\' || static_cast<unsigned char>(c) < 0x20;
  }
  bool digits() {
    const char* start = p_;
    while (p_ < end_ && *p_ >= '0' && *p_ <= '9') ++p_;
    return p_ > start;
  }
  // After '{': "key": value pairs up to and including '}'.
  bool members() {
    skip_ws();
    if (eat('}')) return true;
    for (;;) {
      std::string_view ignored;
      bool esc;
      skip_ws();
      if (!string(&ignored, &esc)) return false;
      skip_ws();
      if (!eat(':')) return false;
      skip_ws();
      if (!skip_value()) return false;
      skip_ws();
      if (eat(',')) continue;
      return eat('}');
    }
  }
  // After '[': values up to and including ']'.
  bool elements() {
    skip_ws();
    if (eat(']')) return true;
    for (;;) {
      skip_ws();
      if (!skip_value()) return false;
      skip_ws();
      if (eat(',')) continue;
      return eat(']');
    }
  }
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
  int depth_left_;
};

}  // namespace lle::parse::detail
