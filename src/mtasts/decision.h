// The MTA-STS delivery decision (RFC 8461 §4, §5) and the TLS-RPT result
// types it reports (RFC 8460 §4.3): policy mode x MX name x TLS outcome ->
// deliver or defer, plus the mapping of a policy-fetch failure to a result
// type. Pure functions, no I/O.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

#include "mtasts/policy.h"
#include "tlsrpt/result_type.h"

namespace mxconform::mtasts {

// What the STARTTLS attempt on one MX gave, as classified by the caller.
enum class TlsOutcome : std::uint8_t {
  kOk,                  // TLS negotiated, certificate valid for the MX name
  kStarttlsNotOffered,  // no STARTTLS in the EHLO response
  kStarttlsRefused,     // STARTTLS offered but the command failed
  kCertExpired,         // certificate past notAfter
  kCertNotYetValid,     // certificate before notBefore
  kCertUntrusted,       // chain does not lead to a trusted root
  kCertHostMismatch,    // certificate does not cover the MX host name
  kHandshakeFailed,     // any other negotiation failure
};

inline constexpr std::array<TlsOutcome, 8> kAllTlsOutcomes = {
    TlsOutcome::kOk,
    TlsOutcome::kStarttlsNotOffered,
    TlsOutcome::kStarttlsRefused,
    TlsOutcome::kCertExpired,
    TlsOutcome::kCertNotYetValid,
    TlsOutcome::kCertUntrusted,
    TlsOutcome::kCertHostMismatch,
    TlsOutcome::kHandshakeFailed,
};

enum class Action : std::uint8_t {
  kDeliver,  // go ahead on this MX
  // Do not transmit to this MX: try the next MX and keep the message queued.
  // Never a bounce (RFC 8461 §5, STS-5-05), so there is no bounce action.
  kDefer,
};

std::string_view ActionName(Action a);  // "deliver" / "defer"

struct Decision {
  Action action = Action::kDeliver;
  // True if the policy requires validated TLS on this MX (mode enforce).
  bool tls_required = false;
  // The failure to put in a TLS-RPT report, if any (RFC 8460 §4.3).
  std::optional<tlsrpt::ResultType> report;
  // A stable `mtasts.decision.*` id saying why.
  std::string_view reason;
};

// Reason ids of a Decision.
inline constexpr std::string_view kReasonNoPolicy = "mtasts.decision.no_policy";
inline constexpr std::string_view kReasonModeNone = "mtasts.decision.mode_none";
inline constexpr std::string_view kReasonMxMatch = "mtasts.decision.mx_match";
inline constexpr std::string_view kReasonMxMismatch = "mtasts.decision.mx_mismatch";
inline constexpr std::string_view kReasonTlsOk = "mtasts.decision.tls_ok";
inline constexpr std::string_view kReasonStarttlsNotOffered =
    "mtasts.decision.starttls_not_offered";
inline constexpr std::string_view kReasonStarttlsRefused = "mtasts.decision.starttls_refused";
inline constexpr std::string_view kReasonCertExpired = "mtasts.decision.cert_expired";
inline constexpr std::string_view kReasonCertNotYetValid = "mtasts.decision.cert_not_yet_valid";
inline constexpr std::string_view kReasonCertUntrusted = "mtasts.decision.cert_untrusted";
inline constexpr std::string_view kReasonCertHostMismatch = "mtasts.decision.cert_host_mismatch";
inline constexpr std::string_view kReasonHandshakeFailed = "mtasts.decision.handshake_failed";

// Returns the TLS-RPT result type of a failed TLS outcome (RFC 8460 §4.3.1):
// not offered / refused -> starttls-not-supported; expired and not yet valid
// -> certificate-expired (STS-4.2-01); untrusted -> certificate-not-trusted
// (STS-4.2-02); host mismatch -> certificate-host-mismatch (STS-4.2-03);
// handshake failed -> validation-failure. nullopt for kOk.
std::optional<tlsrpt::ResultType> TlsOutcomeResultType(TlsOutcome tls);

// Returns the decision before connecting to `mx_host` (the MX name check
// alone, RFC 8461 §4.1). `policy` is the policy that applies, or nullptr.
//  - no policy or mode none: deliver, no report (STS-5-03).
//  - MX matches a pattern: deliver (connect); tls_required under enforce.
//  - MX matches no pattern: enforce -> defer, no connection (STS-4.1-05);
//    testing -> deliver (STS-5-02). Both report validation-failure, reason
//    mx_mismatch (catalogue ambiguity A4).
Decision DecideMxBeforeConnect(const Policy* policy, std::string_view mx_host);

// Returns the decision for delivering over `mx_host` after a STARTTLS
// attempt that gave `tls`. The MX name check comes first (as in
// DecideMxBeforeConnect; `tls` is then not looked at). For a matching MX:
// kOk -> deliver, no report; any failure -> defer under enforce
// (STS-5-01), deliver under testing (STS-5-02), with the result type of
// TlsOutcomeResultType as report.
Decision DecideMx(const Policy* policy, std::string_view mx_host, TlsOutcome tls);

// Why fetching the policy file failed.
enum class FetchFailure : std::uint8_t {
  kNetwork,  // DNS for the policy host, connect, reset
  kTimeout,
  kHttpStatus,          // any status but 200
  kRedirect,            // 3xx: redirects are not followed (STS-3.3-06)
  kTooLarge,            // body above the size cap
  kTlsHandshake,        // HTTPS negotiation failed
  kCertificateInvalid,  // PKIX: name, chain, expiry
  kContentType,         // not text/plain
  kSyntax,              // the body is not a valid policy
};

inline constexpr std::array<FetchFailure, 9> kAllFetchFailures = {
    FetchFailure::kNetwork,
    FetchFailure::kTimeout,
    FetchFailure::kHttpStatus,
    FetchFailure::kRedirect,
    FetchFailure::kTooLarge,
    FetchFailure::kTlsHandshake,
    FetchFailure::kCertificateInvalid,
    FetchFailure::kContentType,
    FetchFailure::kSyntax,
};

// Returns the TLS-RPT result type of a policy-fetch failure (RFC 8460
// §4.3.2.2; catalogue ambiguity A3): TLS or PKIX failure on the policy host
// -> sts-webpki-invalid; network, timeout, HTTP status, redirect
// (STS-3.3-06), size -> sts-policy-fetch-error; content type or syntax ->
// sts-policy-invalid.
tlsrpt::ResultType FetchFailureResultType(FetchFailure f);

}  // namespace mxconform::mtasts
