#pragma once
// Extraction of a few top-level fields from a JSON object or a logfmt line
// without building a document: the hot path reads 3-5 fields per line.

#include <memory>
#include <span>
#include <string>
#include <string_view>

namespace lle::parse {

struct FieldValue {
  enum class Kind { kAbsent, kString, kNumber, kBool, kNull, kComposite };
  Kind kind = Kind::kAbsent;
  std::string_view text;  // string contents (unescaped) or the number/literal token
};

// Scratch storage for unescaped strings and the JSON parser; reuse one per thread.
struct FieldScratch {
  static constexpr std::size_t kMaxFields = 8;
  FieldScratch();
  ~FieldScratch();
  std::string unescaped[kMaxFields];
  struct Json;
  std::unique_ptr<Json> json_;
};

// Fills values[i] with the value of keys[i] (last occurrence wins). Returns
// false if the line is not one JSON object (RFC 8259, as boost::json::parse decides:
// UTF-8, at most 32 levels deep). keys.size() <= 8.
bool extract_json_fields(std::string_view line, std::span<const std::string_view> keys,
                         std::span<FieldValue> values, FieldScratch& scratch);

namespace detail {
// extract_json_fields is these two, exposed for the differential fuzz target: the
// scanner (fast, takes only valid JSON, may decline valid JSON, leaving `values`
// partly filled) and, for what it declines, Boost.JSON's SAX parser, which decides.
bool scan_json_fields(std::string_view line, std::span<const std::string_view> keys,
                      std::span<FieldValue> values, FieldScratch& scratch);
bool parse_json_fields(std::string_view line, std::span<const std::string_view> keys,
                       std::span<FieldValue> values, FieldScratch& scratch);
}  // namespace detail

// Same for logfmt (key=value, key="quoted \"value\"", bare keys). Returns false if
// a quote is unterminated or the line has no key=value pair at all. Values are
// always strings.
bool extract_logfmt_fields(std::string_view line, std::span<const std::string_view> keys,
                           std::span<FieldValue> values, FieldScratch& scratch);

}  // namespace lle::parse
