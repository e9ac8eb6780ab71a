// The test PKI: per scenario, in memory, a set of certificates described by
// name (roots, intermediates, leaves) with the knobs a bad-certificate
// scenario needs: validity relative to the scenario clock (expired,
// not-yet-valid), self-signed, any subjectAltName list or none (CN-only),
// wildcards, weak keys and SHA-1 signatures; chains with or without their
// intermediates; roots exported as a PEM bundle for the software under
// test. OpenSSL 3 API. ECDSA P-256 by default, so handshakes are cheap.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/result.h"

// OpenSSL's types, without its headers.
typedef struct x509_st X509;
typedef struct evp_pkey_st EVP_PKEY;
typedef struct ssl_ctx_st SSL_CTX;

namespace mxconform::mocks::pki {

enum class KeyType : std::uint8_t {
  kEcdsaP256,  // the default
  kRsa2048,
  kRsa1024,  // weak key, if set, makes the certificate carry a 1024-bit RSA key
};

enum class Digest : std::uint8_t {
  kSha256,  // the default
  kSha1,    // sha1, if set, makes the issuer sign the certificate with SHA-1
};

// One certificate, by name. Times are seconds relative to the PKI's clock
// start (the scenario's virtual clock), so "expired" is not_after < 0.
struct CertSpec {
  std::string name;                    // the handle scenarios use ("root", "mx1")
  std::string issuer;                  // another spec's name; empty: self-signed
  bool ca = false;                     // basicConstraints CA:TRUE, keyUsage keyCertSign + cRLSign
  std::string common_name;             // subject CN; empty: no CN
  std::vector<std::string> dns_names;  // subjectAltName dNSName; empty: no SAN extension
  // subjectAltName iPAddress entries, after the dNSName ones ("192.0.2.25",
  // "2001:db8::25"); with dns_names empty too: no SAN extension.
  std::vector<std::string> ip_addresses;
  std::int64_t not_before = -86400;  // relative to the clock start
  std::int64_t not_after = 90 * 86400;
  KeyType key = KeyType::kEcdsaP256;
  Digest digest = Digest::kSha256;
  // Leaves: extendedKeyUsage clientAuth instead of serverAuth (a knob: a
  // certificate not issued for TLS servers, RFC 5280 §4.2.1.12).
  bool client_auth_only = false;
  // A knob: this certificate is a leaf (CA:FALSE, no keyCertSign) and yet
  // issues others, as a CA that let a customer's server certificate sign
  // would. A chain through it is invalid (RFC 5280 §4.2.1.9, §6.1.4 (k)).
  bool leaf_issuer = false;
  // CAs only: a critical nameConstraints extension whose permitted subtrees
  // are these dNSNames (RFC 5280 §4.2.1.10: "example.net" allows the name
  // and every name below it). Empty: no extension.
  std::vector<std::string> permitted_dns;

  bool operator==(const CertSpec&) const = default;
};

class Pki {
 public:
  // Builds every certificate, issuers before what they sign (specs may come
  // in any order; an issuer equal to the spec's own name means self-signed,
  // like an empty one). Each certificate is X.509 v3 (RFC 5280) with a
  // random positive 128-bit serial, basicConstraints (critical), keyUsage
  // (critical), extendedKeyUsage serverAuth on leaves (clientAuth with
  // client_auth_only), subject and authority
  // key identifiers, and the dns_names written as given (no syntax check).
  // Errors: `pki.spec` (duplicate or empty name, unknown issuer, an issuer
  // that is not a CA and not a leaf_issuer, permitted_dns on a leaf, an
  // issuer cycle, not_after before not_before, an
  // ip_addresses entry that is not an address; detail names the spec),
  // `pki.openssl` (key generation or signing failed, or
  // OpenSSL refused a field such as a CN over 64 characters; detail: the
  // spec and OpenSSL's error string).
  static Result<std::shared_ptr<const Pki>> Build(const std::vector<CertSpec>& specs,
                                                  UnixSeconds clock_start);
  ~Pki();
  Pki(const Pki&) = delete;
  Pki& operator=(const Pki&) = delete;

  bool Has(std::string_view name) const;
  // The certificate and key by name (nullptr when unknown); owned by the Pki.
  X509* Cert(std::string_view name) const;
  EVP_PKEY* Key(std::string_view name) const;
  std::string CertPem(std::string_view name) const;  // "" when unknown
  std::string KeyPem(std::string_view name) const;   // PKCS#8, unencrypted
  std::string CertDer(std::string_view name) const;

  // The chain a server presents for `leaf`: the leaf, then each issuer up
  // to but not including the self-signed root; with `intermediates` false,
  // the leaf alone (the "chain without its intermediate" knob).
  std::vector<X509*> Chain(std::string_view leaf, bool intermediates = true) const;
  std::string ChainPem(std::string_view leaf, bool intermediates = true) const;

  // A PEM bundle of the named certificates (the trusted roots a scenario
  // hands to the software under test), in the order given; unknown names
  // are skipped.
  std::string BundlePem(const std::vector<std::string>& names) const;

  // Loads `leaf`'s key and chain into a server context, replacing the
  // certificate, key and extra chain it had for the same key type (OpenSSL
  // keeps one per type: EC, RSA). A mock server must be able to
  // present bad certificates, and OpenSSL refuses to load or send a
  // certificate weaker than the context's security level: when, and only
  // when, the presented certificates need it, the context's level is lowered
  // to the highest level they meet (1 for a 1024-bit RSA key, 80 bits; 0
  // for a SHA-1 signature, which OpenSSL 3 counts as 63 bits; a self-signed
  // certificate's own signature does not count). Errors: `pki.unknown` (no
  // such certificate), `pki.openssl` (a null context, or OpenSSL refused
  // the certificate, key or chain; detail: its error string).
  Result<bool> UseInServer(SSL_CTX* ctx, std::string_view leaf, bool intermediates = true) const;

  class Impl;

 private:
  explicit Pki(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace mxconform::mocks::pki
