#pragma once
// Internal to the api module: JSON from requests and hand-edited files, parsed
// strictly. Boost.JSON 1.81 keeps the last of two equal keys in an object; a
// body such as {"threshold_ms":900,"threshold_ms":100} is refused instead, so
// what a reviewer reads is what the exporter does.

#include <boost/json/value.hpp>
#include <optional>
#include <string>
#include <string_view>

namespace lle::api {

// The value, or nullopt and *why (malformed JSON, or the first key given twice).
std::optional<boost::json::value> parse_json_strict(std::string_view text, std::string* why);

}  // namespace lle::api
