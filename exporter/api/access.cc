#include "exporter/api/access.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <algorithm>
#include <sstream>
#include <stdexcept>

#include "exporter/core/regular_file.h"
#include "exporter/core/secret_file.h"
#include "exporter/log/log.h"

namespace lle::api {
namespace {

std::string trim(std::string s) {
  const auto not_space = [](unsigned char c) { return !std::isspace(c); };
  s.erase(s.begin(), std::find_if(s.begin(), s.end(), not_space));
  s.erase(std::find_if(s.rbegin(), s.rend(), not_space).base(), s.end());
  return s;
}

std::string read_secret(const std::string& file, const char* key) {
  core::Secret s;
  try {
    s = core::read_secret_file(file, key);
  } catch (const std::runtime_error& e) {
    throw config::ConfigError(file, key, e.what());
  }
  if (s.value.size() < 16)
    throw config::ConfigError(file, key, "expected a secret of 16 or more bytes");
  if (s.readable_by_others)
    log::warn("a secret file is readable by every user of this machine", {{"file", file}});
  return std::move(s.value);
}

bool valid_engineer(std::string_view id) {
  return !id.empty() && id.size() <= 128 && std::all_of(id.begin(), id.end(), [](char c) {
    return static_cast<unsigned char>(c) > 0x20 && c != 0x7f;
  });
}

bool equal_secret(std::string_view a, std::string_view b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace

std::string sha256_hex(std::string_view s) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  EVP_Digest(s.data(), s.size(), digest, &n, EVP_sha256(), nullptr);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < n; ++i) {
    out += kHex[digest[i] >> 4];
    out += kHex[digest[i] & 15];
  }
  return out;
}

// One digest line per engineer: a file larger than this is not a tokens file.
constexpr std::size_t kMaxTokensFileBytes = 1 << 20;

Credentials load_credentials(const config::ApiConfig& c) {
  Credentials out;
  if (!c.proxy_secret_file.empty())
    out.proxy_secret = read_secret(c.proxy_secret_file, "api.auth.proxy.secret_file");
  if (c.tokens_file.empty()) return out;
  const core::FileRead read = core::read_regular_file(c.tokens_file, kMaxTokensFileBytes);
  if (read.status != core::FileRead::Status::kOk)
    throw config::ConfigError(c.tokens_file, "api.auth.tokens_file",
                              "cannot read file: it " + read.why);
  std::istringstream in(read.content);
  std::string line;
  for (int n = 1; std::getline(in, line); ++n) {
    line = trim(line.substr(0, line.find('#')));
    if (line.empty()) continue;
    const auto space = line.find_first_of(" \t");
    const std::string engineer = line.substr(0, space);
    const std::string digest = space == std::string::npos ? "" : trim(line.substr(space));
    const bool hex = digest.size() == 7 + 64 && digest.starts_with("sha256:") &&
                     std::all_of(digest.begin() + 7, digest.end(), [](char ch) {
                       return (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f');
                     });
    const std::string where = c.tokens_file + ":" + std::to_string(n);
    if (!valid_engineer(engineer) || !hex) {
      throw config::ConfigError(where, "",
                                "expected '<engineer> sha256:<64 lower-case hex digits>' (the "
                                "token's digest, never the token)");
    }
    if (!out.engineer_by_token_sha256.emplace(digest.substr(7), engineer).second)
      throw config::ConfigError(where, "", "the same token digest is listed twice");
  }
  return out;
}

std::variant<Caller, Denied> identify(const RequestAuth& r, const config::ApiConfig& c,
                                      const Credentials& creds) {
  if (!c.proxy_header.empty() && !r.proxy_user.empty()) {
    const bool by_secret =
        !creds.proxy_secret.empty() && equal_secret(r.proxy_secret, creds.proxy_secret);
    const bool by_peer =
        std::find(c.trusted_peers.begin(), c.trusted_peers.end(), r.peer) != c.trusted_peers.end();
    if (!by_secret && !by_peer) {
      return Denied{
          401, "untrusted_identity",
          "the " + c.proxy_header + " header is believed only from the authenticating proxy"};
    }
    if (!valid_engineer(r.proxy_user))
      return Denied{401, "invalid_identity", "the " + c.proxy_header + " header is not an id"};
    return Caller{std::string(r.proxy_user), "proxy"};
  }
  if (!r.authorization.empty()) {
    if (c.tokens_file.empty() || !r.authorization.starts_with("Bearer "))
      return Denied{401, "unsupported_authorization", "expected Authorization: Bearer <token>"};
    const auto it = creds.engineer_by_token_sha256.find(sha256_hex(r.authorization.substr(7)));
    if (it == creds.engineer_by_token_sha256.end())
      return Denied{401, "invalid_token", "the bearer token is not known"};
    return Caller{it->second, "token"};
  }
  return Denied{401, "unauthenticated",
                c.tokens_file.empty() ? "come through the authenticating proxy"
                                      : "send Authorization: Bearer <token>"};
}

bool owns(const config::Config& c, const config::ServiceConfig& s, std::string_view engineer) {
  const auto& owners = s.info.owners;
  if (std::find(owners.begin(), owners.end(), engineer) != owners.end()) return true;
  const auto team = c.team_members.find(s.info.team);
  return team != c.team_members.end() &&
         std::find(team->second.begin(), team->second.end(), engineer) != team->second.end();
}

bool may_read(const config::Config& c, const config::ServiceConfig& s, std::string_view engineer) {
  return c.api.read == config::ApiConfig::Read::kAnyEngineer || owns(c, s, engineer);
}

bool in_team(const config::Config& c, std::string_view team, std::string_view engineer) {
  if (const auto t = c.team_members.find(std::string(team)); t != c.team_members.end()) {
    if (std::find(t->second.begin(), t->second.end(), engineer) != t->second.end()) return true;
  }
  // Every service of the fleet: membership is the same on every member.
  const auto owns_one = [&](const std::vector<config::ServiceConfig>& services) {
    return std::any_of(services.begin(), services.end(), [&](const config::ServiceConfig& s) {
      const auto& owners = s.info.owners;
      return s.info.team == team &&
             std::find(owners.begin(), owners.end(), engineer) != owners.end();
    });
  };
  return owns_one(c.services) || owns_one(c.fleet.elsewhere);
}

bool may_read_team(const config::Config& c, std::string_view team, std::string_view engineer) {
  return c.api.read == config::ApiConfig::Read::kAnyEngineer || in_team(c, team, engineer);
}

}  // namespace lle::api
