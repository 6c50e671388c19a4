#include "exporter/web/security.h"

#include <crypt.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>

#include <boost/beast/core/string.hpp>
#include <cstring>

namespace lle::web {
namespace {

namespace ssl = boost::asio::ssl;
using TlsConfig = config::WebConfig::Tls;

// bcrypt of a password the hash does not belong to: an unknown user costs what a
// known one does, so that the time taken does not tell which users exist.
constexpr const char* kDummyHash = "$2y$10$QOauhQNbBCuQDKes6eFzPeMqBSjb7Mr5DUmpZ/VcEd00UAV/LDeSi";
constexpr std::size_t kMaxRemembered = 1024;

std::string sha256(std::string_view a, std::string_view b, std::string_view c) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr);
  for (const auto part : {a, b, c}) {
    const std::uint64_t size = part.size();  // lengths first: no two splits collide
    EVP_DigestUpdate(ctx, &size, sizeof size);
    EVP_DigestUpdate(ctx, part.data(), part.size());
  }
  EVP_DigestFinal_ex(ctx, md, &n);
  EVP_MD_CTX_free(ctx);
  return std::string(reinterpret_cast<char*>(md), n);
}

// "Basic <base64 of user:password>" -> (user, password); false if it is not that.
bool basic_credentials(std::string_view header, std::string* user, std::string* password) {
  constexpr std::string_view kScheme = "basic ";
  if (header.size() <= kScheme.size() ||
      !boost::beast::iequals(header.substr(0, kScheme.size()), kScheme))
    return false;
  std::string_view b64 = header.substr(kScheme.size());
  while (!b64.empty() && b64.front() == ' ') b64.remove_prefix(1);
  if (b64.empty() || b64.size() % 4 != 0 || b64.size() > 4096) return false;
  std::string out(b64.size() / 4 * 3, '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(b64.data()),
                                static_cast<int>(b64.size()));
  if (n < 0) return false;
  std::size_t size = static_cast<std::size_t>(n);
  for (auto it = b64.rbegin(); it != b64.rend() && *it == '=' && size > 0; ++it) --size;
  out.resize(size);
  const auto colon = out.find(':');
  if (colon == std::string::npos) return false;
  *user = out.substr(0, colon);
  *password = out.substr(colon + 1);
  return true;
}

bool bcrypt_matches(const std::string& password, const std::string& hash) {
  struct crypt_data data;
  std::memset(&data, 0, sizeof data);
  const char* out = crypt_r(password.c_str(), hash.c_str(), &data);
  return out && std::strlen(out) == hash.size() &&
         CRYPTO_memcmp(out, hash.data(), hash.size()) == 0;
}

[[noreturn]] void refused(const std::string& file, const std::string& key, const std::string& why) {
  throw config::ConfigError(file, key, why);
}

// OpenSSL's reason for the last failure (the file name is the caller's to say).
std::string openssl_error(const boost::system::error_code& ec) { return ec.message(); }

std::shared_ptr<ssl::context> tls_context(const std::string& file, const TlsConfig& t) {
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_server);
  SSL_CTX* native = ctx->native_handle();
  SSL_CTX_set_min_proto_version(native, t.min_version);
  SSL_CTX_set_max_proto_version(native, t.max_version);
  SSL_CTX_set_options(native, SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_NO_RENEGOTIATION);
  if (!t.cipher_list.empty() && SSL_CTX_set_cipher_list(native, t.cipher_list.c_str()) != 1)
    refused(file, "tls_server_config.cipher_suites", "OpenSSL offers none of these suites");
  boost::system::error_code ec;
  ctx->use_certificate_chain_file(t.cert_file, ec);
  if (ec) refused(file, "tls_server_config.cert_file", t.cert_file + ": " + openssl_error(ec));
  ctx->use_private_key_file(t.key_file, ssl::context::pem, ec);
  if (ec) refused(file, "tls_server_config.key_file", t.key_file + ": " + openssl_error(ec));
  if (SSL_CTX_check_private_key(native) != 1)
    refused(file, "tls_server_config.key_file",
            "the key does not belong to cert_file's certificate");
  using CA = TlsConfig::ClientAuth;
  if (!t.client_ca_file.empty()) {
    ctx->load_verify_file(t.client_ca_file, ec);
    if (ec)
      refused(file, "tls_server_config.client_ca_file",
              t.client_ca_file + ": " + openssl_error(ec));
  }
  switch (t.client_auth) {
    case CA::kNone:
      ctx->set_verify_mode(ssl::verify_none);
      break;
    case CA::kRequest:  // asked for; any certificate, or none, is taken
      ctx->set_verify_mode(ssl::verify_peer);
      ctx->set_verify_callback([](bool, ssl::verify_context&) { return true; });
      break;
    case CA::kRequireAny:
      ctx->set_verify_mode(ssl::verify_peer | ssl::verify_fail_if_no_peer_cert);
      ctx->set_verify_callback([](bool, ssl::verify_context&) { return true; });
      break;
    case CA::kVerifyIfGiven:
      ctx->set_verify_mode(ssl::verify_peer);
      break;
    case CA::kRequireAndVerify:
      ctx->set_verify_mode(ssl::verify_peer | ssl::verify_fail_if_no_peer_cert);
      break;
  }
  return ctx;
}

}  // namespace

Security::Security(const config::HttpConfig& http)
    : users_(http.web.basic_auth_users.begin(), http.web.basic_auth_users.end()),
      headers_(http.web.headers),
      probes_without_auth_(http.probes_without_auth) {
  if (http.web.tls) tls_ = tls_context(http.web.file, *http.web.tls);
}

bool Security::allows(std::string_view path, std::string_view authorization) const {
  if (users_.empty() || (probes_without_auth_ && (path == "/-/healthy" || path == "/-/ready")))
    return true;
  std::string user, password;
  if (!basic_credentials(authorization, &user, &password)) return false;
  const auto it = users_.find(user);
  const std::string& hash = it == users_.end() ? std::string(kDummyHash) : it->second;
  const std::string key = sha256(user, password, hash);
  {
    std::lock_guard lock(mutex_);
    if (it != users_.end() && verified_.count(key)) return true;
  }
  const bool ok = bcrypt_matches(password, hash) && it != users_.end();
  if (ok) {
    std::lock_guard lock(mutex_);
    if (verified_.size() >= kMaxRemembered) verified_.clear();
    verified_.insert(key);
  }
  return ok;
}

}  // namespace lle::web
