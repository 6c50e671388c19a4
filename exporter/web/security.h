#pragma once
// What the web configuration file (config::WebConfig, the Prometheus exporter
// toolkit's format) asks of every connection and request: TLS (an OpenSSL context,
// one per configuration in force), basic auth against bcrypt hashes, extra headers.
// Built at start and on each reload; a connection takes the TLS context in force
// when it is accepted, a request the users and headers in force when it is read.
// Thread safety: a Security is immutable but for the cache of verified passwords,
// which has a lock of its own: any thread may call allows().

#include <boost/asio/ssl/context.hpp>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_set>
#include <utility>
#include <vector>

#include "exporter/config/config.h"

namespace lle::web {

class Security {
 public:
  // Reads the certificate, key and client CA now. Throws config::ConfigError naming
  // the web configuration file and the key whose file OpenSSL refused.
  explicit Security(const config::HttpConfig& http);

  // nullptr: plain HTTP.
  const std::shared_ptr<boost::asio::ssl::context>& tls() const { return tls_; }
  // Whether a request for `path` with this Authorization header may proceed: no
  // users configured, the probes (/-/healthy, /-/ready) exempted, or a user's password matching its
  // bcrypt hash (crypt_r; each verified pair is remembered, as a SHA-256 digest, so
  // that a scrape every few seconds does not pay bcrypt's cost each time).
  bool allows(std::string_view path, std::string_view authorization) const;
  bool basic_auth() const { return !users_.empty(); }
  const std::vector<std::pair<std::string, std::string>>& headers() const { return headers_; }

 private:
  std::shared_ptr<boost::asio::ssl::context> tls_;
  std::map<std::string, std::string, std::less<>> users_;
  std::vector<std::pair<std::string, std::string>> headers_;
  bool probes_without_auth_ = false;
  mutable std::mutex mutex_;
  mutable std::unordered_set<std::string> verified_;
};

}  // namespace lle::web
