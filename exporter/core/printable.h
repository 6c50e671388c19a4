#pragma once
// Text from outside (request paths, query values, header values, config values)
// made safe to show in a log line or a JSON answer: valid UTF-8 stays as it is;
// control bytes (C0, DEL, C1) and bytes that are not UTF-8 become "\xNN". So a
// CR, an ESC sequence or a stray 0xff can neither forge a log line nor make a
// JSON body invalid.

#include <string>
#include <string_view>

namespace lle::core {

std::string printable(std::string_view text);

}  // namespace lle::core
