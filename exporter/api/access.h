#pragma once
// Who is calling the REST API, and what they may do (docs/access-control.md):
// an engineer named by a trusted authenticating proxy's header, or by a bearer
// token whose SHA-256 is in the tokens file. Pure functions over the request's
// headers and the credentials read at start; the HTTP layer only extracts them.
// Thread safety: plain values and free functions.

#include <map>
#include <string>
#include <string_view>
#include <variant>

#include "exporter/config/config.h"

namespace lle::api {

// What the credential files hold, read at start and on reload.
struct Credentials {
  std::string proxy_secret;                                     // "" = none configured
  std::map<std::string, std::string> engineer_by_token_sha256;  // hex digest -> engineer
};

// Reads api.auth.proxy.secret_file and api.auth.tokens_file. The tokens file has
// one "<engineer> sha256:<64 hex digits>" per line; '#' starts a comment. Throws
// config::ConfigError naming the file and line, never a secret.
Credentials load_credentials(const config::ApiConfig& c);

std::string sha256_hex(std::string_view s);

// The parts of a request that say who sent it (empty when absent).
struct RequestAuth {
  std::string_view authorization;  // the Authorization header
  std::string_view proxy_user;     // api.auth.proxy.header
  std::string_view proxy_secret;   // api.auth.proxy.secret_header
  std::string_view peer;           // the remote IP address
};

struct Caller {
  std::string engineer;
  std::string via;  // "proxy" or "token"
};

struct Denied {
  int status;
  std::string error, detail;
};

std::variant<Caller, Denied> identify(const RequestAuth& r, const config::ApiConfig& c,
                                      const Credentials& creds);

// An engineer owns a service when listed in its owners or a member of its team.
bool owns(const config::Config& c, const config::ServiceConfig& s, std::string_view engineer);
// Reading a service's latency: owners, or anyone when api.read_access is `any`.
bool may_read(const config::Config& c, const config::ServiceConfig& s, std::string_view engineer);
// A team's members: those listed under it in services.yaml `teams`, and the
// owners of its services. Reading a team: members, or anyone as above.
bool in_team(const config::Config& c, std::string_view team, std::string_view engineer);
bool may_read_team(const config::Config& c, std::string_view team, std::string_view engineer);

}  // namespace lle::api
