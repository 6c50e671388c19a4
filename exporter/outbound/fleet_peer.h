#pragma once
// Asking another fleet member which of its services are ready (GET /-/fleet,
// answered by web::add_routes): a member in a handoff's grace period drops a
// service it lost once the new owner has it ready (docs/fleet.md).
// Thread safety: as http_client.h.

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <string>
#include <string_view>
#include <vector>

namespace lle::outbound {

struct PeerReady {
  std::vector<std::string> ready;  // the services the peer owns and has ready
  std::string error;               // "" when it answered as the member asked
};

// The ready services of a /-/fleet answer (a JSON object), if it is member `member`
// of `members` that answers; else an error saying why not (so a peer that counts
// the fleet otherwise, or stands at another place, is not believed).
PeerReady ready_in_answer(std::string_view body, int member, int members);

// GET base_url + "/-/fleet", one attempt within `timeout`, read by ready_in_answer.
boost::asio::awaitable<PeerReady> ask_peer(std::string base_url, int member, int members,
                                           std::chrono::milliseconds timeout);

}  // namespace lle::outbound
