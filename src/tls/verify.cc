#include "tls/verify.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include <ctime>
#include <memory>
#include <utility>

#include "common/text.h"

namespace mxconform::tls {
namespace {

struct BioFree {
  void operator()(BIO* b) const { BIO_free(b); }
};
struct StoreCtxFree {
  void operator()(X509_STORE_CTX* c) const { X509_STORE_CTX_free(c); }
};
struct StackFree {
  // Frees the stack only: the certificates belong to the caller.
  void operator()(STACK_OF(X509) * s) const { sk_X509_free(s); }
};
using BioPtr = std::unique_ptr<BIO, BioFree>;
using StoreCtxPtr = std::unique_ptr<X509_STORE_CTX, StoreCtxFree>;
using StackPtr = std::unique_ptr<STACK_OF(X509), StackFree>;

// OpenSSL's queued errors, oldest first, joined by "; "; clears the queue.
std::string DrainOpensslErrors() {
  std::string out;
  char buf[256];
  while (unsigned long e = ERR_get_error()) {
    ERR_error_string_n(e, buf, sizeof(buf));
    if (!out.empty()) {
      out += "; ";
    }
    out += buf;
  }
  return out;
}

VerifyResult Failure(CertFailure f, std::string detail) {
  VerifyResult r;
  r.failure = f;
  r.detail = std::move(detail);
  return r;
}

// The TLS-RPT result type of an X509_V_ERR_* code (see verify.h).
CertFailure Classify(int err) {
  switch (err) {
    case X509_V_ERR_CERT_HAS_EXPIRED:
    case X509_V_ERR_CERT_NOT_YET_VALID:
      return CertFailure::kExpired;
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
    case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
    case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
    case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
    case X509_V_ERR_CERT_UNTRUSTED:
    // The chain does not lead to the root as a valid path (RFC 5280 §6.1):
    // an issuer that is not a CA, a path too long for a CA's pathLen, or a
    // name outside a CA's name constraints. The catalogue reads these as
    // certificate-not-trusted (RFC 8460 §4.3.2, CERT-PKIX-02).
    case X509_V_ERR_INVALID_CA:
    case X509_V_ERR_PATH_LENGTH_EXCEEDED:
    case X509_V_ERR_PERMITTED_VIOLATION:
    case X509_V_ERR_EXCLUDED_VIOLATION:
    case X509_V_ERR_SUBTREE_MINMAX:
    case X509_V_ERR_UNSUPPORTED_CONSTRAINT_TYPE:
    case X509_V_ERR_UNSUPPORTED_CONSTRAINT_SYNTAX:
    case X509_V_ERR_UNSUPPORTED_NAME_SYNTAX:
      return CertFailure::kNotTrusted;
    case X509_V_ERR_HOSTNAME_MISMATCH:
      return CertFailure::kHostMismatch;
    default:
      return CertFailure::kValidation;
  }
}

// The names a host was matched against, for the detail of a mismatch:
// "dNSName a, b" or "CN x" or "no names".
std::string NamesTried(X509* leaf, bool allow_cn) {
  std::string out;
  auto* sans =
      static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(leaf, NID_subject_alt_name, nullptr, nullptr));
  if (sans != nullptr) {
    for (int i = 0; i < sk_GENERAL_NAME_num(sans); ++i) {
      const GENERAL_NAME* g = sk_GENERAL_NAME_value(sans, i);
      if (g->type != GEN_DNS) {
        continue;
      }
      out += out.empty() ? "dNSName " : ", ";
      out.append(reinterpret_cast<const char*>(ASN1_STRING_get0_data(g->d.dNSName)),
                 static_cast<std::size_t>(ASN1_STRING_length(g->d.dNSName)));
    }
    GENERAL_NAMES_free(sans);
  }
  if (out.empty()) {
    X509_NAME* subject = X509_get_subject_name(leaf);
    int idx = X509_NAME_get_index_by_NID(subject, NID_commonName, -1);
    if (idx >= 0) {
      const ASN1_STRING* cn = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subject, idx));
      out = allow_cn ? "CN " : "CN (not allowed) ";
      out.append(reinterpret_cast<const char*>(ASN1_STRING_get0_data(cn)),
                 static_cast<std::size_t>(ASN1_STRING_length(cn)));
    }
  }
  return out.empty() ? "no names" : out;
}

}  // namespace

