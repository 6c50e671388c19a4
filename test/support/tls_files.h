#pragma once
// Certificates for TLS tests, made with OpenSSL's API (no openssl command needed):
// a CA, and certificates it signs for 127.0.0.1/localhost (server) or a client,
// written as PEM files into a directory of the test's.
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>

namespace lle::test {

class TlsFiles {
 public:
  // Writes <name>.crt and <name>.key for "ca", "server", "client" into dir, and an
  // unrelated "other-ca" (a CA nobody trusts).
  explicit TlsFiles(const std::filesystem::path& dir) : dir_(dir) {
    ca_key_ = key();
    ca_ = cert("test-ca", ca_key_.get(), nullptr, nullptr, true, "");
    write("ca", ca_.get(), ca_key_.get());
    const auto server_key = key();
    const auto server = cert("localhost", server_key.get(), ca_.get(), ca_key_.get(), false,
                             "DNS:localhost,IP:127.0.0.1");
    write("server", server.get(), server_key.get());
    unsigned char* der = nullptr;
    const int len = i2d_PUBKEY(server_key.get(), &der);
    unsigned char md[32];
    unsigned int md_len = 0;
    EVP_Digest(der, static_cast<std::size_t>(len), md, &md_len, EVP_sha256(), nullptr);
    OPENSSL_free(der);
    std::string b64(4 * ((md_len + 2) / 3) + 1, '\0');
    b64.resize(static_cast<std::size_t>(EVP_EncodeBlock(
        reinterpret_cast<unsigned char*>(b64.data()), md, static_cast<int>(md_len))));
    spki_ = b64;
    const auto client_key = key();
    const auto client =
        cert("prometheus", client_key.get(), ca_.get(), ca_key_.get(), false, "DNS:prometheus");
    write("client", client.get(), client_key.get());
    const auto other_key = key();
    const auto other = cert("other-ca", other_key.get(), nullptr, nullptr, true, "");
    write("other-ca", other.get(), other_key.get());
  }
  std::string crt(const std::string& name) const { return (dir_ / (name + ".crt")).string(); }
  std::string pem_key(const std::string& name) const { return (dir_ / (name + ".key")).string(); }
  // The server certificate's public key as Chromium's --ignore-certificate-errors-spki-list
  // takes it: base64 of the SHA-256 of its DER SubjectPublicKeyInfo.
  std::string server_spki() const { return spki_; }

 private:
  struct Free {
    void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
    void operator()(X509* c) const { X509_free(c); }
  };
  using Key = std::unique_ptr<EVP_PKEY, Free>;
  using Cert = std::unique_ptr<X509, Free>;

  static Key key() { return Key(EVP_EC_gen("P-256")); }

  static Cert cert(const std::string& cn, EVP_PKEY* key, X509* issuer, EVP_PKEY* issuer_key,
                   bool ca, const std::string& san) {
    static long serial = 1;
    Cert c(X509_new());
    X509_set_version(c.get(), 2);
    ASN1_INTEGER_set(X509_get_serialNumber(c.get()), serial++);
    X509_gmtime_adj(X509_getm_notBefore(c.get()), -3600);
    X509_gmtime_adj(X509_getm_notAfter(c.get()), 2 * 24 * 3600);
    X509_set_pubkey(c.get(), key);
    X509_NAME* name = X509_get_subject_name(c.get());
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0);
    X509_set_issuer_name(c.get(), issuer ? X509_get_subject_name(issuer) : name);
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, issuer ? issuer : c.get(), c.get(), nullptr, nullptr, 0);
    const auto add = [&](int nid, const std::string& value) {
      X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
      X509_add_ext(c.get(), ext, -1);
      X509_EXTENSION_free(ext);
    };
    add(NID_basic_constraints, ca ? "critical,CA:TRUE" : "CA:FALSE");
    add(NID_subject_key_identifier, "hash");
    if (ca) add(NID_key_usage, "critical,keyCertSign,cRLSign");
    if (!san.empty()) add(NID_subject_alt_name, san);
    X509_sign(c.get(), issuer_key ? issuer_key : key, EVP_sha256());
    return c;
  }

  void write(const std::string& name, X509* c, EVP_PKEY* k) const {
    FILE* f = std::fopen(crt(name).c_str(), "w");
    PEM_write_X509(f, c);
    std::fclose(f);
    f = std::fopen(pem_key(name).c_str(), "w");
    PEM_write_PrivateKey(f, k, nullptr, nullptr, 0, nullptr, nullptr);
    std::fclose(f);
  }

  std::filesystem::path dir_;
  std::string spki_;
  Key ca_key_;
  Cert ca_;
};

}  // namespace lle::test
