#include "exporter/api/strict_json.h"

#include <boost/json/basic_parser_impl.hpp>
#include <boost/json/parse.hpp>
#include <set>
#include <vector>

#include "exporter/core/printable.h"

namespace lle::api {
namespace {

namespace json = boost::json;

// SAX handler that only remembers each open object's keys.
struct DuplicateKeys {
  static constexpr std::size_t max_object_size = std::size_t(-1);
  static constexpr std::size_t max_array_size = std::size_t(-1);
  static constexpr std::size_t max_key_size = std::size_t(-1);
  static constexpr std::size_t max_string_size = std::size_t(-1);

  std::vector<std::set<std::string>> open;
  std::string key, duplicate;

  bool on_document_begin(json::error_code&) { return true; }
  bool on_document_end(json::error_code&) { return true; }
  bool on_object_begin(json::error_code&) {
    open.emplace_back();
    return true;
  }
  bool on_object_end(std::size_t, json::error_code&) {
    open.pop_back();
    return true;
  }
  bool on_array_begin(json::error_code&) { return true; }
  bool on_array_end(std::size_t, json::error_code&) { return true; }
  bool on_key_part(std::string_view s, std::size_t, json::error_code&) {
    key.append(s);
    return true;
  }
  bool on_key(std::string_view s, std::size_t, json::error_code& ec) {
    key.append(s);
    if (!open.back().insert(key).second) {
      duplicate = key;
      ec = json::error::syntax;  // stops the parse
      return false;
    }
    key.clear();
    return true;
  }
  bool on_string_part(std::string_view, std::size_t, json::error_code&) { return true; }
  bool on_string(std::string_view, std::size_t, json::error_code&) { return true; }
  bool on_number_part(std::string_view, json::error_code&) { return true; }
  bool on_int64(std::int64_t, std::string_view, json::error_code&) { return true; }
  bool on_uint64(std::uint64_t, std::string_view, json::error_code&) { return true; }
  bool on_double(double, std::string_view, json::error_code&) { return true; }
  bool on_bool(bool, json::error_code&) { return true; }
  bool on_null(json::error_code&) { return true; }
  bool on_comment_part(std::string_view, json::error_code&) { return true; }
  bool on_comment(std::string_view, json::error_code&) { return true; }
};

}  // namespace

std::optional<json::value> parse_json_strict(std::string_view text, std::string* why) {
  json::error_code ec;
  json::value v = json::parse(text, ec);
  if (ec) {
    *why = "not JSON: " + ec.message();
    return std::nullopt;
  }
  json::basic_parser<DuplicateKeys> p(json::parse_options{});
  p.write_some(false, text.data(), text.size(), ec);
  if (!p.handler().duplicate.empty()) {
    *why = "key '" + core::printable(p.handler().duplicate) + "' is given more than once";
    return std::nullopt;
  }
  return v;
}

}  // namespace lle::api
