// Certificate verification as an MTA-STS sender must do it (RFC 8461 §4.2,
// §5, RFC 6125 via RFC 8461 §4.1): PKIX path validation to a trust store at
// a given time (the scenario's virtual clock, or now), and the MX or
// policy host name matched against the certificate's subjectAltName
// dNSName entries (the CN only if allowed, and then only when there is no
// dNSName: OpenSSL 3.0 falls back to it beside an iPAddress SAN),
// wildcards only as the whole left-most label. The failure says which
// TLS-RPT result type it is (RFC 8460 §4.3). Used by the reference sender
// in both modes: in-process with the chain a fake presents, on the wire
// with the chain the peer sent.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/result.h"

typedef struct x509_st X509;
typedef struct x509_store_st X509_STORE;

namespace mxconform::tls {

// Why a chain was refused, as the TLS-RPT result type it reports.
enum class CertFailure : std::uint8_t {
  kNone,
  kHostMismatch,  // "certificate-host-mismatch"
  kExpired,       // "certificate-expired" (also not yet valid)
  kNotTrusted,    // "certificate-not-trusted": no path to a trusted root
  kValidation,    // "validation-failure": anything else (a weak key, SHA-1, a bad chain)
};
std::string_view CertFailureResultType(CertFailure f);  // "" for kNone

struct VerifyOptions {
  // The validation time (seconds since the epoch); 0: the system time now.
  UnixSeconds time = 0;
  // RFC 6125 §6.4.4's CN-ID, which RFC 9525 dropped: the CN is compared
  // when the certificate has no dNSName (tests only; MTA-STS wants a DNS-ID).
  bool allow_cn = false;
  // OpenSSL's authentication security level for the chain's keys and
  // signature digests (X509_VERIFY_PARAM_set_auth_level): the default 2
  // (112 bits) refuses 1024-bit RSA keys ("EE certificate key too weak")
  // and SHA-1 signatures ("CA signature digest algorithm too weak"), which
  // then fail as kValidation. Level 1 (80 bits) accepts a 1024-bit RSA key
  // but still refuses SHA-1 (OpenSSL 3 counts it as 63 bits); level 0
  // accepts both. The self-signature of a trust anchor is never checked.
  int security_level = 2;
};

struct VerifyResult {
  CertFailure failure = CertFailure::kNone;
  // OpenSSL's reason (X509_verify_cert_error_string: "certificate has
  // expired"); for a host mismatch followed by the names tried
  // ("hostname mismatch: mx.example.com against dNSName a.example.net").
  std::string detail;
  bool ok() const { return failure == CertFailure::kNone; }
};

// A set of trusted roots.
class TrustStore {
 public:
  // From a PEM bundle; blocks other than CERTIFICATE (keys, CRLs) are
  // skipped. Errors: `tls.trust.pem` (no certificate in it, or a
  // CERTIFICATE block that does not parse; detail: "certificate N: " and
  // OpenSSL's error string).
  static Result<TrustStore> FromPem(std::string_view pem);
  TrustStore(TrustStore&&) noexcept;
  TrustStore& operator=(TrustStore&&) noexcept;
  ~TrustStore();
  X509_STORE* get() const { return store_; }

 private:
  explicit TrustStore(X509_STORE* s) : store_(s) {}
  X509_STORE* store_ = nullptr;
};

// Verifies `chain` (leaf first, then what the peer sent, in any order) for
// `host` (an A-label name). Never throws; an empty chain (or a null leaf, or
// a moved-from store) is kValidation.
//
// Path validation is OpenSSL's X509_verify_cert with what a TLS client sets
// (purpose and trust "ssl_server": a leaf without serverAuth in its
// extendedKeyUsage fails as kValidation), X509_V_FLAG_X509_STRICT off (its
// extra RFC 5280 profile checks are not what OpenSSL-based MTAs apply, nor
// anything RFC 8461 asks), and X509_V_FLAG_PARTIAL_CHAIN off (only
// self-signed roots in `trust` anchor a path). No revocation checks.
//
// Host names (RFC 8461 §4.1, RFC 6125 §6.4): ASCII case-insensitive; a
// wildcard only as the complete left-most label, matching exactly one
// label ("*.example.com" matches mx.example.com, not example.com nor
// a.b.example.com; "m*.example.com" and "*.*.example.com" match nothing).
// One trailing dot on `host` is the DNS root label and is ignored (MX
// targets come from DNS as absolute names): "mx.example.com." is checked as
// "mx.example.com". An empty host, ".", one ending in "..", or an IPv4 or
// IPv6 address literal (no host name: RFC 1123 §2.1; a dNSName spelling
// the address does not vouch for it, RFC 9525 §6.2) is kHostMismatch.
//
// When several problems apply, the result is the first one OpenSSL 3.0
// meets, in this order (as OpenSSL-based MTAs would report it):
//   1. the leaf's key below the security level: kValidation;
//   2. no path to a trusted root (unknown issuer, self-signed leaf, an
//      untrusted root sent along): kNotTrusted;
//   3. CA and path-length checks: kNotTrusted (the path is not a valid
//      one, RFC 5280 §6.1); the purpose check: kValidation;
//   4. issuer keys or signature digests below the security level (SHA-1):
//      kValidation;
//   5. the host name: kHostMismatch;
//   6. signatures and validity periods, root first: kValidation or
//      kExpired;
//   7. name constraints: kNotTrusted.
// So an expired certificate with a wrong name is kHostMismatch, an
// untrusted one with a wrong name kNotTrusted.
VerifyResult Verify(const std::vector<X509*>& chain, const TrustStore& trust, std::string_view host,
                    const VerifyOptions& opts);

}  // namespace mxconform::tls