std::string_view CertFailureResultType(CertFailure f) {
  // RFC 8460 §4.3.1, the IANA "STARTTLS Validation Result Types" registry.
  switch (f) {
    case CertFailure::kNone:
      return "";
    case CertFailure::kHostMismatch:
      return "certificate-host-mismatch";
    case CertFailure::kExpired:
      return "certificate-expired";
    case CertFailure::kNotTrusted:
      return "certificate-not-trusted";
    case CertFailure::kValidation:
      return "validation-failure";
  }
  return "validation-failure";
}

Result<TrustStore> TrustStore::FromPem(std::string_view pem) {
  X509_STORE* raw = X509_STORE_new();
  if (raw == nullptr) {
    return MakeDiag("tls.trust.pem", Severity::kError, 0, "cannot create a trust store",
                    DrainOpensslErrors());
  }
  TrustStore store(raw);
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (bio == nullptr) {
    return MakeDiag("tls.trust.pem", Severity::kError, 0, "cannot read the PEM bundle",
                    DrainOpensslErrors());
  }
  ERR_clear_error();
  int count = 0;
  for (;;) {
    // Blocks other than CERTIFICATE (a key, a CRL) are skipped by OpenSSL.
    X509* x = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr);
    if (x == nullptr) {
      unsigned long e = ERR_peek_last_error();
      if (ERR_GET_LIB(e) == ERR_LIB_PEM && ERR_GET_REASON(e) == PEM_R_NO_START_LINE) {
        ERR_clear_error();  // the end of the bundle
        break;
      }
      return MakeDiag("tls.trust.pem", Severity::kError, 0, "a PEM block does not parse",
                      "certificate " + std::to_string(count + 1) + ": " + DrainOpensslErrors());
    }
    int added = X509_STORE_add_cert(store.get(), x);
    X509_free(x);  // the store holds its own reference
    if (added != 1) {
      return MakeDiag("tls.trust.pem", Severity::kError, 0, "cannot add a certificate",
                      "certificate " + std::to_string(count + 1) + ": " + DrainOpensslErrors());
    }
    ++count;
  }
  if (count == 0) {
    return MakeDiag("tls.trust.pem", Severity::kError, 0, "no certificate in the PEM bundle");
  }
  return store;
}

TrustStore::TrustStore(TrustStore&& other) noexcept
    : store_(std::exchange(other.store_, nullptr)) {}

TrustStore& TrustStore::operator=(TrustStore&& other) noexcept {
  if (this != &other) {
    X509_STORE_free(store_);
    store_ = std::exchange(other.store_, nullptr);
  }
  return *this;
}

TrustStore::~TrustStore() { X509_STORE_free(store_); }

