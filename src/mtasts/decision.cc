#include "mtasts/decision.h"

#include "mtasts/policy.h"

namespace mxconform::mtasts {
namespace {

using tlsrpt::ResultType;

std::string_view TlsReason(TlsOutcome tls) {
  switch (tls) {
    case TlsOutcome::kOk:
      return kReasonTlsOk;
    case TlsOutcome::kStarttlsNotOffered:
      return kReasonStarttlsNotOffered;
    case TlsOutcome::kStarttlsRefused:
      return kReasonStarttlsRefused;
    case TlsOutcome::kCertExpired:
      return kReasonCertExpired;
    case TlsOutcome::kCertNotYetValid:
      return kReasonCertNotYetValid;
    case TlsOutcome::kCertUntrusted:
      return kReasonCertUntrusted;
    case TlsOutcome::kCertHostMismatch:
      return kReasonCertHostMismatch;
    case TlsOutcome::kHandshakeFailed:
      return kReasonHandshakeFailed;
  }
  return kReasonHandshakeFailed;
}

}  // namespace

std::string_view ActionName(Action a) {
  switch (a) {
    case Action::kDeliver:
      return "deliver";
    case Action::kDefer:
      return "defer";
  }
  return "defer";
}

std::optional<ResultType> TlsOutcomeResultType(TlsOutcome tls) {
  switch (tls) {
    case TlsOutcome::kOk:
      return std::nullopt;
    case TlsOutcome::kStarttlsNotOffered:
    case TlsOutcome::kStarttlsRefused:
      return ResultType::kStarttlsNotSupported;
    case TlsOutcome::kCertExpired:
    case TlsOutcome::kCertNotYetValid:
      // RFC 8460 §4.3.1 (STS-4.2-01).
      return ResultType::kCertificateExpired;
    case TlsOutcome::kCertUntrusted:
      // RFC 8460 §4.3.1 (STS-4.2-02).
      return ResultType::kCertificateNotTrusted;
    case TlsOutcome::kCertHostMismatch:
      // RFC 8460 §4.3.1 (STS-4.2-03).
      return ResultType::kCertificateHostMismatch;
    case TlsOutcome::kHandshakeFailed:
      return ResultType::kValidationFailure;
  }
  return ResultType::kValidationFailure;
}

namespace {

// The MX name check; sets `*matched` when the TLS outcome decides the rest.
Decision CheckMxName(const Policy* policy, std::string_view mx_host, bool* matched) {
  *matched = false;
  Decision d;
  if (policy == nullptr) {
    // RFC 8461 §5: without a policy, deliver as before (STS-5-03).
    d.reason = kReasonNoPolicy;
    return d;
  }
  if (policy->mode == Mode::kNone) {
    // RFC 8461 §5: mode none is treated as no policy (STS-5-03).
    d.reason = kReasonModeNone;
    return d;
  }
  const bool enforce = policy->mode == Mode::kEnforce;
  d.tls_required = enforce;
  if (PolicyMatchesMx(*policy, mx_host)) {  // RFC 8461 §4.1
    *matched = true;
    d.reason = kReasonMxMatch;
    return d;
  }
  // RFC 8461 §4.1 / §5: an MX no pattern matches is not a valid candidate.
  // Under enforce it must not be connected to (STS-4.1-05, STS-5-01); under
  // testing delivery proceeds and the failure is reported (STS-5-02). The
  // report uses validation-failure (catalogue ambiguity A4).
  d.action = enforce ? Action::kDefer : Action::kDeliver;
  d.report = ResultType::kValidationFailure;
  d.reason = kReasonMxMismatch;
  return d;
}

}  // namespace

Decision DecideMxBeforeConnect(const Policy* policy, std::string_view mx_host) {
  bool matched = false;
  return CheckMxName(policy, mx_host, &matched);
}

Decision DecideMx(const Policy* policy, std::string_view mx_host, TlsOutcome tls) {
  bool matched = false;
  Decision d = CheckMxName(policy, mx_host, &matched);
  if (!matched) {
    // No policy, mode none, or an unmatched MX: the TLS outcome changes
    // nothing.
    return d;
  }
  d.reason = TlsReason(tls);
  d.report = TlsOutcomeResultType(tls);
  if (tls == TlsOutcome::kOk) {
    return d;
  }
  // RFC 8461 §5: under enforce, no delivery to an MX without validated TLS
  // (STS-5-01) -- defer, never bounce (STS-5-05); under testing, deliver and
  // report (STS-5-02).
  d.action = policy->mode == Mode::kEnforce ? Action::kDefer : Action::kDeliver;
  return d;
}

tlsrpt::ResultType FetchFailureResultType(FetchFailure f) {
  // RFC 8460 §4.3.2.2 (catalogue ambiguity A3).
  switch (f) {
    case FetchFailure::kTlsHandshake:
    case FetchFailure::kCertificateInvalid:
      return ResultType::kStsWebpkiInvalid;
    case FetchFailure::kNetwork:
    case FetchFailure::kTimeout:
    case FetchFailure::kHttpStatus:
    case FetchFailure::kRedirect:  // redirects are not followed (STS-3.3-06)
    case FetchFailure::kTooLarge:
      return ResultType::kStsPolicyFetchError;
    case FetchFailure::kContentType:
    case FetchFailure::kSyntax:
      return ResultType::kStsPolicyInvalid;
  }
  return ResultType::kStsPolicyFetchError;
}

}  // namespace mxconform::mtasts
