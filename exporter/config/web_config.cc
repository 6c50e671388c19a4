// The Prometheus exporter toolkit's web configuration file: its keys and their
// meaning as the toolkit documents them (docs/security.md), checked up front.

#include <algorithm>
#include <array>
#include <filesystem>
#include <string_view>
#include <utility>

#include "exporter/config/config.h"
#include "exporter/config/yaml_at.h"

namespace lle::config {
namespace {

// Go's crypto/tls names of the TLS 1.2 suites it offers, and OpenSSL's.
constexpr std::array<std::pair<std::string_view, std::string_view>, 16> kCipherSuites{{
    {"TLS_RSA_WITH_AES_128_CBC_SHA", "AES128-SHA"},
    {"TLS_RSA_WITH_AES_256_CBC_SHA", "AES256-SHA"},
    {"TLS_RSA_WITH_AES_128_GCM_SHA256", "AES128-GCM-SHA256"},
    {"TLS_RSA_WITH_AES_256_GCM_SHA384", "AES256-GCM-SHA384"},
    {"TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA", "ECDHE-ECDSA-AES128-SHA"},
    {"TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA", "ECDHE-ECDSA-AES256-SHA"},
    {"TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA", "ECDHE-RSA-AES128-SHA"},
    {"TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA", "ECDHE-RSA-AES256-SHA"},
    {"TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", "ECDHE-ECDSA-AES128-GCM-SHA256"},
    {"TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", "ECDHE-RSA-AES128-GCM-SHA256"},
    {"TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", "ECDHE-ECDSA-AES256-GCM-SHA384"},
    {"TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", "ECDHE-RSA-AES256-GCM-SHA384"},
    {"TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256", "ECDHE-ECDSA-CHACHA20-POLY1305"},
    {"TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256", "ECDHE-RSA-CHACHA20-POLY1305"},
    {"TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305", "ECDHE-ECDSA-CHACHA20-POLY1305"},
    {"TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305", "ECDHE-RSA-CHACHA20-POLY1305"},
}};

int tls_version(const At& at, int def) {
  if (!at.present()) return def;
  const std::string v = at.str();
  if (v == "TLS10") return 0x0301;
  if (v == "TLS11") return 0x0302;
  if (v == "TLS12") return 0x0303;
  if (v == "TLS13") return 0x0304;
  at.fail("expected TLS10, TLS11, TLS12 or TLS13");
}

// A bcrypt hash as htpasswd -B and the toolkit's docs make them: $2a$, $2b$ or
// $2y$, a two-digit cost from 04 to 31, 53 characters of bcrypt's base64.
bool bcrypt_hash(std::string_view h) {
  if (h.size() != 60 || h[0] != '$' || h[1] != '2' || h[3] != '$' || h[6] != '$') return false;
  if (h[2] != 'a' && h[2] != 'b' && h[2] != 'y') return false;
  const int cost = (h[4] - '0') * 10 + (h[5] - '0');
  if (h[4] < '0' || h[4] > '9' || h[5] < '0' || h[5] > '9' || cost < 4 || cost > 31) return false;
  return std::all_of(h.begin() + 7, h.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '/';
  });
}

}  // namespace

