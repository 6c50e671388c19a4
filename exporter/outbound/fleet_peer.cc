#include "exporter/outbound/fleet_peer.h"

#include <boost/json.hpp>

#include "exporter/core/printable.h"
#include "exporter/outbound/http_client.h"

namespace lle::outbound {

PeerReady ready_in_answer(std::string_view body, int member, int members) {
  PeerReady out;
  boost::system::error_code ec;
  const auto v = boost::json::parse(body, ec);
  const auto* o = ec ? nullptr : v.if_object();
  const auto number = [&](const char* key) -> std::int64_t {
    const auto* n = o->if_contains(key);
    return n && n->is_int64() ? n->get_int64() : -1;
  };
  const auto* ready = o ? o->if_contains("ready") : nullptr;
  if (!o || !ready || !ready->is_array()) {
    out.error = "not a /-/fleet answer: " + core::printable(body.substr(0, 200));
    return out;
  }
  if (number("member") != member || number("members") != members) {
    out.error = "answered as member " + std::to_string(number("member")) + " of " +
                std::to_string(number("members")) + ", not " + std::to_string(member) + " of " +
                std::to_string(members);
    return out;
  }
  for (const auto& id : ready->get_array()) {
    if (!id.is_string()) {
      out.error = "a ready service that is not a string";
      out.ready.clear();
      return out;
    }
    out.ready.emplace_back(id.get_string());
  }
  return out;
}

boost::asio::awaitable<PeerReady> ask_peer(std::string base_url, int member, int members,
                                           std::chrono::milliseconds timeout) {
  while (!base_url.empty() && base_url.back() == '/') base_url.pop_back();
  const auto r = co_await request("GET", base_url + "/-/fleet", 1, timeout);
  if (!r.ok) co_return PeerReady{{}, r.detail};
  co_return ready_in_answer(r.body, member, members);
}

}  // namespace lle::outbound
