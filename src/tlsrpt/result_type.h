// The STARTTLS validation result types (RFC 8460 §4.3, IANA "STARTTLS
// Validation Result Types").
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

namespace mxconform::tlsrpt {

enum class ResultType : std::uint8_t {
  // §4.3.1 negotiation failures
  kStarttlsNotSupported,
  kCertificateHostMismatch,
  kCertificateExpired,
  kCertificateNotTrusted,
  kValidationFailure,
  // §4.3.2.1 DANE
  kTlsaInvalid,
  kDnssecInvalid,
  kDaneRequired,
  // §4.3.2.2 MTA-STS
  kStsPolicyFetchError,
  kStsPolicyInvalid,
  kStsWebpkiInvalid,
};

inline constexpr std::array<ResultType, 11> kAllResultTypes = {
    ResultType::kStarttlsNotSupported, ResultType::kCertificateHostMismatch,
    ResultType::kCertificateExpired,   ResultType::kCertificateNotTrusted,
    ResultType::kValidationFailure,    ResultType::kTlsaInvalid,
    ResultType::kDnssecInvalid,        ResultType::kDaneRequired,
    ResultType::kStsPolicyFetchError,  ResultType::kStsPolicyInvalid,
    ResultType::kStsWebpkiInvalid,
};

// §4.3.1: a failure in the TLS negotiation with an MX (the other result
// types are DANE and MTA-STS policy failures, §4.3.2).
constexpr bool IsNegotiationFailure(ResultType t) {
  return t == ResultType::kStarttlsNotSupported || t == ResultType::kCertificateHostMismatch ||
         t == ResultType::kCertificateExpired || t == ResultType::kCertificateNotTrusted ||
         t == ResultType::kValidationFailure;
}

// §4.3.2.2: a failure of the MTA-STS policy host or policy (fetch,
// syntax, WebPKI), as opposed to the DANE ones.
constexpr bool IsStsPolicyFailure(ResultType t) {
  return t == ResultType::kStsPolicyFetchError || t == ResultType::kStsPolicyInvalid ||
         t == ResultType::kStsWebpkiInvalid;
}

// The registry name, e.g. "certificate-expired".
constexpr std::string_view ResultTypeName(ResultType t) {
  switch (t) {
    case ResultType::kStarttlsNotSupported:
      return "starttls-not-supported";
    case ResultType::kCertificateHostMismatch:
      return "certificate-host-mismatch";
    case ResultType::kCertificateExpired:
      return "certificate-expired";
    case ResultType::kCertificateNotTrusted:
      return "certificate-not-trusted";
    case ResultType::kValidationFailure:
      return "validation-failure";
    case ResultType::kTlsaInvalid:
      return "tlsa-invalid";
    case ResultType::kDnssecInvalid:
      return "dnssec-invalid";
    case ResultType::kDaneRequired:
      return "dane-required";
    case ResultType::kStsPolicyFetchError:
      return "sts-policy-fetch-error";
    case ResultType::kStsPolicyInvalid:
      return "sts-policy-invalid";
    case ResultType::kStsWebpkiInvalid:
      return "sts-webpki-invalid";
  }
  return "validation-failure";
}

// Exact, case-sensitive lookup of a registry name; nullopt if unknown.
constexpr std::optional<ResultType> ResultTypeFromName(std::string_view name) {
  for (ResultType t : kAllResultTypes) {
    if (ResultTypeName(t) == name) {
      return t;
    }
  }
  return std::nullopt;
}

}  // namespace mxconform::tlsrpt