VerifyResult Verify(const std::vector<X509*>& chain, const TrustStore& trust, std::string_view host,
                    const VerifyOptions& opts) {
  if (chain.empty() || chain.front() == nullptr) {
    return Failure(CertFailure::kValidation, "empty chain");
  }
  if (trust.get() == nullptr) {
    return Failure(CertFailure::kValidation, "no trust store");
  }
  // One trailing dot is the DNS root label (MX targets are absolute names):
  // "mx.example.com." is "mx.example.com". An empty name matches nothing.
  if (!host.empty() && host.back() == '.') {
    host.remove_suffix(1);
  }
  if (host.empty() || host.back() == '.') {
    return Failure(CertFailure::kHostMismatch, "empty or malformed host name");
  }
  // A reference identifier is a domain name (RFC 9525 §6.1): no empty label
  // and no wildcard. Past OpenSSL this matters: a leading '.' asks
  // X509_check_host for "any subdomain at any depth", so ".example.com"
  // would match evil.x.example.com.
  // A NUL matters too: OpenSSL drops one at the end of the name it is
  // given, so "mx.example.com\0" would match mx.example.com.
  if (host.front() == '.' || host.find("..") != std::string_view::npos ||
      host.find('*') != std::string_view::npos || host.find('\0') != std::string_view::npos) {
    return Failure(
        CertFailure::kHostMismatch,
        "not a domain name (an empty label, a wildcard or a NUL): " + text::Printable(host));
  }
  // An address literal is no host name (RFC 1123 §2.1: a name's last label
  // is never numeric), so there is no DNS-ID to compare it with, and an IP
  // reference would need an iPAddress SAN (RFC 9525 §6.2), which MTA-STS
  // never asks for: a dNSName "192.0.2.25" does not vouch for 192.0.2.25.
  if (!text::AddressLiteralOctets(host).empty()) {
    return Failure(
        CertFailure::kHostMismatch,
        "an IP address is not a host name to match DNS-IDs against: " + std::string(host));
  }

  StackPtr untrusted(sk_X509_new_null());
  StoreCtxPtr ctx(X509_STORE_CTX_new());
  if (untrusted == nullptr || ctx == nullptr) {
    return Failure(CertFailure::kValidation, DrainOpensslErrors());
  }
  for (std::size_t i = 1; i < chain.size(); ++i) {
    if (chain[i] != nullptr && sk_X509_push(untrusted.get(), chain[i]) <= 0) {
      return Failure(CertFailure::kValidation, DrainOpensslErrors());
    }
  }
  if (X509_STORE_CTX_init(ctx.get(), trust.get(), chain.front(), untrusted.get()) != 1) {
    return Failure(CertFailure::kValidation, DrainOpensslErrors());
  }

  // The defaults a TLS client applies to a server's chain (what
  // ssl_verify_cert_chain does): purpose and trust "ssl_server", so a leaf
  // whose extendedKeyUsage lacks serverAuth fails as kValidation.
  if (X509_STORE_CTX_set_default(ctx.get(), "ssl_server") != 1) {
    return Failure(CertFailure::kValidation, DrainOpensslErrors());
  }
  X509_VERIFY_PARAM* param = X509_STORE_CTX_get0_param(ctx.get());
  // The validation time: the scenario's virtual clock, or now when 0
  // (set_time also sets X509_V_FLAG_USE_CHECK_TIME).
  X509_VERIFY_PARAM_set_time(param,
                             opts.time != 0 ? static_cast<time_t>(opts.time) : std::time(nullptr));
  X509_VERIFY_PARAM_set_auth_level(param, opts.security_level);
  // X509_V_FLAG_X509_STRICT stays off, as in TLS clients (OpenSSL's
  // s_client, Postfix, Exim): it adds RFC 5280 profile checks (e.g. a
  // missing authorityKeyIdentifier, an empty subject with no critical SAN)
  // that no RFC 8461 requirement asks of a sender. X509_V_FLAG_PARTIAL_CHAIN
  // stays off too: only self-signed roots in the store are trust anchors.
  X509_VERIFY_PARAM_clear_flags(param, X509_V_FLAG_X509_STRICT | X509_V_FLAG_PARTIAL_CHAIN);
  // RFC 8461 §3.4 and RFC 6125 §6.4.3: a wildcard only as the complete
  // left-most label, matching exactly one label; the subject CN only when
  // allowed (and then, by OpenSSL's default, only when there is no dNSName).
  unsigned int host_flags = X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS;
  if (!opts.allow_cn) {
    host_flags |= X509_CHECK_FLAG_NEVER_CHECK_SUBJECT;
  }
  X509_VERIFY_PARAM_set_hostflags(param, host_flags);
  if (X509_VERIFY_PARAM_set1_host(param, host.data(), host.size()) != 1) {
    return Failure(CertFailure::kHostMismatch,
                   "host name refused by OpenSSL: " + std::string(host));
  }

  ERR_clear_error();
  int rc = X509_verify_cert(ctx.get());
  if (rc == 1) {
    ERR_clear_error();
    return {};
  }
  int err = X509_STORE_CTX_get_error(ctx.get());
  if (err == X509_V_OK) {
    // An internal error (allocation, a malformed certificate).
    return Failure(CertFailure::kValidation, "verification failed: " + DrainOpensslErrors());
  }
  ERR_clear_error();
  CertFailure f = Classify(err);
  std::string detail = X509_verify_cert_error_string(err);
  if (f == CertFailure::kHostMismatch) {
    detail += ": " + std::string(host) + " against " + NamesTried(chain.front(), opts.allow_cn);
  }
  return Failure(f, std::move(detail));
}

}  // namespace mxconform::tls
