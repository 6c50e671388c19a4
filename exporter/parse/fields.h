#pragma once
// Extraction of a few top-level fields from a JSON object or a logfmt line
// without building a document: the hot path reads 3-5 fields per line.

#include <span>
#include <string>
#include <string_view>

namespace lle::parse {

struct FieldValue {
  enum class Kind { kAbsent, kString, kNumber, kBool, kNull, kComposite };
  Kind kind = Kind::kAbsent;
  std::string_view text;  // string contents (unescaped) or the number/literal token
};

// Scratch storage for unescaped strings; reuse one per thread.
struct FieldScratch {
  static constexpr std::size_t kMaxFields = 8;
  std::string unescaped[kMaxFields];
};

// Fills values[i] with the value of keys[i] (last occurrence wins). Returns
// false if the line is not one well-formed JSON object. keys.size() <= 8.
bool extract_json_fields(std::string_view line, std::span<const std::string_view> keys,
                         std::span<FieldValue> values, FieldScratch& scratch);

// Same for logfmt (key=value, key="quoted \"value\"", bare keys). Returns false if
// a quote is unterminated or the line has no key=value pair at all. Values are
// always strings.
bool extract_logfmt_fields(std::string_view line, std::span<const std::string_view> keys,
                           std::span<FieldValue> values, FieldScratch& scratch);

}  // namespace lle::parse