WebConfig load_web_config(const std::string& file) {
  WebConfig w;
  w.file = file;
  const At root{file, load_yaml(file), ""};
  if (!root.present()) return w;  // an empty file: what the toolkit does with one
  root.require_map({"tls_server_config", "http_server_config", "basic_auth_users"});
  // The key file's path is relative to this file, as the toolkit reads it.
  const auto path = [&](const At& at) {
    const std::string p = at.nonempty_str();
    if (p.find('\0') != std::string::npos) at.fail("expected a file name without NUL bytes");
    return p.front() == '/'
               ? p
               : (std::filesystem::path(file).parent_path() / p).lexically_normal().string();
  };
  if (const At t = root.key("tls_server_config"); t.present()) {
    t.require_map({"cert_file", "key_file", "client_auth_type", "client_ca_file", "min_version",
                   "max_version", "cipher_suites", "prefer_server_cipher_suites",
                   "curve_preferences", "cert", "key", "client_allowed_sans"});
    for (const char* unsupported : {"cert", "key", "client_allowed_sans", "curve_preferences"}) {
      if (t.key(unsupported).present())
        t.key(unsupported)
            .fail(
                "not supported here: use cert_file and key_file, and leave "
                "curves and SAN filters to OpenSSL's defaults");
    }
    WebConfig::Tls tls;
    tls.cert_file = path(t.key("cert_file"));
    tls.key_file = path(t.key("key_file"));
    using CA = WebConfig::Tls::ClientAuth;
    const std::string auth = t.key("client_auth_type").str_or("NoClientCert");
    if (auth == "NoClientCert") {
      tls.client_auth = CA::kNone;
    } else if (auth == "RequestClientCert") {
      tls.client_auth = CA::kRequest;
    } else if (auth == "RequireAnyClientCert") {
      tls.client_auth = CA::kRequireAny;
    } else if (auth == "VerifyClientCertIfGiven") {
      tls.client_auth = CA::kVerifyIfGiven;
    } else if (auth == "RequireAndVerifyClientCert") {
      tls.client_auth = CA::kRequireAndVerify;
    } else {
      t.key("client_auth_type")
          .fail(
              "expected NoClientCert, RequestClientCert, RequireAnyClientCert, "
              "VerifyClientCertIfGiven or RequireAndVerifyClientCert");
    }
    if (t.key("client_ca_file").present()) tls.client_ca_file = path(t.key("client_ca_file"));
    if ((tls.client_auth == CA::kVerifyIfGiven || tls.client_auth == CA::kRequireAndVerify) &&
        tls.client_ca_file.empty())
      t.key("client_ca_file").fail("required with client_auth_type " + auth);
    tls.min_version = tls_version(t.key("min_version"), tls.min_version);
    tls.max_version = tls_version(t.key("max_version"), tls.max_version);
    if (tls.min_version > tls.max_version)
      t.key("min_version").fail("above max_version: no version would be left");
    t.key("prefer_server_cipher_suites").boolean_or(true);  // OpenSSL's server order
    if (const At c = t.key("cipher_suites"); c.present()) {
      for (std::size_t i = 0; const auto& name : c.string_list()) {
        const auto* it = std::find_if(kCipherSuites.begin(), kCipherSuites.end(),
                                      [&](const auto& p) { return p.first == name; });
        if (it == kCipherSuites.end())
          c.index(i).fail(
              "not a TLS 1.2 cipher suite Go names (e.g. "
              "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256); TLS 1.3's are not configurable");
        tls.cipher_list += (tls.cipher_list.empty() ? "" : ":") + std::string(it->second);
        ++i;
      }
    }
    w.tls = std::move(tls);
  }
  if (const At h = root.key("http_server_config"); h.present()) {
    h.require_map({"http2", "headers"});
    h.key("http2").boolean_or(true);  // HTTP/1.1 is served either way
    if (const At hs = h.key("headers"); hs.present()) {
      // The toolkit's list: headers that harden an answer, nothing that changes it.
      constexpr std::array<std::string_view, 5> kAllowed{
          "Strict-Transport-Security", "X-Content-Type-Options", "X-Frame-Options",
          "X-XSS-Protection", "Content-Security-Policy"};
      for (const auto& name : hs.keys()) {
        const At v = hs.key(name.c_str());
        if (std::find(kAllowed.begin(), kAllowed.end(), name) == kAllowed.end())
          v.fail(
              "not a header the web configuration may set (Strict-Transport-Security, "
              "X-Content-Type-Options, X-Frame-Options, X-XSS-Protection, "
              "Content-Security-Policy)");
        const std::string value = v.nonempty_str();
        if (value.find_first_of("\r\n") != std::string::npos ||
            value.find('\0') != std::string::npos)
          v.fail("a header value on one line");
        w.headers.emplace_back(name, value);
      }
    }
  }
  if (const At u = root.key("basic_auth_users"); u.present()) {
    for (const auto& user : u.keys()) {
      const At hash = u.key(user.c_str());
      if (user.empty() || user.find(':') != std::string::npos)
        hash.fail("a user name is not empty and holds no ':'");
      // The hash is no secret, but it is not printed either: the message says what it is not.
      if (!bcrypt_hash(hash.str()))
        hash.fail("expected a bcrypt hash ($2y$10$... as htpasswd -nB makes), not a password");
      w.basic_auth_users.emplace(user, hash.str());
    }
  }
  return w;
}

}  // namespace lle::config
